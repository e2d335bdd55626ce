"""The only writer of claims and their sources: every door (desk, review page, API, importers,
commands, admin) calls these functions, and every review rule is checked here.

Each write locks the claim row (SELECT ... FOR UPDATE; on SQLite the write transaction is
IMMEDIATE) for its checks and its write, so a rule that reads the claim (its version, its
status, its number of sources) cannot be raced by another write. Refusals are Django's
``PermissionDenied`` (the person may not) or ``ValidationError`` naming the field (the
change is not valid); a write that carried an old version raises ``StaleVersion``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from . import bulkrows, captures, gcpause, limits, workflow
from . import text as textlib
from .compiled import CompiledQuery
from .models import (
    AnchorStatus,
    Article,
    Claim,
    ClaimantType,
    ClaimComment,
    ClaimLink,
    ClaimStatus,
    FactCheck,
    Membership,
    Project,
    Source,
    Verdict,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import Model

    from .imports.base import ClaimRecord

CLAIM_FIELDS = ("claim_text", "claimant", "claimant_type", "verdict", "rationale")
EDITABLE_FIELDS = frozenset({*CLAIM_FIELDS, "status"})
SOURCE_FIELDS = ("url", "title", "publisher", "excerpt", "stance", "archived_url", "accessed_at")


class StaleVersion(Exception):
    """A write carried an out-of-date claim version: someone else changed the claim first."""

    def __init__(self, current: Claim) -> None:
        super().__init__(f"claim {current.pk} is at version {current.version}; reload and try again")
        self.current = current


# --- who is acting ------------------------------------------------------------------------------


def role_of(project: Project | int, user: User | None) -> str | None:
    """The user's role in the project (one query), or None for outsiders and anonymous users."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    project_id = project if isinstance(project, int) else project.pk
    found = _ROLE.all(project=project_id, user=user.pk)
    return found[0] if found else None


# Every page and write asks for the role: the query is compiled once (annotations.compiled).
_ROLE = CompiledQuery(
    Membership,
    lambda project, user: (
        Membership.objects.filter(project_id=project, user_id=user).order_by("pk").values_list("role", flat=True)[:1]
    ),
    "project",
    "user",
)


def _refuse(error: workflow.TransitionError) -> NoReturn:
    if error.forbidden:
        raise PermissionDenied(error.message) from None
    raise ValidationError({error.field: error.message}) from None


def _is_author(claim: Claim, user: User) -> bool:
    return claim.created_by_id is not None and claim.created_by_id == user.pk


_VERDICTS = frozenset([*Verdict.values, ""])
_STATUSES = frozenset(ClaimStatus.values)


