"""What an export asks for: a format, claim filters and format options, parsed once and checked.

The same parser serves the export page (a form POST), the API (query string or JSON body) and
``manage.py export_dataset``, so a filter means the same thing everywhere and a bad value gets the
same message naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import CharField, F, Q, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Concat
from django.db.models.lookups import Exact, In

from ..models import Article, ClaimStatus, Project, Verdict

# Keys accepted in a request; anything else is refused so a typo never silently widens an export.
PARAM_NAMES = (
    "format",
    "status",
    "verdict",
    "reviewer",
    "date_from",
    "date_to",
    "article",
    "include_unreviewed",
    "include_mentions",
    "include_suggestions",
    "bom",
)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ExportParamsError(ValueError):
    """Bad export parameters; ``errors`` maps each offending field to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ExportParams:
    format: str
    status: tuple[str, ...] = ()
    verdict: tuple[str, ...] = ()
    reviewer: str = ""
    date_from: date | None = None
    date_to: date | None = None
    article: int | None = None
    include_unreviewed: bool = False
    # Entity mentions (JSONL): machine output, most of a large export's bytes (27 MB of the
    # 7,000-claim export were mentions) and recomputed by extraction after an import; on request.
    include_mentions: bool = False
    # Check-worthiness scores of every sentence (JSONL): machine output too, on request.
    include_suggestions: bool = False
    bom: bool = False
    # Resolved during parsing so building the queryset needs no further lookups.
    reviewer_id: int | None = field(default=None, compare=False, repr=False)

    @property
    def statuses(self) -> tuple[str, ...]:
        """The statuses exported: approved only unless the caller explicitly asked for more."""
        if self.status:
            return self.status
        return () if self.include_unreviewed else (ClaimStatus.APPROVED.value,)

    @property
    def narrows_claims(self) -> bool:
        """Whether any filter leaves out claims of an article (a full dump keeps claimless articles)."""
        return bool(self.statuses or self.verdict or self.reviewer or self.date_from or self.date_to)

    def claim_q(self, *, by_article: bool = False) -> Q:
        """The claim filters as a Q over Claim.

        ``by_article``: the query also selects a few articles' claims, and that must drive it.
        Without statistics SQLite's planner prefers the index on status (or on the people) to
        the one on article, which reads every approved claim of the database for each chunk:
        an export quadratic in its size. Comparing an expression instead of the bare column
        takes those indexes out of the running.
        """
        q = Q()
        status: Any = Concat(F("status"), Value(""), output_field=CharField()) if by_article else F("status")
        if self.statuses:
            q &= Q(In(status, list(self.statuses)))
        if self.verdict:
            q &= Q(verdict__in=self.verdict)
        if self.reviewer_id is not None:
            people: list[Combinable] = [F("created_by_id"), F("reviewed_by_id")]
            if by_article:
                people = [Coalesce(person, Value(0)) for person in people]
            q &= Q(Exact(people[0], self.reviewer_id)) | Q(Exact(people[1], self.reviewer_id))
        # Half-open UTC day bounds keep the index on updated_at usable (no per-row date cast).
        if self.date_from:
            q &= Q(updated_at__gte=datetime.combine(self.date_from, time.min, tzinfo=UTC))
        if self.date_to:
            q &= Q(updated_at__lt=datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=UTC))
        if self.article is not None:
            q &= Q(article_id=self.article)
        return q

    @property
    def scope_name(self) -> str:
        """A word for which claims the file holds, for its name: two different exports made the
        same second never share a file name (approved-only versus all claims, above all)."""
        if self.status:
            scope = "-".join(s.replace("_", "-") for s in self.status)
        else:
            scope = "all-claims" if self.include_unreviewed else "approved"
        if self.verdict or self.reviewer or self.date_from or self.date_to or self.article is not None:
            scope += "-filtered"
        return scope

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON, without defaults: stored on the job and in the manifest."""
        data: dict[str, Any] = {"format": self.format}
        if self.status:
            data["status"] = list(self.status)
        if self.verdict:
            data["verdict"] = list(self.verdict)
        if self.reviewer:
            data["reviewer"] = self.reviewer
        if self.date_from:
            data["date_from"] = self.date_from.isoformat()
        if self.date_to:
            data["date_to"] = self.date_to.isoformat()
        if self.article is not None:
            data["article"] = self.article
        if self.include_unreviewed:
            data["include_unreviewed"] = True
        if self.include_mentions:
            data["include_mentions"] = True
        if self.include_suggestions:
            data["include_suggestions"] = True
        if self.bom:
            data["bom"] = True
        return data


def _raw_values(data: Mapping[str, Any], name: str) -> list[Any]:
    if hasattr(data, "getlist"):
        values: list[Any] = list(data.getlist(name))  # a QueryDict: status=a&status=b
    else:
        raw = data.get(name)
        values = [] if raw is None else list(raw) if isinstance(raw, list | tuple) else [raw]
    return values


def _list(data: Mapping[str, Any], name: str, allowed: Iterable[str], errors: dict[str, str]) -> tuple[str, ...]:
    items: list[str] = []
    for value in _raw_values(data, name):
        if not isinstance(value, str):
            errors[name] = f"{name} must be text (one value or a comma-separated list)."
            return ()
        items.extend(part.strip() for part in value.split(",") if part.strip())
    allowed = list(allowed)
    bad = [item for item in items if item not in allowed]
    if bad:
        errors[name] = f"{bad[0]!r} is not a valid {name}; use one of: {', '.join(allowed)}."
        return ()
    return tuple(dict.fromkeys(items))


def _single(data: Mapping[str, Any], name: str, errors: dict[str, str]) -> Any:
    values = _raw_values(data, name)
    if len(values) > 1:
        errors[name] = f"{name} takes one value."
        return None
    return values[0] if values else None


def _bool(data: Mapping[str, Any], name: str, errors: dict[str, str]) -> bool:
    value = _single(data, name, errors)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    errors[name] = f"{name} must be true or false."
    return False


def _date(data: Mapping[str, Any], name: str, errors: dict[str, str]) -> date | None:
    value = _single(data, name, errors)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = f"{name} must be a date like 2024-05-31."
        return None


def parse_params(data: Mapping[str, Any], *, project: Project) -> ExportParams:
    """Parse and check export parameters for ``project``; raises ExportParamsError naming each bad field.

    ``data`` is a QueryDict (form or query string), a JSON object or command-line options.
    """
    from .registry import FORMATS

    errors: dict[str, str] = {}
    unknown = sorted(key for key in data if key not in PARAM_NAMES)
    for key in unknown:
        errors[key] = f"{key} is not an export parameter; use: {', '.join(PARAM_NAMES)}."
    for key in PARAM_NAMES:
        # PostgreSQL refuses NUL in text; say so here rather than fail in the query.
        if any(isinstance(value, str) and "\x00" in value for value in _raw_values(data, key)):
            errors[key] = f"{key} must not contain NUL characters."
    if errors:
        raise ExportParamsError(errors)
    fmt = _single(data, "format", errors)
    if not fmt:
        errors.setdefault("format", f"Pick a format: {', '.join(FORMATS)}.")
    elif fmt not in FORMATS:
        errors.setdefault("format", f"{fmt!r} is not an export format; use one of: {', '.join(FORMATS)}.")
    status = _list(data, "status", ClaimStatus.values, errors)
    verdict = _list(data, "verdict", Verdict.values, errors)
    include_unreviewed = _bool(data, "include_unreviewed", errors)
    bom = _bool(data, "bom", errors)
    include_mentions = _bool(data, "include_mentions", errors)
    include_suggestions = _bool(data, "include_suggestions", errors)
    date_from = _date(data, "date_from", errors)
    date_to = _date(data, "date_to", errors)
    if date_from and date_to and date_from > date_to:
        errors["date_to"] = "date_to must be on or after date_from."
    if any(s != ClaimStatus.APPROVED for s in status) and not include_unreviewed:
        errors["status"] = (
            "Only approved claims are exported unless include_unreviewed is set; "
            "set it to export claims of other statuses."
        )

    article_id: int | None = None
    raw_article = _single(data, "article", errors)
    if raw_article not in (None, ""):
        try:
            article_id = int(raw_article)
            if isinstance(raw_article, bool):
                raise ValueError
        except (TypeError, ValueError):
            errors["article"] = "article must be an article id (a whole number)."
        else:
            if not Article.objects.filter(project=project, pk=article_id).exists():
                errors["article"] = f"There is no article {article_id} in this project."

    reviewer = _single(data, "reviewer", errors) or ""
    reviewer_id: int | None = None
    if reviewer:
        if not isinstance(reviewer, str):
            errors["reviewer"] = "reviewer must be a username."
        else:
            user_model = get_user_model()
            reviewer_id = (
                user_model.objects.filter(**{user_model.USERNAME_FIELD: reviewer}, memberships__project=project)
                .values_list("pk", flat=True)
                .first()
            )
            if reviewer_id is None:
                errors["reviewer"] = f"{reviewer!r} is not a member of this project."

    if not errors:
        params = ExportParams(
            format=fmt,
            status=status,
            verdict=verdict,
            reviewer=reviewer,
            date_from=date_from,
            date_to=date_to,
            article=article_id,
            include_unreviewed=include_unreviewed,
            include_mentions=include_mentions,
            include_suggestions=include_suggestions,
            bom=bom,
            reviewer_id=reviewer_id,
        )
        export_format = FORMATS[fmt]()
        errors.update(export_format.check(params))
        errors.update(export_format.check_project(project))
    if errors:
        raise ExportParamsError(errors)
    return params


def describe_filters(filters: dict[str, Any]) -> str:
    """A job's stored filters in words, for the export page (never a Python dict)."""
    status_labels, verdict_labels = dict(ClaimStatus.choices), dict(Verdict.choices)
    parts = []
    if filters.get("status"):
        parts.append("status: " + ", ".join(str(status_labels.get(s, s)) for s in filters["status"]))
    elif filters.get("include_unreviewed"):
        parts.append("all claims")
    else:
        parts.append("approved claims only")
    if filters.get("verdict"):
        parts.append("verdict: " + ", ".join(str(verdict_labels.get(v, v)) for v in filters["verdict"]))
    if filters.get("reviewer"):
        parts.append(f"reviewer: {filters['reviewer']}")
    if filters.get("date_from"):
        parts.append(f"from {filters['date_from']}")
    if filters.get("date_to"):
        parts.append(f"until {filters['date_to']}")
    if filters.get("article") is not None:
        parts.append(f"article #{filters['article']}")
    if filters.get("bom"):
        parts.append("with a byte-order mark")
    return "; ".join(parts)
