"""Review steps around a claim: comments, sending back, queues, blind verdicts and the timeline.

Status moves themselves are ``claims.move``: this module adds what goes with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format

from . import claims, limits, workflow
from .models import (
    Article,
    BlindVerdict,
    Capture,
    Claim,
    ClaimComment,
    ClaimStatus,
    ExcerptState,
    RunStatus,
    Source,
    Verdict,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

EDITOR_ROLES = workflow.EDITOR_ROLES
COMMENT_MAX_CHARS = 10_000


def add_comment(*, claim: Claim, author: User, body: str, sends_back: bool = False) -> ClaimComment:
    if claims.role_of(claim.article.project_id, author) is None:
        raise PermissionDenied(workflow.MEMBERS_ONLY)
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a comment first."})
    if len(body) > limits.COMMENT_CHARS:
        raise ValidationError({"body": f"A comment can have at most {limits.COMMENT_CHARS:,} characters."})
    return ClaimComment.objects.create(claim=claim, author=author, body=body, sends_back=sends_back)


def send_back(*, claim: Claim, by: User, comment: str, expected_version: int | None = None) -> Claim:
    """An editor returns a claim to its author with the reason as a comment, in one transaction."""
    if not comment.strip():
        raise ValidationError({"body": "Say what needs to change when you send a claim back."})
    with transaction.atomic():
        moved = claims.move(claim=claim, by=by, target=ClaimStatus.NEEDS_CHANGES, expected_version=expected_version)
        add_comment(claim=moved, author=by, body=comment, sends_back=True)
    return moved


def send_back_reasons(claim_ids: list[int]) -> dict[int, ClaimComment]:
    """The latest send-back comment of each claim (one query): why it needs changes."""
    latest: dict[int, ClaimComment] = {}
    if not claim_ids:
        return latest
    comments = ClaimComment.objects.filter(claim_id__in=claim_ids, sends_back=True).select_related("author")
    for comment in comments.order_by("created_at", "id"):
        latest[comment.claim_id] = comment
    return latest


def _latest_send_back(field: str) -> Subquery:
    latest = ClaimComment.objects.filter(claim=OuterRef("pk"), sends_back=True).order_by("-created_at", "-id")
    return Subquery(latest.values(field)[:1])


# --- queues --------------------------------------------------------------------------------------


def my_queue(user: User) -> QuerySet[Article]:
    """Articles assigned to the user that still have claims short of approval (or none yet)."""
    return (
        Article.objects.visible_to(user)
        .filter(assignee=user)
        .select_related("project")
        .annotate(
            open_claims=Count("claims", filter=~Q(claims__status=ClaimStatus.APPROVED), distinct=True),
            claim_total=Count("claims", distinct=True),
        )
        .filter(Q(open_claims__gt=0) | Q(claim_total=0))
        .order_by("project__name", "-created_at")
    )


def my_claims_to_fix(user: User) -> QuerySet[Claim]:
    """The user's claims sent back, each with the latest reason (``send_back_body``, ``send_back_by``)."""
    return (
        Claim.objects.visible_to(user)
        .filter(created_by=user, status=ClaimStatus.NEEDS_CHANGES)
        .select_related("article__project")
        .annotate(send_back_body=_latest_send_back("body"), send_back_by=_latest_send_back("author__username"))
    )


def needs_review(user: User) -> QuerySet[Claim]:
    """Claims in review in the projects the user edits, except the user's own (four eyes)."""
    return (
        Claim.objects.filter(
            article__project__memberships__user=user,
            article__project__memberships__role__in=EDITOR_ROLES,
            status=ClaimStatus.IN_REVIEW,
        )
        .exclude(created_by=user)
        .select_related("article__project", "created_by")
        .annotate(source_count=Count("sources", distinct=True))
        .order_by("updated_at", "id")
    )