def _check_choices(changes: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if "verdict" in changes and changes["verdict"] not in _VERDICTS:
        errors["verdict"] = f"{changes['verdict']!r} is not a verdict; use one of: {', '.join(Verdict.values)}."
    if "status" in changes and changes["status"] not in _STATUSES:
        errors["status"] = f"{changes['status']!r} is not a status; use one of: {', '.join(ClaimStatus.values)}."
    if errors:
        raise ValidationError(errors)


def _span(text: str, start: int, end: int, quote: str | None) -> textlib.Span:
    try:
        return textlib.check_span(text, start, end, quote)
    except textlib.SpanError as error:
        raise ValidationError({error.field: error.message}) from None


def _lock(claim: Claim | int, expected_version: int | None = None) -> Claim:
    pk = claim if isinstance(claim, int) else claim.pk
    fresh = Claim.objects.select_for_update().select_related("article__project").filter(pk=pk).first()
    if fresh is None:
        raise Claim.DoesNotExist(f"claim {pk} was deleted")
    if expected_version is not None and fresh.version != expected_version:
        raise StaleVersion(fresh)
    return fresh


def _clean(claim: Claim) -> None:
    """Field validation (lengths, choices, the span) before any write, bulk ones included.

    The check constraints are the database's job: validating them here would cost a query each.
    """
    claim.full_clean(
        exclude=["article", "created_by", "reviewed_by", "retracted_by"],
        validate_unique=False,
        validate_constraints=False,
    )


def _save(claim: Claim, by: User | None, reason: str | None = None) -> None:
    claim.version += 1
    if by is not None:
        claim._history_user = by  # type: ignore[attr-defined]  # simple_history (untyped) reads it on save
    if reason:
        claim._change_reason = reason  # type: ignore[attr-defined]  # simple_history (untyped) reads it on save
    _clean(claim)
    claim.save()


# --- the four-eyes rule --------------------------------------------------------------------------


def substance_editors(claim: Claim) -> set[int | None]:
    """Who changed the claim's text, verdict or rationale since it was last submitted for review.

    Read from the claim's history (every write here leaves a row), so it holds for changes made
    through any door. The record that created the claim counts as a change by its creator.
    """
    return _substance_editors_of([claim]).get(claim.pk, set())


def _substance_editors_of(claims: Sequence[Claim]) -> dict[int, set[int | None]]:
    """``substance_editors`` for many claims in one query (the desk asks for a whole article)."""
    submitted = {c.pk: c.submitted_at for c in claims}
    records = (
        Claim.history.filter(id__in=list(submitted))
        .order_by("id", "history_date", "history_id")
        .values("id", "history_user_id", "history_date", *workflow.SUBSTANCE_FIELDS)
    )
    editors: dict[int, set[int | None]] = {pk: set() for pk in submitted}
    previous: dict[str, Any] | None = None
    for record in records:
        if previous is not None and previous["id"] != record["id"]:
            previous = None
        since = submitted[record["id"]]
        recent = since is None or record["history_date"] >= since
        changed = previous is None or any(record[f] != previous[f] for f in workflow.SUBSTANCE_FIELDS)
        if recent and changed:
            editors[record["id"]].add(record["history_user_id"])
        previous = record
    return editors


def facts(
    claim: Claim, user: User, *, source_count: int | None = None, changed_now: bool = False
) -> workflow.ClaimFacts:
    is_author = _is_author(claim, user)
    changed = changed_now
    if not changed and claim.status == ClaimStatus.IN_REVIEW and not is_author:
        changed = user.pk in substance_editors(claim)
    return workflow.ClaimFacts(
        status=claim.status,
        verdict=claim.verdict,
        source_count=claim.sources.count() if source_count is None else source_count,
        is_author=is_author,
        changed_since_submitted=changed,
    )


# --- claims --------------------------------------------------------------------------------------


def _claim_values(
    *,
    article: Article,
    start: int,
    end: int,
    quote: str | None,
    claim_text: str,
    claimant: str,
    claimant_type: str,
    verdict: str,
    rationale: str,
    status: str,
) -> dict[str, Any]:
    """The fields of a new claim, by the rules every way of marking claims shares.

    A new claim starts unstarted or in progress (review is a later step, and nobody approves a
    claim they mark: PermissionDenied); its span is checked against the stored text. Field
    validation (lengths, choices) is the caller's next step.
    """
    if status == ClaimStatus.APPROVED:
        raise PermissionDenied(workflow.APPROVE_OWN)
    _check_choices({"status": status, "verdict": verdict})
    if status not in workflow.START_STATUSES:
        raise ValidationError(
            {"status": "A new claim starts as unstarted or in_progress; review is a later workflow step."}
        )
    span = _span(article.text, start, end, quote)
    return {
        "start": span.start,
        "end": span.end,
        "quote": span.quote,
        "prefix": span.prefix,
        "suffix": span.suffix,
        "claim_text": claim_text.strip() or span.quote,
        "claimant": claimant.strip(),
        "claimant_type": claimant_type,
        "verdict": verdict,
        "rationale": rationale.strip(),
        "status": status,
    }


def _new_claim(*, article: Article, by: User, **fields: Any) -> Claim:
    """An unsaved, validated new claim (``_claim_values``' rules, then ``full_clean``)."""
    claim = Claim(article=article, created_by=by, **_claim_values(article=article, **fields))
    _clean(claim)
    return claim


def create(
    *,
    article: Article,
    by: User,
    start: int,
    end: int,
    quote: str | None = None,
    claim_text: str = "",
    claimant: str = "",
    claimant_type: str = ClaimantType.PERSON,
    verdict: str = "",
    rationale: str = "",
    status: str = ClaimStatus.UNSTARTED,
    role: str | None = None,
) -> Claim:
    """Mark a span of the article as a claim; offsets are checked against the stored text.

    A new claim starts unstarted or in progress: review is a later step, and nobody approves
    a claim they mark. ``role`` may be passed by a caller that already looked it up.
    """
    role = role if role is not None else role_of(article.project_id, by)
    if role not in workflow.MEMBER_ROLES:
        raise PermissionDenied(workflow.MEMBERS_ONLY)
    claim = _new_claim(
        article=article, by=by, start=start, end=end, quote=quote, claim_text=claim_text, claimant=claimant,
        claimant_type=claimant_type, verdict=verdict, rationale=rationale, status=status,
    )  # fmt: skip
    claim.created_at = claim.updated_at = now = timezone.now()
    # The checked values are INSERTed as create_many writes them: Model.save would add its
    # signals and per-field preparation (~0.15 ms of a 1.5 ms request). Claim.save's own steps
    # (the approval stamp) do not apply to a new claim, which is never created approved; any
    # step added to Claim.save for new rows belongs here and in create_many too. The history row goes
    # with it, as simple_history's post_save would write it (which builds a manager class and a
    # model instance per save); on PostgreSQL both are one statement.
    claim.pk = bulkrows.insert_with_copy(Claim, _column_values(claim), _history_model(Claim), _written(by, now))
    claim._state.adding, claim._state.db = False, transaction.get_connection().alias
    return claim


def _column_values(row: Claim | Source) -> dict[str, Any]:
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key}


@functools.cache
def _history_model(model: type[Claim] | type[Source]) -> type[Model]:
    """The history table's model. ``Model.history`` builds a new manager class on every access
    (simple_history's descriptor): 0.15 ms a claim write until looked up once."""
    return model.history.model


def _written(by: User | None, now: datetime, reason: str | None = None) -> dict[str, Any]:
    """The history columns of a "+" row (a new claim or source): who, when and why.

    Every door that adds rows without simple_history's post_save (create, create_many, the
    import) writes these; simple_history writes the same for the rows it records itself.
    """
    return {
        "history_date": now,
        "history_type": "+",
        "history_change_reason": reason,
        "history_user_id": by.pk if by else None,
    }


BULK_ITEM_FIELDS = frozenset({"start", "end", "quote", *CLAIM_FIELDS, "status", "sources"})


class BulkRefused(Exception):
    """A bulk write refused as a whole: ``errors`` says which item and field, one entry each.

    ``forbidden`` is set when an item asked for something the person may not do (a claim
    created approved): the API answers 403 rather than 400, as ``create`` would for that item.
    """

    def __init__(self, errors: list[dict[str, Any]], *, forbidden: bool = False) -> None:
        super().__init__(f"{len(errors)} item(s) refused")
        self.errors = errors
        self.forbidden = forbidden


