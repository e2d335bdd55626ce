"""HTML pages. Thin: each view scopes its lookup to the user's projects and renders."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from . import text as textlib
from .extraction import fail_run, is_stuck, project_progress
from .models import Article, ClaimStatus, EntityMention, ExtractionRun, Project, Role, RunStatus


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


# --- entity extraction (issue 3) -----------------------------------------------------------------


def _member_article(request: HttpRequest, project_slug: str, article_id: int) -> Article:
    return get_object_or_404(
        Article.objects.visible_to(request.user).select_related("project"), project__slug=project_slug, pk=article_id
    )


@require_http_methods(["GET", "POST"])
def article_extraction(request: HttpRequest, project_slug: str, article_id: int) -> HttpResponse:
    """GET: the extraction state partial (the page polls it). POST: run the extraction again.

    Any member may re-run one article: it only replaces machine mentions, never people's work.
    """
    article = _member_article(request, project_slug, article_id)
    if request.method == "POST":
        run = article.latest_run
        if run and run.status in (RunStatus.QUEUED, RunStatus.RUNNING) and not is_stuck(run):
            messages.info(request, "An extraction is already queued or running for this article.")
        else:
            with transaction.atomic():
                if is_stuck(run):
                    fail_run(run.pk, "Abandoned: the worker running it stopped past the hard time limit.")
                services.enqueue_extraction(article)
            messages.success(request, "Entity extraction queued.")
        return redirect("article-detail", project_slug, article.pk)
    return render(
        request,
        "annotations/partials/extraction_state.html",
        {"article": article, "project": article.project, "run": (run := article.latest_run), "stuck": is_stuck(run)},
    )


@require_POST
def project_extraction(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Queue extraction for the whole project (editors and admins)."""
    project = get_object_or_404(Project.objects.visible_to(request.user), slug=project_slug)
    if project.role_of(request.user) not in (Role.EDITOR, Role.ADMIN):
        raise PermissionDenied("Only editors can run entity extraction for a whole project.")
    only_missing = request.POST.get("only_missing") in ("1", "on", "true")
    run_ids = services.project_extract(project=project, only_missing=only_missing)
    messages.success(request, f"Entity extraction queued for {len(run_ids)} article{pluralize(len(run_ids))}.")
    return redirect("article-list", project.slug)


@require_GET
def project_extraction_progress(request: HttpRequest, project_slug: str) -> JsonResponse:
    """Counts of the latest run status of every article, for the progress bar."""
    project = get_object_or_404(Project.objects.visible_to(request.user), slug=project_slug)
    return JsonResponse(project_progress(project).as_dict())
