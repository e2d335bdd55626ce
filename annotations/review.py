"""Review steps around a claim: comments, sending back, queues, blind verdicts and the timeline.

Status moves themselves are ``claims.move``: this module adds what goes with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet

from . import claims, limits, workflow
from .models import Article, BlindVerdict, Claim, ClaimComment, ClaimStatus, Source, Verdict

if TYPE_CHECKING:
    from django.contrib.auth.models import User

EDITOR_ROLES = workflow.EDITOR_ROLES
COMMENT_MAX_CHARS = 10_000


def add_comment(*, claim: Claim, author: User, body: str) -> ClaimComment:
    if claims.role_of(claim.article.project_id, author) is None:
        raise PermissionDenied(workflow.MEMBERS_ONLY)
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a comment first."})
    if len(body) > limits.COMMENT_CHARS:
        raise ValidationError({"body": f"A comment can have at most {limits.COMMENT_CHARS:,} characters."})
    return ClaimComment.objects.create(claim=claim, author=author, body=body)


def send_back(*, claim: Claim, by: User, comment: str, expected_version: int | None = None) -> Claim:
    """An editor returns a claim to its author with the reason as a comment, in one transaction."""
    if not comment.strip():
        raise ValidationError({"body": "Say what needs to change when you send a claim back."})
    with transaction.atomic():
        moved = claims.move(claim=claim, by=by, target=ClaimStatus.NEEDS_CHANGES, expected_version=expected_version)
        add_comment(claim=moved, author=by, body=comment)
    return moved


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
    return (
        Claim.objects.visible_to(user)
        .filter(created_by=user, status=ClaimStatus.NEEDS_CHANGES)
        .select_related("article__project")
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


def timeline(claim: Claim) -> list[TimelineEntry]:
    """Every recorded change to the claim and its sources, and every comment, oldest first."""
    entries: list[TimelineEntry] = []
    # Bookkeeping the status change already says (when it was submitted, first approved).
    skip = {"version", "updated_at", "prefix", "suffix", "submitted_at", "approved_at"}
    records = list(claim.history.select_related("history_user").order_by("history_date", "history_id"))
    # People appear in the history as ids; show their names.
    ids = {r.reviewed_by_id for r in records} | {r.created_by_id for r in records}
    names = dict(get_user_model().objects.filter(pk__in=ids - {None}).values_list("pk", "username"))

    def shown(field: str, value: Any) -> object:
        return names.get(value, value) if field in ("reviewed_by", "created_by") else value

    previous = None
    for record in records:
        who = record.history_user.get_username() if record.history_user else "system"
        if previous is None:
            entries.append(TimelineEntry(record.history_date, who, "marked the claim", [f"“{record.quote}”"]))
        else:
            delta = record.diff_against(previous)
            details = [
                f"{c.field}: {shown(c.field, c.old) or '—'} → {shown(c.field, c.new) or '—'}"
                for c in delta.changes
                if c.field not in skip
            ]
            if details:
                entries.append(TimelineEntry(record.history_date, who, "changed", details))
        previous = record
    verbs = {"+": "added source", "~": "edited source", "-": "removed source"}
    for record in Source.history.filter(claim_id=claim.pk).select_related("history_user"):
        who = record.history_user.get_username() if record.history_user else "system"
        label = f"{record.title or record.url} ({record.stance})"
        entries.append(TimelineEntry(record.history_date, who, verbs[record.history_type], [label]))
    for comment in claim.comments.select_related("author"):
        who = comment.author.get_username() if comment.author else "former member"
        entries.append(TimelineEntry(comment.created_at, who, "commented", [comment.body]))
    return sorted(entries, key=lambda entry: entry.when)
