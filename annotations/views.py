"""HTML pages. Thin: each view scopes its lookup to the user's projects and renders."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from . import text as textlib
from .models import Article, ClaimStatus, EntityMention, ExtractionRun, Project


def project_list(request: HttpRequest) -> HttpResponse:
    projects = Project.objects.visible_to(request.user).annotate(article_count=Count("articles", distinct=True))
    return render(request, "annotations/project_list.html", {"projects": projects})


def article_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), slug=project_slug)
    articles = project.articles.annotate(
        claim_count=Count("claims", distinct=True),
        approved_count=Count("claims", filter=Q(claims__status=ClaimStatus.APPROVED), distinct=True),
    ).prefetch_related(
        Prefetch("extraction_runs", queryset=ExtractionRun.objects.order_by("-created_at", "-id"), to_attr="runs")
    )
    return render(request, "annotations/article_list.html", {"project": project, "articles": articles})


def article_detail(request: HttpRequest, project_slug: str, article_id: int) -> HttpResponse:
    article = get_object_or_404(
        Article.objects.visible_to(request.user).select_related("project"),
        project__slug=project_slug,
        pk=article_id,
    )
    claims = list(article.claims.in_text_order().prefetch_related("sources"))
    mentions = list(EntityMention.objects.filter(article=article).order_by("start", "end"))
    spans = [(c.start, c.end, f"claim:{c.pk}") for c in claims]
    spans += [(m.start, m.end, f"ent:{m.label}") for m in mentions]
    for claim in claims:
        claim.linked_mentions = claim.mentions_inside(mentions)  # type: ignore[attr-defined]
    context = {
        "project": article.project,
        "article": article,
        "paragraphs": textlib.segments(article.text, spans),
        "claims": claims,
        "mentions": mentions,
        "run": article.latest_run,
    }
    return render(request, "annotations/article_detail.html", context)


# --- exports (issue 6) -------------------------------------------------------------------------

from django.contrib import messages  # noqa: E402
from django.shortcuts import redirect  # noqa: E402
from django.views.decorators.http import require_http_methods  # noqa: E402

from .exports import ExportParamsError, format_choices, parse_params  # noqa: E402
from .exports.http import download_response, start_export  # noqa: E402
from .models import ExportJob, RunStatus, Verdict  # noqa: E402

# Form fields that are not export parameters.
_EXPORT_FORM_ONLY = ("csrfmiddlewaretoken", "background")


@require_http_methods(["GET", "POST"])
def export_page(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Pick a format and filters: small exports download at once, big ones become jobs listed below."""
    project = get_object_or_404(Project.objects.visible_to(request.user), slug=project_slug)
    errors: dict[str, str] = {}
    values = request.POST if request.method == "POST" else None
    if values is not None:
        data = values.copy()
        for name in _EXPORT_FORM_ONLY:
            data.pop(name, None)
        try:
            params = parse_params(data, project=project)
        except ExportParamsError as error:
            errors = error.errors
        else:
            background = bool(values.get("background"))
            result = start_export(project=project, params=params, user=request.user, background=background)
            if isinstance(result, ExportJob):
                messages.info(request, f"Export {result.pk} is running in the background; it will be listed below.")
                return redirect("export-page", project_slug=project.slug)
            return result
    jobs = list(project.export_jobs.select_related("created_by")[:50])
    context = {
        "project": project,
        "formats": format_choices(),
        "statuses": ClaimStatus.choices,
        "verdicts": Verdict.choices,
        "reviewers": project.members.order_by("username"),
        "values": values,
        "checked": {name: values.getlist(name) for name in ("status", "verdict")} if values else {},
        "errors": errors,
        "jobs": jobs,
        "busy": any(job.status in (RunStatus.QUEUED, RunStatus.RUNNING) for job in jobs),
    }
    return render(request, "annotations/exports.html", context, status=400 if errors else 200)


def export_job_detail(request: HttpRequest, project_slug: str, job_id: int) -> HttpResponse:
    """One job's row (status, progress, manifest) as an HTML fragment, for a partial refresh."""
    job = get_object_or_404(
        ExportJob.objects.filter(project__in=Project.objects.visible_to(request.user)).select_related("project"),
        project__slug=project_slug,
        pk=job_id,
    )
    return render(request, "annotations/_export_job.html", {"project": job.project, "job": job})


def export_download(request: HttpRequest, project_slug: str, job_id: int) -> HttpResponse:
    job = get_object_or_404(
        ExportJob.objects.filter(project__in=Project.objects.visible_to(request.user)),
        project__slug=project_slug,
        pk=job_id,
    )
    return download_response(job)
