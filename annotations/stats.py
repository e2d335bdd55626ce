"""Agreement between reviewers and the project dashboard: reads, plus the agreement report job."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncWeek

from . import agreement, jobs, queueing
from .models import AgreementReport, BlindVerdict, Claim, ClaimStatus, ExtractionRun, Project, RunStatus, Verdict

# Above this many ratings + claims, agreement is computed by a worker rather than in the request.
AGREEMENT_INLINE_LIMIT = 2_000


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
    """Compute a queued report; safe to run twice (``jobs.claim`` lets one run proceed)."""
    if not jobs.claim(AgreementReport, report_id):
        return AgreementReport.objects.filter(pk=report_id).first()
    report = AgreementReport.objects.select_related("project").get(pk=report_id)
    try:
        jobs.finish(AgreementReport, report_id, data=compute_agreement(report.project))
    except Exception as error:  # recorded on the report, which is what the page shows
        jobs.fail(AgreementReport, report_id, error)
    report.refresh_from_db()
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