def _bulk_item_errors(index: int, error: ValidationError, prefix: str = "") -> list[dict[str, Any]]:
    if hasattr(error, "error_dict"):
        return [
            {"index": index, "field": f"{prefix}{name}", "message": message}
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [{"index": index, "field": prefix.rstrip(".") or "non_field_errors", "message": m} for m in error.messages]


def _bulk_types(item: Any) -> dict[str, str]:
    """JSON type errors of one item, by field: the checks DRF's serializer makes on ``create``."""
    if not isinstance(item, dict):
        return {"non_field_errors": "Each claim is a JSON object."}
    errors: dict[str, str] = {}
    for name in item.keys() - BULK_ITEM_FIELDS:
        errors[str(name)] = "Unknown field."
    for name in ("start", "end"):
        value = item.get(name)
        if name not in item:
            errors[name] = "This field is required."
        elif not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 2_000_000_000:
            errors[name] = "A whole number from 0 to 2000000000 is required."
    for name in ("quote", *CLAIM_FIELDS, "status"):
        if name in item and not isinstance(item[name], str):
            errors[name] = "Not a valid string."
        elif name in item and "\x00" in item[name]:
            errors[name] = _NUL
    if "sources" in item and not (
        isinstance(item["sources"], list) and all(isinstance(s, dict) for s in item["sources"])
    ):
        errors["sources"] = "A list of source objects is required."
    elif "sources" in item:
        for number, source in enumerate(item["sources"]):
            for name, value in source.items():
                if name in SOURCE_FIELDS and not (isinstance(value, str) or (value is None and name == "accessed_at")):
                    errors[f"sources[{number}].{name}"] = "Not a valid string."
                elif name in SOURCE_FIELDS and isinstance(value, str) and "\x00" in value:
                    errors[f"sources[{number}].{name}"] = _NUL
    return errors


# As DRF's CharField says it on create: a model field's own clean lets a NUL through, and
# PostgreSQL cannot store one (a bulk write with one in an excerpt answered 500 there).
_NUL = "Null characters are not allowed."


# Field validation for bulk writes: the model fields' own rules, decided cheaply per value.
_BULK_CLAIM_FIELDS = bulkrows.Cleaner(Claim, ("quote", "prefix", "suffix", *CLAIM_FIELDS, "status"))
_BULK_SOURCE_FIELDS = bulkrows.Cleaner(Source, SOURCE_FIELDS)


@dataclass
class _BulkCheck:
    """What checking a bulk write's items found: every refusal, and whether one was a
    permission (the whole request is then a 403, not a 400)."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    forbidden: bool = False


def _checked_items(
    article: Article, items: Sequence[Any], check: _BulkCheck
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each item that passes ``create``'s rules and validation, as (claim values, its sources'
    values); each refusal goes into ``check`` instead, and checking goes on to the last item so
    that one answer names them all."""
    source_fields = set(SOURCE_FIELDS)
    for index, item in enumerate(items):
        types = _bulk_types(item)
        if types:
            check.errors.extend({"index": index, "field": f, "message": m} for f, m in types.items())
            continue
        try:
            values = _claim_values(
                article=article,
                start=item["start"],
                end=item["end"],
                quote=item.get("quote"),
                claim_text=item.get("claim_text", ""),
                claimant=item.get("claimant", ""),
                claimant_type=item.get("claimant_type", ClaimantType.PERSON),
                verdict=item.get("verdict", ""),
                rationale=item.get("rationale", ""),
                status=item.get("status", ClaimStatus.UNSTARTED),
            )
        except PermissionDenied as refused:
            check.forbidden = True
            check.errors.append({"index": index, "field": "status", "message": str(refused)})
            continue
        except ValidationError as error:
            check.errors.extend(_bulk_item_errors(index, error))
            continue
        bad = _BULK_CLAIM_FIELDS.clean(values)
        check.errors.extend({"index": index, "field": f, "message": m} for f, messages in bad.items() for m in messages)
        item_sources = []
        for number, fields in enumerate(item.get("sources", ())):
            unknown = fields.keys() - source_fields
            if unknown:
                check.errors.extend(
                    {"index": index, "field": f"sources[{number}].{name}", "message": "Unknown field."}
                    for name in sorted(unknown)
                )
                continue
            source = dict(fields)
            bad = _BULK_SOURCE_FIELDS.clean(source)
            check.errors.extend(
                {"index": index, "field": f"sources[{number}].{f}", "message": m}
                for f, messages in bad.items()
                for m in messages
            )
            item_sources.append(source)
        if not check.errors:
            yield values, item_sources


@gcpause.paused()
def create_many(*, article: Article, by: User, items: Sequence[Any], role: str | None = None) -> list[int]:
    """Mark many claims (with their sources) at once: all of them, or none. Returns their ids.

    Every item is checked by ``create``'s rules and validation (membership, start statuses, the
    span against the stored text, field validation, each source's validation); a refusal names
    every bad item and field in one ``BulkRefused`` and leaves nothing written. The claims,
    their sources and all their history rows are written with a few multi-row INSERTs in one
    transaction (``bulkrows``: 7,000 claims with a source each take about as long as their JSON).
    """
    role = role if role is not None else role_of(article.project_id, by)
    if role not in workflow.MEMBER_ROLES:
        raise PermissionDenied(workflow.MEMBERS_ONLY)
    if len(items) > limits.BULK_CLAIMS_MAX:
        raise BulkRefused(
            [{"index": None, "field": "claims", "message": f"At most {limits.BULK_CLAIMS_MAX} claims per request."}]
        )
    check = _BulkCheck()
    checked: Iterable[tuple[dict[str, Any], list[dict[str, Any]]]] = _checked_items(article, items, check)
    if not bulkrows.streams():
        # SQLite: every item checked before the write lock is taken, so other writers do not
        # wait for the checking.
        checked = list(checked)
        if check.errors:
            raise BulkRefused(check.errors, forbidden=check.forbidden)
    now = timezone.now()
    written = _written(by, now)
    sources: list[list[dict[str, Any]]] = []

    def claim_rows() -> Iterator[dict[str, Any]]:
        for values, item_sources in checked:
            values.update(article_id=article.pk, created_by_id=by.pk, created_at=now, updated_at=now)
            sources.append(item_sources)
            yield values

    with transaction.atomic():
        # PostgreSQL: each claim goes to the database as soon as it is checked, so the server
        # files it (its indexes) while the next ones are checked; a refusal found later rolls
        # them all back.
        ids = bulkrows.insert(Claim, claim_rows(), returning=True, expected=len(items))
        if check.errors:
            raise BulkRefused(check.errors, forbidden=check.forbidden)
        bulkrows.insert_copies(Claim, ids, _history_model(Claim), written)
        rows = [
            {**source, "claim_id": pk, "added_by_id": by.pk, "created_at": now}
            for pk, item_sources in zip(ids, sources, strict=True)
            for source in item_sources
        ]
        if rows:
            source_ids = bulkrows.insert(Source, rows, returning=True)
            bulkrows.insert_copies(Source, source_ids, _history_model(Source), written)
            captures.schedule_saved([(pk, r["url"]) for r, pk in zip(rows, source_ids, strict=True)], by=by)
    return ids


def _open_correction(claim: Claim, *, by: User, role: str | None, note: str, source_count: int) -> None:
    """A change to a published claim: said openly, and kept published only by someone who could approve it."""
    note = note.strip()
    if not note:
        raise ValidationError({"correction_note": workflow.CORRECTION_NOTE_NEEDED})
    claim.corrected_at = timezone.now()
    claim.correction_note = note
    if workflow.correction_keeps_approval(role, is_author=_is_author(claim, by)):
        try:
            workflow.check_publishable(verdict=claim.verdict, source_count=source_count)
        except workflow.TransitionError as error:
            _refuse(error)
        claim.reviewed_by = by
    else:
        # Someone who could not approve it changed it: it goes back to an editor before it is
        # published again, and nobody is credited with approving a verdict they never saw.
        claim.status = ClaimStatus.IN_REVIEW
        claim.reviewed_by = None
        claim.submitted_at = timezone.now()


def _move(claim: Claim, target: str, *, by: User, role: str | None, changed_now: bool) -> None:
    try:
        workflow.check_transition(facts(claim, by, changed_now=changed_now), target, role)
    except workflow.TransitionError as error:
        _refuse(error)
    claim.status = target
    if target == ClaimStatus.IN_REVIEW:
        claim.submitted_at = timezone.now()
    if target == ClaimStatus.APPROVED:
        claim.reviewed_by = by


def update(
    *,
    claim: Claim,
    by: User,
    expected_version: int | None,
    start: int | None = None,
    end: int | None = None,
    quote: str | None = None,
    correction_note: str = "",
    role: str | None = None,
    **changes: Any,
) -> Claim:
    """Change a claim if nobody else changed it since ``expected_version``; returns it reloaded.

    Fields first, then the status move (so an editor who rewrites the verdict and approves in
    one request is refused like one who does it in two). ``expected_version=None`` skips the
    version check; ``role`` may be passed by a caller that already looked it up.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"unknown claim fields: {sorted(unknown)}")
    _check_choices(changes)
    with transaction.atomic():
        fresh = _lock(claim, expected_version)
        role = role if role is not None else role_of(fresh.article.project_id, by)
        if not workflow.can_edit(role, is_author=_is_author(fresh, by)):
            raise PermissionDenied(workflow.EDIT_REFUSED)
        target = changes.pop("status", None)
        if target == fresh.status:
            target = None
        values = {k: v.strip() if isinstance(v, str) and k != "verdict" else v for k, v in changes.items()}
        if "claim_text" in values and not values["claim_text"]:
            values["claim_text"] = fresh.quote
        values = {k: v for k, v in values.items() if getattr(fresh, k) != v}
        if start is not None or end is not None or quote is not None:
            span = _span(
                fresh.article.text, fresh.start if start is None else start, fresh.end if end is None else end, quote
            )
            if (span.start, span.end) != (fresh.start, fresh.end):
                values.update(start=span.start, end=span.end, quote=span.quote, prefix=span.prefix, suffix=span.suffix)
        if not values and target is None:
            return fresh
        for name, value in values.items():
            setattr(fresh, name, value)
        if values and fresh.status == ClaimStatus.APPROVED:
            _open_correction(fresh, by=by, role=role, note=correction_note, source_count=fresh.sources.count())
        if target is not None:
            changed_now = any(name in values for name in workflow.SUBSTANCE_FIELDS)
            _move(fresh, str(target), by=by, role=role, changed_now=changed_now)
        _save(fresh, by)
    return fresh


def move(*, claim: Claim, by: User, target: str, expected_version: int | None = None) -> Claim:
    """Move the claim along the workflow, or refuse saying why not."""
    _check_choices({"status": target})
    with transaction.atomic():
        fresh = _lock(claim, expected_version)
        if target == fresh.status:
            return fresh
        _move(fresh, target, by=by, role=role_of(fresh.article.project_id, by), changed_now=False)
        _save(fresh, by)
    return fresh


def delete(*, claim: Claim, by: User, expected_version: int | None = None) -> None:
    """Delete a claim that was never published; a published one is retracted instead."""
    with transaction.atomic():
        fresh = _lock(claim, expected_version)
        role = role_of(fresh.article.project_id, by)
        if not workflow.can_edit(role, is_author=_is_author(fresh, by)):
            raise PermissionDenied(workflow.EDIT_REFUSED)
        if fresh.status == ClaimStatus.APPROVED or fresh.retracted_at is not None:
            raise ValidationError({"status": workflow.PUBLISHED_NOT_DELETED})
        fresh._history_user = by  # type: ignore[attr-defined]  # simple_history (untyped) reads it on save
        fresh.delete()


def retract(*, claim: Claim, by: User, note: str, expected_version: int | None = None) -> Claim:
    """Withdraw a published claim openly: it stays, marked retracted with the reason, in history and exports."""
    note = note.strip()
    with transaction.atomic():
        fresh = _lock(claim, expected_version)
        if not workflow.is_editor(role_of(fresh.article.project_id, by)):
            raise PermissionDenied("Only editors and admins can retract a published claim.")
        if fresh.status != ClaimStatus.APPROVED:
            raise ValidationError({"status": "Only a published (approved) claim is retracted; delete it instead."})
        if fresh.retracted_at is not None:
            raise ValidationError({"status": "This claim is already retracted."})
        if not note:
            raise ValidationError({"retraction_note": "Say why the claim is retracted: readers will see it."})
        fresh.retracted_at, fresh.retracted_by, fresh.retraction_note = timezone.now(), by, note
        _save(fresh, by, reason="retracted")
    return fresh


def place(*, claim: Claim, by: User, start: int, end: int, quote: str | None = None) -> Claim:
    """An editor settles where a flagged claim belongs (or confirms the guess): the flag is cleared."""
    with transaction.atomic():
        fresh = _lock(claim)
        if not workflow.is_editor(role_of(fresh.article.project_id, by)):
            raise PermissionDenied("Only editors place claims after a text correction.")
        span = _span(fresh.article.text, start, end, quote)
        fresh.start, fresh.end, fresh.quote = span.start, span.end, span.quote
        fresh.prefix, fresh.suffix = span.prefix, span.suffix
        fresh.anchor_status, fresh.anchor_confidence, fresh.previous_quote = AnchorStatus.ANCHORED, 1.0, ""
        _save(fresh, by, reason="placed after a text correction")
    return fresh


@dataclass
class Reanchored:
    placed: list[Claim] = field(default_factory=list)
    needs_attention: list[Claim] = field(default_factory=list)


def _stored_span(claim: Claim) -> textlib.StoredSpan:
    if claim.anchor_status == AnchorStatus.NEEDS_ATTENTION and claim.previous_quote:
        # The stored span of a flagged claim is only a guess; the quote people made it from is
        # the one to look for (its context was not kept, so it must stand on its own).
        return textlib.StoredSpan(claim.start, claim.end, claim.previous_quote, "", "")
    return textlib.StoredSpan(claim.start, claim.end, claim.quote, claim.prefix, claim.suffix)


def reanchor(*, article: Article, old_text: str, new_text: str, by: User | None, threshold: float) -> Reanchored:
    """Place every claim of the article again after its text changed (inside the caller's transaction).

    Every claim's version moves on, since its offsets changed meaning; one that cannot be placed
    confidently keeps a best-guess span, is flagged ``needs_attention`` and keeps its old quote.
    """
    result = Reanchored()
    # Locked: a concurrent update waits, so no version number is handed out twice.
    claims = list(article.claims.select_for_update().order_by("start", "id"))
    anchors = textlib.reanchor_all(old_text, new_text, [_stored_span(c) for c in claims], threshold)
    now = timezone.now()
    for claim, anchor in zip(claims, anchors, strict=True):
        original_quote = _stored_span(claim).quote
        span = textlib.check_span(new_text, anchor.start, anchor.end)
        claim.start, claim.end, claim.quote = span.start, span.end, span.quote
        claim.prefix, claim.suffix = span.prefix, span.suffix
        claim.anchor_confidence = anchor.confidence
        if anchor.is_confident(threshold):
            claim.anchor_status, claim.previous_quote = AnchorStatus.ANCHORED, ""
            result.placed.append(claim)
        else:
            claim.anchor_status, claim.previous_quote = AnchorStatus.NEEDS_ATTENTION, original_quote
            result.needs_attention.append(claim)
        claim.version += 1
        claim.updated_at = now
    # With history rows, so each claim's timeline shows the move and who corrected the text.
    bulk_update_with_history(
        claims,
        Claim,
        [
            "start",
            "end",
            "quote",
            "prefix",
            "suffix",
            "anchor_status",
            "anchor_confidence",
            "previous_quote",
            "version",
            "updated_at",
        ],
        batch_size=500,
        default_user=by,
        default_change_reason="article text revised",
    )
    return result


# --- sources -------------------------------------------------------------------------------------


def _source_clean(source: Source) -> None:
    source.full_clean(exclude=["claim", "added_by"], validate_unique=False, validate_constraints=False)


def _source_write(claim: Claim, by: User, correction_note: str, delta: int, reason: str) -> Claim:
    """Lock the claim and apply the rules every source change shares; returns the locked claim.

    ``delta`` is how the number of sources changes; the caller then writes the source.
    """
    fresh = _lock(claim)
    role = role_of(fresh.article.project_id, by)
    if not workflow.can_edit(role, is_author=_is_author(fresh, by)):
        raise PermissionDenied(workflow.EDIT_REFUSED)
    if fresh.status == ClaimStatus.APPROVED:
        count = fresh.sources.count() + delta
        if delta < 0 and count == 0 and fresh.verdict != workflow.NOT_CHECKABLE:
            raise ValidationError({"sources": workflow.KEEPS_SOURCE})
        _open_correction(fresh, by=by, role=role, note=correction_note, source_count=count)
        _save(fresh, by, reason=reason)
    return fresh


def add_source(*, claim: Claim, by: User, correction_note: str = "", **fields: Any) -> Source:
    unknown = set(fields) - set(SOURCE_FIELDS)
    if unknown:
        raise ValueError(f"unknown source fields: {sorted(unknown)}")
    source = Source(claim=claim, added_by=by, **fields)
    _source_clean(source)
    with transaction.atomic():
        fresh = _source_write(claim, by, correction_note, +1, "source added")
        source.claim = fresh
        source._history_user = by  # type: ignore[attr-defined]  # simple_history (untyped) reads it on save
        source.save()
        # In the same transaction as the source: every door queues exactly one capture.
        captures.schedule([source], by=by)
    return source


def edit_source(*, source: Source, by: User, correction_note: str = "", **fields: Any) -> Source:
    unknown = set(fields) - set(SOURCE_FIELDS)
    if unknown:
        raise ValueError(f"unknown source fields: {sorted(unknown)}")
    with transaction.atomic():
        fresh = Source.objects.select_for_update().get(pk=source.pk)
        changed = {k: v for k, v in fields.items() if getattr(fresh, k) != v}
        if not changed:
            # Nothing to write, but still only for someone who may change the claim: a caller
            # that goes on to record something beside the source (quoting a capture) relies on it.
            role = role_of(fresh.claim.article.project_id, by)
            if not workflow.can_edit(role, is_author=_is_author(fresh.claim, by)):
                raise PermissionDenied(workflow.EDIT_REFUSED)
            return fresh
        for name, value in changed.items():
            setattr(fresh, name, value)
        _source_clean(fresh)
        fresh.claim = _source_write(fresh.claim, by, correction_note, 0, "source edited")
        fresh._history_user = by  # type: ignore[attr-defined]  # simple_history (untyped) reads it on save
        fresh.save()
        if "url" in changed:
            captures.schedule([fresh], by=by)
        if "excerpt" in changed:
            captures.excerpt_changed(fresh)
    return fresh


def remove_source(*, source: Source, by: User, correction_note: str = "") -> Claim:
    with transaction.atomic():
        fresh = Source.objects.select_for_update().filter(pk=source.pk).first()
        if fresh is None:
            raise Source.DoesNotExist(f"source {source.pk} was removed")
        claim = _source_write(fresh.claim, by, correction_note, -1, "source removed")
        fresh._history_user = by  # type: ignore[attr-defined]  # simple_history (untyped) reads it on save
        fresh.delete()
    return claim


# --- imports -------------------------------------------------------------------------------------


def _import_status(
    record: ClaimRecord, *, importer_role: str | None, members: dict[str, tuple[Any, str]]
) -> tuple[str, Any, str]:
    """The status an imported claim may keep, who approved it, and a note when it was lowered.

    The rule: an import never approves on its own authority. A record arrives approved only when
    an admin imports it and it names an author and a different approver, both members of the
    project, the approver an editor or admin; anything else that says ``approved`` arrives
    ``in_review`` for an editor to approve.
    """
    status = record.status
    if status not in ClaimStatus.values:
        raise ValidationError({"status": f"{status!r} is not a status; use one of: {', '.join(ClaimStatus.values)}."})
    if status != ClaimStatus.APPROVED:
        return status, None, ""
    author = members.get(record.created_by or "")
    approver = members.get(record.reviewed_by or "")
    if (
        workflow.is_admin(importer_role)
        and author is not None
        and approver is not None
        and record.created_by != record.reviewed_by
        and workflow.is_editor(approver[1])
    ):
        return status, approver[0], ""
    return (
        ClaimStatus.IN_REVIEW,
        None,
        "approved → in_review: an import approves only as the admin's record of "
        "a distinct author and approving editor who are members",
    )


@dataclass
class ImportedClaims:
    claims: list[int]  # the new claims' ids
    notes: list[str]


class ClaimsRefused(Exception):
    """Item number ``index`` of an import_claims_many call was refused (``error`` names the field)."""

    def __init__(self, index: int, error: ValidationError) -> None:
        super().__init__(f"item {index}: {error}")
        self.index = index
        self.error = error


def import_claims(
    *, article: Article, by: User | None, records: Sequence[ClaimRecord], now: datetime | None = None
) -> ImportedClaims:
    """``import_claims_many`` for one article; a refusal is the ValidationError itself."""
    try:
        return import_claims_many(items=[(article, records)], by=by, now=now)[0]
    except ClaimsRefused as refused:
        raise refused.error from None


def import_claims_many(
    *, items: Sequence[tuple[Article, Sequence[ClaimRecord]]], by: User | None, now: datetime | None = None
) -> list[ImportedClaims]:
    """Write imported articles' claims, sources and comments under the review rules, all at once.

    What a record says is kept where the rules allow: people (matched to members by username;
    others are named in the notes and the importer stands in), versions, timestamps, the first
    approval, corrections, retraction, anchor state. Model validation runs on every row before
    the write (URL schemes, lengths, choices, spans). A refusal is ``ClaimsRefused`` with the
    item's index and a ValidationError naming ``claims[i].field`` or
    ``claims[i].sources[j].field``; the caller's transaction then writes nothing. The articles
    belong to one project. Rows and history rows go in with a few multi-row INSERTs whatever the
    number of articles (``bulkrows``).
    """
    results = [ImportedClaims(claims=[], notes=[]) for _item in items]
    if not any(records for _article, records in items):
        return results
    now = now or timezone.now()
    project_id = items[0][0].project_id
    assert all(article.project_id == project_id for article, _records in items), "one project per call"
    importer_role = role_of(project_id, by) if by is not None else workflow.ADMIN
    members = {
        m.user.get_username(): (m.user, m.role)
        for m in Membership.objects.filter(project_id=project_id).select_related("user")
    }
    unknown: set[str] = set()

    def person(name: str | None, fallback: User | None) -> User | None:
        if not name:
            return fallback
        if name not in members:
            unknown.add(name)
            return fallback
        return members[name][0]

    def pk(user: User | None) -> int | None:
        return user.pk if user is not None else None

    claim_rows: list[dict[str, Any]] = []
    source_rows: list[list[dict[str, Any]]] = []  # by claim
    comment_rows: list[list[dict[str, Any]]] = []
    owners: list[int] = []  # the item each claim row belongs to
    columns = [f.attname for f in Claim._meta.concrete_fields if not f.primary_key]
    for item_index, (article, records) in enumerate(items):
        notes = results[item_index].notes
        unknown.clear()
        for index, record in enumerate(records):
            try:
                status, approver, note = _import_status(record, importer_role=importer_role, members=members)
                if note:
                    notes.append(f"claims[{index}]: {note}")
                span = _span(article.text, record.start, record.end, record.quote)
                kept = status == record.status
                claim = Claim(
                    article=article,
                    start=span.start,
                    end=span.end,
                    quote=span.quote,
                    prefix=span.prefix,
                    suffix=span.suffix,
                    claim_text=record.claim_text or span.quote,
                    claimant=record.claimant,
                    claimant_type=record.claimant_type,
                    status=status,
                    verdict=record.verdict,
                    rationale=record.rationale,
                    created_by=person(record.created_by, by),
                    reviewed_by=approver,
                    version=record.version or 1,
                    submitted_at=now if status == ClaimStatus.IN_REVIEW else None,
                    corrected_at=record.corrected_at,
                    correction_note=record.correction_note,
                    # A first approval the import did not keep is not a publication date here.
                    approved_at=record.approved_at if kept and status == ClaimStatus.APPROVED else None,
                    retracted_at=record.retracted_at if kept else None,
                    retracted_by=person(record.retracted_by, None) if kept and record.retracted_at else None,
                    retraction_note=record.retraction_note if kept else "",
                    anchor_status=record.anchor_status,
                    anchor_confidence=record.anchor_confidence,
                    previous_quote=record.previous_quote,
                    # The times the record names; Django's auto_now would say "now".
                    created_at=record.created_at or now,
                    updated_at=record.updated_at or now,
                )
                _clean(claim)
            except ValidationError as error:
                raise ClaimsRefused(item_index, _prefixed(error, f"claims[{index}].")) from None
            sources = []
            for number, source_record in enumerate(record.sources):
                source = Source(claim=claim, added_by=person(source_record.added_by, by),
                                **{name: getattr(source_record, name) for name in SOURCE_FIELDS})  # fmt: skip
                try:
                    _source_clean(source)
                except ValidationError as error:
                    raise ClaimsRefused(item_index, _prefixed(error, f"claims[{index}].sources[{number}].")) from None
                source.created_at = source_record.created_at or now
                sources.append({f.attname: getattr(source, f.attname) for f in Source._meta.concrete_fields})
            comments = []
            for comment in record.comments:
                body = comment.body.strip()
                if body:
                    comments.append(
                        {"author_id": pk(person(comment.author, None)), "body": body,
                         "created_at": comment.created_at or now}
                    )  # fmt: skip
            claim_rows.append({name: getattr(claim, name) for name in columns})
            source_rows.append(sources)
            comment_rows.append(comments)
            owners.append(item_index)
        if unknown:
            notes.append(f"not members of this project, recorded as the importer: {', '.join(sorted(unknown))}")
    history = _written(by, now, reason="imported")
    claim_ids = bulkrows.insert(Claim, claim_rows, returning=True)
    bulkrows.insert_copies(Claim, claim_ids, _history_model(Claim), history)
    flat_sources: list[dict[str, Any]] = []
    for key, rows in zip(claim_ids, source_rows, strict=True):
        for row in rows:
            row.pop("id", None)
            row["claim_id"] = key
            flat_sources.append(row)
    source_ids = bulkrows.insert(Source, flat_sources, returning=True)
    bulkrows.insert_copies(Source, source_ids, _history_model(Source), history)
    # Captures in the file are not imported (a capture is what this server fetched; one read from
    # a file proves nothing): each imported source's page is captured anew.
    captures.schedule_saved([(key, row["url"]) for row, key in zip(flat_sources, source_ids, strict=True)], by=by)
    bulkrows.insert(
        ClaimComment,
        [
            {**comment, "claim_id": key}
            for key, comments in zip(claim_ids, comment_rows, strict=True)
            for comment in comments
        ],
    )
    for key, owner in zip(claim_ids, owners, strict=True):
        results[owner].claims.append(key)
    return results


def _prefixed(error: ValidationError, prefix: str) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError({f"{prefix}{name}": messages for name, messages in error.message_dict.items()})
    return ValidationError({prefix.rstrip("."): error.messages})


def editable_claims(claims: Sequence[Claim], user: User, role: str | None) -> None:
    """Mark each claim with what this person may do to it (the desk shows only those controls).

    A fixed number of queries for a whole article: sources are expected prefetched (or read
    into ``source_list``), and the four-eyes history of the claims in review is read in one query.
    """
    in_review = [c for c in claims if c.status == ClaimStatus.IN_REVIEW and workflow.is_editor(role)]
    editors = _substance_editors_of(in_review) if in_review else {}
    for claim in claims:
        is_author = _is_author(claim, user)
        claim.editable = workflow.can_edit(role, is_author=is_author)
        claim_facts = workflow.ClaimFacts(
            status=claim.status,
            verdict=claim.verdict,
            source_count=len(claim.source_list if hasattr(claim, "source_list") else claim.sources.all()),
            is_author=is_author,
            changed_since_submitted=user.pk in editors.get(claim.pk, ()),
        )
        claim.moves = workflow.moves_for(claim_facts, role) if claim.editable else []


# --- what was checked before: "same claim as" and copying an earlier verdict ---------------------
# The link and the copy are writes of a claim: they live here, under the same rules as any other
# change. Neither ever approves: a copied verdict is a starting point for the reviewer.

SAME_AS_REFUSED = "Only the reviewer who marked this claim, or an editor or admin, can link it to an earlier check."
EARLIER_NOT_APPROVED = "Only an approved, unretracted claim is an earlier check to link to."


def _earlier_claim(claim: Claim, by: User, earlier_claim_id: int) -> Claim:
    """An approved claim of one of ``by``'s projects (any other id is "not found", as for an outsider)."""
    target = Claim.objects.visible_to(by).select_related("article__project").filter(pk=earlier_claim_id).first()
    if target is None:
        raise ValidationError({"earlier_claim": "No such claim in your projects."})
    if target.pk == claim.pk:
        raise ValidationError({"earlier_claim": "A claim is not an earlier check of itself."})
    if target.status != ClaimStatus.APPROVED or target.retracted_at is not None:
        raise ValidationError({"earlier_claim": EARLIER_NOT_APPROVED})
    return target


def _fact_check(by: User, fact_check_id: int) -> FactCheck:
    check = FactCheck.objects.visible_to(by).filter(pk=fact_check_id).first()
    if check is None:
        raise ValidationError({"fact_check": "No such fact check in your projects' libraries."})
    return check


def link_same(*, claim: Claim, by: User, earlier_claim: int | None = None, fact_check: int | None = None) -> ClaimLink:
    """Record that ``claim`` is the same claim as an earlier approved claim or a library fact check.

    One link per claim: a new one replaces the old. The target must be one ``by`` may see.
    """
    if (earlier_claim is None) == (fact_check is None):
        raise ValidationError({"earlier_claim": "Name either an earlier claim or a fact check, not both."})
    with transaction.atomic():
        fresh = _lock(claim)
        if not workflow.can_edit(role_of(fresh.article.project_id, by), is_author=_is_author(fresh, by)):
            raise PermissionDenied(SAME_AS_REFUSED)
        target_claim = _earlier_claim(fresh, by, earlier_claim) if earlier_claim is not None else None
        if target_claim is not None and ClaimLink.objects.filter(claim=target_claim, earlier_claim=fresh).exists():
            raise ValidationError({"earlier_claim": "That claim is already linked as the same as this one."})
        target_check = _fact_check(by, fact_check) if fact_check is not None else None
        link, _created = ClaimLink.objects.update_or_create(
            claim=fresh,
            defaults={
                "earlier_claim": target_claim,
                "fact_check": target_check,
                "created_by": by,
                "created_at": timezone.now(),
            },
        )
    return link


def unlink_same(*, claim: Claim, by: User) -> None:
    with transaction.atomic():
        fresh = _lock(claim)
        if not workflow.can_edit(role_of(fresh.article.project_id, by), is_author=_is_author(fresh, by)):
            raise PermissionDenied(SAME_AS_REFUSED)
        ClaimLink.objects.filter(claim=fresh).delete()


_COPY_STANCE: dict[str, str] = {
    Verdict.TRUE: "supports",
    Verdict.MOSTLY_TRUE: "supports",
    Verdict.FALSE: "refutes",
    Verdict.MOSTLY_FALSE: "refutes",
    Verdict.MISLEADING: "refutes",
}


def copy_verdict(
    *,
    claim: Claim,
    by: User,
    expected_version: int | None,
    earlier_claim: int | None = None,
    fact_check: int | None = None,
) -> Claim:
    """Copy an earlier check's verdict and sources into ``claim`` as a starting point.

    The verdict is taken; the rationale only when the claim has none (it says where it came
    from); the earlier claim's sources are added (a library fact check becomes a source: its
    review). The status never moves, so a copied verdict is approved only by the usual four-eyes
    step. A published claim is corrected openly, not overwritten by a copy: refused.
    """
    if (earlier_claim is None) == (fact_check is None):
        raise ValidationError({"earlier_claim": "Name either an earlier claim or a fact check, not both."})
    with transaction.atomic():
        fresh = _lock(claim, expected_version)
        if not workflow.can_edit(role_of(fresh.article.project_id, by), is_author=_is_author(fresh, by)):
            raise PermissionDenied(workflow.EDIT_REFUSED)
        if fresh.status == ClaimStatus.APPROVED:
            raise ValidationError(
                {"status": "This claim is published: change its verdict as a correction, not by copying."}
            )
        new_sources: list[Source] = []
        if earlier_claim is not None:
            target = _earlier_claim(fresh, by, earlier_claim)
            verdict = target.verdict
            origin = f"Copied from an earlier check ({target.article.project.name}, claim {target.pk})"
            rationale = f"{origin}: {target.rationale}" if target.rationale else origin + "."
            known = set(fresh.sources.values_list("url", flat=True))
            for source in target.sources.all():
                if source.url not in known:
                    known.add(source.url)
                    new_sources.append(
                        Source(claim=fresh, added_by=by, **{n: getattr(source, n) for n in SOURCE_FIELDS})
                    )
        else:
            check = _fact_check(by, fact_check or 0)
            verdict = check.verdict
            origin = f"Copied from {check.publisher_name or 'a published fact check'}"
            if check.rating_label:
                origin += f" (rated “{check.rating_label}”)"
            rationale = f"{origin}: {check.review_body}" if check.review_body else origin + "."
            if check.url and not fresh.sources.filter(url=check.url).exists():
                new_sources.append(
                    Source(
                        claim=fresh,
                        added_by=by,
                        url=check.url,
                        title=f"Fact check: {check.claim_reviewed}"[: limits.TITLE_CHARS],
                        publisher=check.publisher_name[: limits.PUBLISHER_CHARS],
                        excerpt=check.review_body[: limits.EXCERPT_CHARS],
                        stance=_COPY_STANCE.get(check.verdict, "context"),
                    )
                )
        if verdict:
            fresh.verdict = verdict
        if not fresh.rationale.strip():
            fresh.rationale = rationale[: limits.RATIONALE_CHARS]
        for source in new_sources:
            _source_clean(source)
        _save(fresh, by, reason="verdict and sources copied from an earlier check")
        if new_sources:
            copied = bulk_create_with_history(new_sources, Source, default_user=by, default_change_reason="copied")
            captures.schedule(copied, by=by)  # copied sources are evidence of this claim too
    return fresh


def import_links(
    *, project: Project, by: User | None, pending: Sequence[tuple[int, dict[str, Any]]], by_old_id: dict[int, int]
) -> dict[int, list[str]]:
    """The "same claim as" links an import carries (by new claim id), once every claim of the input is written.

    A link to a claim follows that claim when it came in the same input (its old id maps to its
    new row); a link to a published fact check finds it in the project's library (by URL, or
    publisher and claim) or, when the importer may fill the library (an editor, or the operator),
    brings it in. Links that cannot be kept are named in the notes, by the new claim's id.
    """
    from . import factchecks

    notes: dict[int, list[str]] = {}
    links: list[ClaimLink] = []
    # A link names an earlier *published* check, as link_same requires: a target the import
    # lowered to review (or that came retracted) is not one here.
    published = set(
        Claim.objects.filter(
            pk__in=[t for _c, s in pending if (t := by_old_id.get(s.get("claim_id", -1))) is not None],
            status=ClaimStatus.APPROVED,
            retracted_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    checks: list[tuple[int, factchecks.FactCheckRecord]] = []
    for claim, same_as in pending:
        if "claim_id" in same_as:
            target = by_old_id.get(same_as["claim_id"])
            if target is None or target == claim:
                notes.setdefault(claim, []).append(
                    f"“same claim as” claim {same_as['claim_id']} was not kept: that claim is not in this import"
                )
                continue
            if target not in published:
                notes.setdefault(claim, []).append(
                    f"“same claim as” claim {same_as['claim_id']} was not kept: that claim is not approved here"
                )
                continue
            links.append(ClaimLink(claim_id=claim, earlier_claim_id=target, created_by=by))
            continue
        data = same_as["fact_check"]
        record = factchecks.FactCheckRecord(
            claim_reviewed=" ".join(data["claim_reviewed"].split()),
            url=data.get("url") or "",
            publisher_name=data.get("publisher") or "",
            rating_label=data.get("rating") or "",
            verdict=data.get("verdict") or "",
            where=f"claim {claim}: same_as.fact_check",
        )
        if record.verdict not in Verdict.values:
            record.verdict = ""
        checks.append((claim, record))
    # The library entries the links name, found in one query; only the missing ones are brought in.
    wanted = sorted({record.key() for _c, record in checks})
    known = {
        check.key: check
        for begin in range(0, len(wanted), 500)  # under SQLite's parameter limit, however many links
        for check in FactCheck.objects.filter(project=project, key__in=wanted[begin : begin + 500])
    }
    for claim, record in checks:
        key = record.key()
        if key not in known:
            try:
                factchecks.import_records(project=project, by=by, records=[record])
            except PermissionDenied:
                notes.setdefault(claim, []).append(
                    "“same claim as” a fact check not in the library was not kept: only editors add to it"
                )
                continue
            known[key] = FactCheck.objects.get(project=project, key=key)
        links.append(ClaimLink(claim_id=claim, fact_check=known[key], created_by=by))
    ClaimLink.objects.bulk_create(links)
    return notes