def disagreements(user: User) -> QuerySet[Claim]:
    """Claims of double-review projects the user edits where blind verdicts differ."""
    return (
        Claim.objects.filter(
            article__project__memberships__user=user,
            article__project__memberships__role__in=EDITOR_ROLES,
            article__project__double_review=True,
        )
        .annotate(distinct_verdicts=Count("blind_verdicts__verdict", distinct=True))
        .filter(distinct_verdicts__gte=2)
        .select_related("article__project")
        .order_by("id")
    )


def changed_sources(user: User) -> QuerySet[Source]:
    """Sources in the projects the user edits whose latest capture no longer holds the quoted excerpt.

    The page changed since the excerpt was quoted: an editor decides whether the claim still
    stands on it (the capture that had the excerpt is kept).
    """
    latest = Capture.objects.filter(source=OuterRef("pk"), status=RunStatus.DONE).order_by("-fetched_at", "-id")
    return (
        Source.objects.filter(
            claim__article__project__memberships__user=user,
            claim__article__project__memberships__role__in=EDITOR_ROLES,
        )
        .annotate(latest_excerpt_state=Subquery(latest.values("excerpt_state")[:1]))
        .filter(latest_excerpt_state=ExcerptState.CHANGED)
        .select_related("claim__article__project")
        .order_by("claim_id", "id")
    )


# --- blind double review -----------------------------------------------------------------------


def submit_blind_verdict(*, claim: Claim, reviewer: User, verdict: str, rationale: str = "") -> BlindVerdict:
    project = claim.article.project
    if not project.double_review:
        raise ValidationError({"verdict": "This project does not use blind double review."})
    if claims.role_of(project, reviewer) is None:
        raise PermissionDenied("Only members of the project can give a verdict.")
    if verdict not in Verdict.values:
        raise ValidationError({"verdict": f"{verdict!r} is not a verdict; use one of: {', '.join(Verdict.values)}."})
    if len(rationale.strip()) > limits.RATIONALE_CHARS:
        raise ValidationError({"rationale": f"A rationale can have at most {limits.RATIONALE_CHARS:,} characters."})
    blind, _ = BlindVerdict.objects.update_or_create(
        claim=claim, reviewer=reviewer, defaults={"verdict": verdict, "rationale": rationale.strip()}
    )
    return blind


def blind_verdicts_visible_to(claim: Claim, user: User) -> list[BlindVerdict]:
    """Editors see every blind verdict; a reviewer sees only their own, so reviews stay independent."""
    verdicts = claim.blind_verdicts.select_related("reviewer")
    if claims.role_of(claim.article.project_id, user) in EDITOR_ROLES:
        return list(verdicts)
    return list(verdicts.filter(reviewer=user))


# --- the timeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    who: str
    what: str
    details: list[str]


# What each recorded field is called on the page; fields left out are bookkeeping (the version,
# timestamps kept in step by the model, the 32 characters of context around the quote).
CLAIM_FIELDS = {
    "claim_text": "Claim",
    "quote": "Quote",
    "start": "Start (character)",
    "end": "End (character)",
    "claimant": "Claimant",
    "claimant_type": "Claimant type",
    "status": "Status",
    "verdict": "Verdict",
    "rationale": "Rationale",
    "reviewed_by": "Approved by",
    "created_by": "Marked by",
    "anchor_status": "Placement in the text",
    "previous_quote": "Quote before the text was corrected",
    "corrected_at": "Corrected",
    "correction_note": "Correction note",
    "retracted_at": "Retracted",
    "retracted_by": "Retracted by",
    "retraction_note": "Retraction note",
}
SOURCE_FIELDS = {
    "url": "Link",
    "title": "Title",
    "publisher": "Publisher",
    "excerpt": "Excerpt",
    "stance": "Stance",
    "archived_url": "Archived copy",
    "accessed_at": "Accessed",
}
PEOPLE_FIELDS = ("reviewed_by", "created_by", "retracted_by")
LONG_TEXT = 200


