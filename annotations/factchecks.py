"""The only writer of the fact-check library: published checks imported as schema.org ClaimReview.

Scope: one library per project. Its editors and admins import into it (page, API, the
``import_factchecks`` command); every member matches against it, and a person's matches come from
the libraries of all the projects they belong to (``similar.py``). A per-deployment library would
let one project's editors put words in front of every other project; per project, what a person
sees is always something a project of theirs chose to hold.

Input: ClaimReview JSON-LD, as our ClaimReview export writes it and as fact-check sites publish
it: a JSON array, one object, an object with ``@graph``, JSON Lines (one review a line), or an HTML
page with ``<script type="application/ld+json">`` blocks (a URL import fetches pages through the
guarded fetcher of ``imports/url.py``). Every item is checked before anything is written; a bad
one is refused naming its item (or line) and field, and the import writes nothing. A review
already in the library (same URL; without a URL, same publisher and claim) is updated in place.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.dateparse import parse_date, parse_datetime
from lxml import html as lxml_html

from . import limits, workflow
from .imports.base import ImportProblem, check_size, decode
from .models import FactCheck, Project, Verdict

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Reviews in one import: one transaction, so one request's work and memory stay bounded.
MAX_ITEMS = 50_000
ANALYZE_AFTER = 1000
_LABELS = {label.lower(): value for value, label in Verdict.choices} | {v: v for v in Verdict.values}
# Ratings fact-check sites publish in words, mapped to our verdicts where the meaning is plain.
_WORDS = {
    "pants on fire": Verdict.FALSE,
    "pants on fire!": Verdict.FALSE,
    "incorrect": Verdict.FALSE,
    "fake": Verdict.FALSE,
    "wrong": Verdict.FALSE,
    "correct": Verdict.TRUE,
    "accurate": Verdict.TRUE,
    "half true": Verdict.MIXED,
    "half-true": Verdict.MIXED,
    "partly true": Verdict.MIXED,
    "partly false": Verdict.MIXED,
    "mostly correct": Verdict.MOSTLY_TRUE,
    "missing context": Verdict.MISLEADING,
    "unproven": Verdict.UNVERIFIABLE,
    "unsupported": Verdict.UNVERIFIABLE,
    "no evidence": Verdict.UNVERIFIABLE,
}
# A rating on its own 1-5 scale, as our export writes it (DESIGN.md's mapping read backwards;
# 2 is "mostly false": misleading and mostly false share it, and the label tells them apart).
_BY_VALUE = {5: Verdict.TRUE, 4: Verdict.MOSTLY_TRUE, 3: Verdict.MIXED, 2: Verdict.MOSTLY_FALSE, 1: Verdict.FALSE}


@dataclass
class FactCheckRecord:
    claim_reviewed: str
    url: str = ""
    verdict: str = ""
    rating_label: str = ""
    rating_value: float | None = None
    best_rating: float | None = None
    worst_rating: float | None = None
    publisher_name: str = ""
    publisher_url: str = ""
    claimant: str = ""
    appearance_url: str = ""
    claim_date: date | None = None
    published_at: date | None = None
    review_body: str = ""
    identifier: str = ""
    where: str = ""  # "item 3" or "line 3": how errors name it

    def key(self) -> str:
        basis = self.url or f"{self.publisher_name}\n{self.claim_reviewed}"
        return hashlib.sha256(basis.encode("utf-8")).hexdigest()


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "notes": self.notes}


# --- parsing ---------------------------------------------------------------------------------------


def _types(item: dict[str, Any]) -> set[str]:
    kind = item.get("@type", [])
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).removeprefix("schema:").rsplit("/", 1)[-1] for k in kinds}


def _reviews(value: Any, where: str, *, strict: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    """The ClaimReview objects of one JSON value, each with where it came from.

    ``strict``: an object that is not a ClaimReview is an error (a file of reviews); in an HTML
    page or an ``@graph`` other objects (the page's NewsArticle, its breadcrumbs) are skipped.
    """
    if isinstance(value, list):
        for number, item in enumerate(value, 1):
            yield from _reviews(item, f"{where}, item {number}" if where else f"item {number}", strict=strict)
        return
    if not isinstance(value, dict):
        if strict:
            raise ImportProblem(f"{where or 'the document'}: expected a ClaimReview object.", field="@type")
        return
    if "@graph" in value and "ClaimReview" not in _types(value):
        yield from _reviews(value["@graph"], where, strict=False)
        return
    if "ClaimReview" in _types(value):
        yield where or "item 1", value
    elif strict:
        raise ImportProblem(f"{where or 'the document'}: @type is not ClaimReview.", field="@type")


def _jsonld_scripts(text: str) -> list[str]:
    try:
        tree = lxml_html.fromstring(text)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    return [node.text or "" for node in tree.xpath('//script[@type="application/ld+json"]')]


def parse(data: bytes, *, source: str, charset: str | None = None, content_type: str = "") -> list[FactCheckRecord]:
    """Every ClaimReview of one input, checked; ImportProblem names the item or line and field."""
    check_size(len(data), source)
    text = decode(data, source=source, declared=charset)
    found: list[tuple[str, dict[str, Any]]] = []
    stripped = text.lstrip()
    try:
        if content_type == "text/html" or stripped.startswith("<"):
            for number, script in enumerate(_jsonld_scripts(text), 1):
                try:
                    value = json.loads(script)
                except json.JSONDecodeError as error:
                    raise ImportProblem(f"JSON-LD block {number} is not valid JSON ({error.msg}).") from None
                found.extend(_reviews(value, f"JSON-LD block {number}", strict=False))
            if not found:
                raise ImportProblem("the page has no ClaimReview in its JSON-LD.", field="file")
        else:
            try:
                documents = [("", json.loads(text))]
            except json.JSONDecodeError as whole:
                lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
                if len(lines) < 2:
                    raise ImportProblem(
                        f"not valid JSON (line {whole.lineno}, column {whole.colno}: {whole.msg})."
                    ) from None
                documents = []
                for number, line in lines:
                    try:
                        documents.append((f"line {number}", json.loads(line)))
                    except json.JSONDecodeError as error:
                        raise ImportProblem(f"line {number} is not valid JSON ({error.msg}).", line=number) from None
            for where, value in documents:
                if limits.json_depth_exceeds(value):
                    raise ImportProblem(f"{where or 'the document'} nests deeper than {limits.JSON_MAX_DEPTH} levels.")
                found.extend(_reviews(value, where, strict=True))
            if not found:
                raise ImportProblem("no ClaimReview found.", field="file")
        if len(found) > MAX_ITEMS:
            raise ImportProblem(f"{len(found)} reviews; at most {MAX_ITEMS} per import.", field="file")
        return [record(item, where) for where, item in found]
    except ImportProblem as problem:
        raise problem.located(source=source) from None


def parse_items(items: list[Any], *, source: str) -> list[FactCheckRecord]:
    """ClaimReview objects already decoded from JSON (the API's ``reviews``), numbered from 1."""
    if len(items) > MAX_ITEMS:
        raise ImportProblem(f"{len(items)} reviews; at most {MAX_ITEMS} per import.", source=source, field="reviews")
    try:
        if limits.json_depth_exceeds(items):
            raise ImportProblem(f"the reviews nest deeper than {limits.JSON_MAX_DEPTH} levels.", field="reviews")
        found = list(_reviews(items, "", strict=True))
        return [record(item, where) for where, item in found]
    except ImportProblem as problem:
        raise problem.located(source=source) from None


def _text(value: Any, where: str, name: str, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):  # a Person or Organization: its name
        value = value.get("name", "")
    if isinstance(value, list):
        value = value[0] if value else ""
    if not isinstance(value, str | int | float):
        raise ImportProblem(f"{where}: {name} must be text.", field=name)
    result = " ".join(str(value).split())
    if len(result) > limit:
        raise ImportProblem(f"{where}: {name} has {len(result)} characters; the limit is {limit}.", field=name)
    return result


def _url(value: Any, where: str, name: str) -> str:
    if isinstance(value, dict):
        value = value.get("url") or value.get("@id") or ""
    if isinstance(value, list):
        value = value[0] if value else ""
    if not value:
        return ""
    if not isinstance(value, str) or not re.match(r"https?://[^\s/]+", value) or len(value) > limits.URL_CHARS:
        raise ImportProblem(f"{where}: {name} must be an http(s) URL.", field=name)
    return value.strip()


def _date(value: Any, where: str, name: str) -> date | None:
    if not value:
        return None
    if isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            return moment.date()
        try:
            day = parse_date(value[:10])
        except ValueError:
            day = None
        if day is not None:
            return day
    raise ImportProblem(f"{where}: {name} must be an ISO 8601 date, such as 2024-05-31.", field=name)


def _number(value: Any, where: str, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ImportProblem(f"{where}: {name} must be a number.", field=name) from None


def verdict_for(label: str, value: float | None, best: float | None, worst: float | None) -> str:
    """Our verdict for a published rating, or "" when its meaning is not plain."""
    words = label.strip().lower()
    if words in _LABELS:
        return _LABELS[words]
    if words in _WORDS:
        return _WORDS[words]
    if value is not None:
        best, worst = best if best is not None else 5.0, worst if worst is not None else 1.0
        if best > worst and worst <= value <= best:
            return _BY_VALUE[round(1 + 4 * (value - worst) / (best - worst))]
    return ""


def record(item: dict[str, Any], where: str) -> FactCheckRecord:
    claim = _text(item.get("claimReviewed"), where, "claimReviewed", limits.CLAIM_TEXT_CHARS)
    if not claim:
        raise ImportProblem(f"{where}: claimReviewed is missing: the claim the review checks.", field="claimReviewed")
    rating = item.get("reviewRating") or {}
    if isinstance(rating, list):
        rating = rating[0] if rating else {}
    if not isinstance(rating, dict):
        raise ImportProblem(f"{where}: reviewRating must be a Rating object.", field="reviewRating")
    label = _text(rating.get("alternateName") or rating.get("name"), where, "reviewRating.alternateName", 200)
    value = _number(rating.get("ratingValue"), where, "reviewRating.ratingValue")
    best = _number(rating.get("bestRating"), where, "reviewRating.bestRating")
    worst = _number(rating.get("worstRating"), where, "reviewRating.worstRating")
    if not label and value is None:
        raise ImportProblem(
            f"{where}: reviewRating needs an alternateName (the verdict in words) or a ratingValue.",
            field="reviewRating",
        )
    author = item.get("author") or {}
    if isinstance(author, list):
        author = author[0] if author else {}
    reviewed = item.get("itemReviewed") or {}
    if not isinstance(reviewed, dict):
        reviewed = {}
    appearance = reviewed.get("appearance") or reviewed.get("firstAppearance") or {}
    return FactCheckRecord(
        claim_reviewed=claim,
        url=_url(item.get("url"), where, "url"),
        verdict=verdict_for(label, value, best, worst),
        rating_label=label,
        rating_value=value,
        best_rating=best,
        worst_rating=worst,
        publisher_name=_text(author, where, "author.name", 200),
        publisher_url=_url(author.get("url") if isinstance(author, dict) else "", where, "author.url"),
        claimant=_text(reviewed.get("author"), where, "itemReviewed.author.name", limits.CLAIMANT_CHARS),
        appearance_url=_url(appearance, where, "itemReviewed.appearance.url"),
        claim_date=_date(reviewed.get("datePublished"), where, "itemReviewed.datePublished"),
        published_at=_date(item.get("datePublished"), where, "datePublished"),
        review_body=_text(item.get("reviewBody"), where, "reviewBody", limits.RATIONALE_CHARS),
        identifier=_text(item.get("identifier"), where, "identifier", 200),
        where=where,
    )


# --- writing ---------------------------------------------------------------------------------------

_FIELDS = (
    "claim_reviewed", "url", "verdict", "rating_label", "rating_value", "best_rating", "worst_rating",
    "publisher_name", "publisher_url", "claimant", "appearance_url", "claim_date", "published_at",
    "review_body", "identifier",
)  # fmt: skip


def check_importer(project: Project, by: User | None) -> None:
    """Editors and admins fill a project's library (``by=None``: the server's operator, a command)."""
    if by is None:
        return
    role = project.memberships.filter(user_id=by.pk).values_list("role", flat=True).first()
    if role is None:
        raise PermissionDenied(workflow.MEMBERS_ONLY)
    if not workflow.is_editor(role):
        raise PermissionDenied("Only editors and admins of the project import fact checks into its library.")


def import_records(*, project: Project, by: User | None, records: list[FactCheckRecord]) -> ImportResult:
    """Write the records into the project's library, all or none; existing reviews are updated."""
    check_importer(project, by)
    rows: dict[str, FactCheck] = {}
    result = ImportResult()
    for rec in records:
        row = FactCheck(project=project, key=rec.key(), imported_by=by, **{n: getattr(rec, n) for n in _FIELDS})
        try:
            row.full_clean(exclude=["project", "imported_by"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            name, messages = next(iter(error.message_dict.items()))
            raise ImportProblem(f"{rec.where}: {name}: {messages[0]}", field=name) from None
        if row.key in rows:
            result.notes.append(f"{rec.where}: the same review as an earlier item; the later one is kept.")
        rows[row.key] = row
    with transaction.atomic():
        existing = set(FactCheck.objects.filter(project=project, key__in=list(rows)).values_list("key", flat=True))
        FactCheck.objects.bulk_create(
            list(rows.values()),
            batch_size=500,
            update_conflicts=True,
            unique_fields=["project", "key"],
            update_fields=[*_FIELDS, "imported_by", "updated_at"],
        )
        if connection.vendor == "postgresql" and len(rows) >= ANALYZE_AFTER:
            # Fresh statistics now, not at autovacuum's next pass: until then the planner takes
            # the library for a few rows and scans it instead of using the text indexes.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE annotations_factcheck")
    result.updated = len(existing)
    result.created = len(rows) - len(existing)
    return result


def import_data(
    *, project: Project, by: User | None, data: bytes, source: str, charset: str | None = None, content_type: str = ""
) -> ImportResult:
    check_importer(project, by)  # before parsing: an outsider learns nothing about the input
    return import_records(
        project=project, by=by, records=parse(data, source=source, charset=charset, content_type=content_type)
    )


def import_url(*, project: Project, by: User | None, url: str) -> ImportResult:
    """Fetch a page or feed of ClaimReview through the guarded fetcher, then import it."""
    from .imports.url import fetch

    check_importer(project, by)
    fetched = fetch(url)
    return import_data(
        project=project,
        by=by,
        data=fetched.body,
        source=url,
        charset=fetched.charset,
        content_type=fetched.content_type,
    )
