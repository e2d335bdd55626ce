"""Team review: assignment, queues, comments, blind double review, agreement and the dashboard."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from . import agreement, limits, queueing, workflow
from .models import (
    AgreementReport,
    Article,
    BlindVerdict,
    Claim,
    ClaimComment,
    ClaimStatus,
    ExtractionRun,
    Membership,
    Project,
    Role,
    RunStatus,
    Verdict,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

EDITOR_ROLES = workflow.EDITOR_ROLES
LAST_ADMIN = "The project must keep at least one admin."
# Above this many ratings + claims, agreement is computed by a worker rather than in the request.
AGREEMENT_INLINE_LIMIT = 2_000


def require_editor(project: Project, user: AbstractBaseUser) -> str:
    role = project.role_of(user)
    if role not in EDITOR_ROLES:
        raise PermissionDenied("Only editors and admins of this project can do this.")
    return str(role)


def require_admin(project: Project, user: AbstractBaseUser) -> None:
    if project.role_of(user) != Role.ADMIN:
        raise PermissionDenied("Only admins of this project can change its members and settings.")


def set_member(*, project: Project, username: str, role: str, by: AbstractBaseUser) -> Membership:
    """Add a user to the project or change their role (admins only)."""
    require_admin(project, by)
    if role not in Role.values:
        raise ValidationError({"role": f"{role!r} is not a role; use one of: {', '.join(Role.values)}."})
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        raise ValidationError({"username": f"No user is called {username.strip()!r}."})
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(project=project, user=user).first()
        if membership is None:
            return Membership.objects.create(project=project, user=user, role=role)
        if role != Role.ADMIN and membership.is_last_admin():
            raise ValidationError({"role": LAST_ADMIN})
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def remove_member(*, project: Project, username: str, by: AbstractBaseUser) -> None:
    require_admin(project, by)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(project=project, user__username=username).first()
        if membership is None:
            raise ValidationError({"username": f"{username!r} is not a member of this project."})
        if membership.is_last_admin():
            raise ValidationError({"role": LAST_ADMIN})
        membership.delete()


def set_double_review(*, project: Project, enabled: bool, by: AbstractBaseUser) -> Project:
    require_admin(project, by)
    project.double_review = enabled
    project.save(update_fields=["double_review"])
    return project


def assign_article(*, article: Article, assignee: AbstractBaseUser | None, by: AbstractBaseUser) -> Article:
    require_editor(article.project, by)
    if assignee is not None and article.project.role_of(assignee) is None:
        raise ValidationError({"assignee": f"{assignee.get_username()} is not a member of this project."})
    article.assignee = assignee
    article.save(update_fields=["assignee", "updated_at"])
    return article


def add_comment(*, claim: Claim, author: AbstractBaseUser, body: str) -> ClaimComment:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a comment first."})
    if len(body) > limits.COMMENT_CHARS:
        raise ValidationError({"body": f"A comment can have at most {limits.COMMENT_CHARS:,} characters."})
    return ClaimComment.objects.create(claim=claim, author=author, body=body)


def send_back(*, claim: Claim, by: AbstractBaseUser, comment: str, expected_version: int | None = None) -> Claim:
    """An editor returns a claim to its author with the reason as a comment, in one transaction."""
    if not comment.strip():
        raise ValidationError({"body": "Say what needs to change when you send a claim back."})
    with transaction.atomic():
        moved = claim.move_to(ClaimStatus.NEEDS_CHANGES, by=by, expected_version=expected_version)
        add_comment(claim=moved, author=by, body=comment)
    return moved


# --- queues --------------------------------------------------------------------------------------


def my_queue(user: AbstractBaseUser) -> QuerySet[Article]:
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


def my_claims_to_fix(user: AbstractBaseUser) -> QuerySet[Claim]:
    return (
        Claim.objects.visible_to(user)
        .filter(created_by=user, status=ClaimStatus.NEEDS_CHANGES)
        .select_related("article__project")
    )


def needs_review(user: AbstractBaseUser) -> QuerySet[Claim]:
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


def disagreements(user: AbstractBaseUser) -> QuerySet[Claim]:
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


def submit_blind_verdict(
    *, claim: Claim, reviewer: AbstractBaseUser, verdict: str, rationale: str = ""
) -> BlindVerdict:
    project = claim.article.project
    if not project.double_review:
        raise ValidationError({"verdict": "This project does not use blind double review."})
    if project.role_of(reviewer) is None:
        raise PermissionDenied("Only members of the project can give a verdict.")
    if verdict not in Verdict.values:
        raise ValidationError({"verdict": f"{verdict!r} is not a verdict; use one of: {', '.join(Verdict.values)}."})
    if len(rationale.strip()) > limits.RATIONALE_CHARS:
        raise ValidationError({"rationale": f"A rationale can have at most {limits.RATIONALE_CHARS:,} characters."})
    blind, _ = BlindVerdict.objects.update_or_create(
        claim=claim, reviewer=reviewer, defaults={"verdict": verdict, "rationale": rationale.strip()}
    )
    return blind


def blind_verdicts_visible_to(claim: Claim, user: AbstractBaseUser) -> list[BlindVerdict]:
    """Editors see every blind verdict; a reviewer sees only their own, so reviews stay independent."""
    verdicts = claim.blind_verdicts.select_related("reviewer")
    if claim.article.project.role_of(user) in EDITOR_ROLES:
        return list(verdicts)
    return list(verdicts.filter(reviewer=user))


# --- agreement -----------------------------------------------------------------------------------


def compute_agreement(project: Project) -> dict[str, Any]:
    """Agreement on verdicts (blind verdicts) and on claim spans (claims by different reviewers)."""
    ratings: dict[int, dict[int, str]] = defaultdict(dict)
    for claim_id, reviewer_id, verdict in BlindVerdict.objects.filter(claim__article__project=project).values_list(
        "claim_id", "reviewer_id", "verdict"
    ):
        ratings[claim_id][reviewer_id] = verdict
    rated_twice = {unit: by for unit, by in ratings.items() if len(by) >= 2}
    result: dict[str, Any] = {
        "units_rated_twice": len(rated_twice),
        "ratings": sum(len(by) for by in ratings.values()),
        "alpha": None,
        "kappa_pairs": [],
    }
    if rated_twice:
        alpha = agreement.krippendorff_alpha_nominal(rated_twice)
        result["alpha"] = None if alpha != alpha else round(alpha, 4)  # NaN -> None for JSON
    reviewers = sorted({r for by in rated_twice.values() for r in by})
    for first, second in combinations(reviewers, 2):
        common = [unit for unit, by in rated_twice.items() if first in by and second in by]
        if len(common) >= 2:
            kappa = agreement.cohen_kappa(
                [rated_twice[u][first] for u in common], [rated_twice[u][second] for u in common]
            )
            result["kappa_pairs"].append({"reviewers": [first, second], "items": len(common), "kappa": round(kappa, 4)})

    spans: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for article_id, creator_id, start, end in Claim.objects.filter(
        article__project=project, created_by__isnull=False
    ).values_list("article_id", "created_by_id", "start", "end"):
        spans[article_id][creator_id].append((start, end))
    exact: list[float] = []
    overlap: list[float] = []
    for by_reviewer in spans.values():
        for first, second in combinations(sorted(by_reviewer), 2):
            pair = agreement.span_agreement(by_reviewer[first], by_reviewer[second])
            exact.append(pair.exact_f1)
            overlap.append(pair.overlap_f1)
    result["span_pairs"] = len(exact)
    result["span_exact_f1"] = round(sum(exact) / len(exact), 4) if exact else None
    result["span_overlap_f1"] = round(sum(overlap) / len(overlap), 4) if overlap else None
    return result


def agreement_size(project: Project) -> int:
    return (
        BlindVerdict.objects.filter(claim__article__project=project).count()
        + Claim.objects.filter(article__project=project).count()
    )


def run_agreement_report(report_id: int) -> AgreementReport | None:
    """Compute a queued report; safe to run twice (only a queued report is claimed)."""
    claimed = AgreementReport.objects.filter(pk=report_id, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING)
    if not claimed:
        return AgreementReport.objects.filter(pk=report_id).first()
    report = AgreementReport.objects.select_related("project").get(pk=report_id)
    try:
        report.data = compute_agreement(report.project)
        report.status = RunStatus.DONE
    except Exception as error:  # recorded on the report, which is what the page shows
        report.status, report.error = RunStatus.FAILED, f"{type(error).__name__}: {error}"
    report.finished_at = timezone.now()
    report.save(update_fields=["data", "status", "error", "finished_at"])
    return report


def request_agreement_report(project: Project) -> AgreementReport:
    """Compute agreement now for a small project; hand a big one to a worker."""
    report = AgreementReport.objects.create(project=project)
    if agreement_size(project) <= AGREEMENT_INLINE_LIMIT:
        return run_agreement_report(report.pk) or report
    from .tasks import compute_agreement_report

    queueing.send_on_commit(compute_agreement_report, [report.pk], job=report)
    return report


# --- dashboard -----------------------------------------------------------------------------------


def dashboard(project: Project) -> dict[str, Any]:
    claims = Claim.objects.filter(article__project=project)
    by_status = dict(claims.values_list("status").annotate(n=Count("id")).order_by())
    by_verdict = dict(claims.exclude(verdict="").values_list("verdict").annotate(n=Count("id")).order_by())
    history = Claim.history.model.objects.filter(article__project=project, status=ClaimStatus.IN_REVIEW)
    throughput = (
        history.exclude(history_user=None)
        .annotate(week=TruncWeek("history_date"))
        .values("history_user__username", "week")
        .annotate(claims=Count("id", distinct=True))
        .order_by("-week", "history_user__username")
    )
    latest_runs = ExtractionRun.objects.filter(article__project=project).order_by("article_id", "-created_at", "-id")
    run_state: dict[str, int] = defaultdict(int)
    seen: set[int] = set()
    for article_id, status in latest_runs.values_list("article_id", "status"):
        if article_id not in seen:
            seen.add(article_id)
            run_state[status] += 1
    run_state["not run"] = project.articles.count() - len(seen)
    reports = list(project.agreement_reports.filter(status=RunStatus.DONE).order_by("created_at")[:50])
    return {
        "by_status": [(label, by_status.get(value, 0)) for value, label in ClaimStatus.choices],
        "by_verdict": [(label, by_verdict.get(value, 0)) for value, label in Verdict.choices],
        "throughput": [
            {"reviewer": row["history_user__username"], "week": row["week"].date(), "claims": row["claims"]}
            for row in throughput
        ],
        "extraction": sorted(run_state.items()),
        "agreement_over_time": [(r.created_at, r.data.get("alpha"), r.data.get("span_overlap_f1")) for r in reports],
    }