def _in_words(model: type[models.Model], field: str, value: Any, names: dict[int, str]) -> str:
    """A stored value as a person reads it: labels for choices, names for people, local times."""
    if value in (None, ""):
        return "—"
    if field in PEOPLE_FIELDS:
        return names.get(value, "a former member")
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "j M Y, H:i T")
    choices = dict(getattr(model._meta.get_field(field), "choices", None) or [])
    text = str(choices.get(value, value))
    return text if len(text) <= LONG_TEXT else text[: LONG_TEXT - 1] + "…"


def _changes(
    model: type[models.Model], labels: dict[str, str], record: Any, previous: Any, names: dict[int, str]
) -> list[str]:
    order = list(labels)
    changes = sorted(record.diff_against(previous, included_fields=order).changes, key=lambda c: order.index(c.field))
    return [
        f"{labels[c.field]}: {_in_words(model, c.field, c.old, names)} → {_in_words(model, c.field, c.new, names)}"
        for c in changes
    ]


def _what(record: Any, previous: Any) -> str:
    """A headline for a change: the status move in words when there is one."""
    if record.status != previous.status:
        label = dict(ClaimStatus.choices)
        verbs = {
            ClaimStatus.IN_REVIEW: "submitted it for review",
            ClaimStatus.APPROVED: "approved it",
            ClaimStatus.NEEDS_CHANGES: "sent it back for changes",
            ClaimStatus.IN_PROGRESS: "started work on it",
        }
        return verbs.get(record.status, f"moved it to {label.get(record.status, record.status)}")
    if record.retracted_at and not previous.retracted_at:
        return "retracted it"
    if record.corrected_at != previous.corrected_at:
        return "corrected it"
    return "changed it"


def timeline(claim: Claim) -> list[TimelineEntry]:
    """Every recorded change to the claim and its sources, and every comment, oldest first, in words."""
    entries: list[TimelineEntry] = []
    records = list(claim.history.select_related("history_user").order_by("history_date", "history_id"))
    # People appear in the history as ids; show their names.
    ids = {getattr(r, f"{field}_id") for r in records for field in PEOPLE_FIELDS}
    names = dict(get_user_model().objects.filter(pk__in=ids - {None}).values_list("pk", "username"))

    previous = None
    for record in records:
        who = record.history_user.get_username() if record.history_user else "system"
        if previous is None:
            entries.append(TimelineEntry(record.history_date, who, "marked the claim", [f"“{record.quote}”"]))
        else:
            details = _changes(Claim, CLAIM_FIELDS, record, previous, names)
            if details:
                entries.append(TimelineEntry(record.history_date, who, _what(record, previous), details))
        previous = record
    last_source: dict[int, Any] = {}
    source_records = Source.history.filter(claim_id=claim.pk).select_related("history_user")
    for record in source_records.order_by("history_date", "history_id"):
        who = record.history_user.get_username() if record.history_user else "system"
        name = f"“{record.title or record.url}”"
        before = last_source.get(record.id)
        if record.history_type == "+" or before is None:
            details = [
                f"{label}: {_in_words(Source, field, getattr(record, field), names)}"
                for field, label in SOURCE_FIELDS.items()
                if getattr(record, field) not in (None, "")
            ]
            entries.append(TimelineEntry(record.history_date, who, f"added the source {name}", details))
        elif record.history_type == "-":
            entries.append(TimelineEntry(record.history_date, who, f"removed the source {name}", []))
        else:
            details = _changes(Source, SOURCE_FIELDS, record, before, names)
            if details:
                entries.append(TimelineEntry(record.history_date, who, f"edited the source {name}", details))
        last_source[record.id] = record
    for comment in claim.comments.select_related("author"):
        who = comment.author.get_username() if comment.author else "former member"
        what = "sent it back, saying" if comment.sends_back else "commented"
        entries.append(TimelineEntry(comment.created_at, who, what, [comment.body]))
    return sorted(entries, key=lambda entry: entry.when)
