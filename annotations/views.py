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


# --- issue 7: adding articles, and correcting an article's text ----------------------------------

from django.contrib import messages  # noqa: E402
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.shortcuts import redirect  # noqa: E402
from django.views.decorators.http import require_http_methods, require_POST  # noqa: E402

from . import services  # noqa: E402
from .imports import pipeline  # noqa: E402
from .imports.forms import IMPORT_FORMS, PasteForm, UploadForm, UrlForm  # noqa: E402
from .models import ImportJob, Role  # noqa: E402


@require_http_methods(["GET", "POST"])
def import_articles(request: HttpRequest, project_slug: str) -> HttpResponse:
    """The "Add articles" page: every member (reviewer, editor, admin) may add articles."""
    project = get_object_or_404(Project.objects.visible_to(request.user), slug=project_slug)
    forms = {"paste": PasteForm(), "upload": UploadForm(), "url": UrlForm()}
    context: dict[str, object] = {"project": project, "forms": forms, "active": "paste"}
    if request.method == "GET":
        return render(request, "annotations/import.html", context)
    source = request.POST.get("source", "")
    if source not in IMPORT_FORMS:
        context["error"] = "Choose paste, upload or URL."
        return render(request, "annotations/import.html", context, status=400)
    form = IMPORT_FORMS[source](request.POST, request.FILES)
    forms[source], context["active"] = form, source
    if not form.is_valid():
        return render(request, "annotations/import.html", context, status=400)
    try:
        result = pipeline.submit(
            project=project,
            user=request.user,
            items=form.inputs(),  # type: ignore[attr-defined]
            metadata=form.metadata(),
        )
    except pipeline.ImportFailed as failed:
        form.add_problems(failed.problems)
        return render(request, "annotations/import.html", context, status=400)
    if isinstance(result, ImportJob):
        return redirect("import-job", project.slug, result.pk)
    forms[source] = IMPORT_FORMS[source]()
    context["report"] = result
    return render(request, "annotations/import.html", context)


def import_job(request: HttpRequest, project_slug: str, job_id: int) -> HttpResponse:
    job = get_object_or_404(
        ImportJob.objects.filter(project__in=Project.objects.visible_to(request.user)).select_related("project"),
        project__slug=project_slug,
        pk=job_id,
    )
    context = {"project": job.project, "job": job, "progress": pipeline.job_progress(job)}
    return render(request, "annotations/import_job.html", context)


def _article_for_editor(request: HttpRequest, project_slug: str, article_id: int) -> Article:
    """The article, if the user may correct its text: outsiders get 404, reviewers 403."""
    article = get_object_or_404(
        Article.objects.visible_to(request.user).select_related("project"), project__slug=project_slug, pk=article_id
    )
    if article.project.role_of(request.user) not in (Role.EDITOR, Role.ADMIN):
        raise PermissionDenied("Only editors correct an article's text.")
    return article


@require_http_methods(["GET", "POST"])
def article_revise(request: HttpRequest, project_slug: str, article_id: int) -> HttpResponse:
    """The "Edit text" page: an editor corrects the article; claims are re-anchored, doubtful ones flagged."""
    article = _article_for_editor(request, project_slug, article_id)
    status, error = 200, ""
    text = article.text
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            result = services.article_revise(
                article=article, new_text=text, user=request.user, expected_sha256=request.POST.get("base_sha256")
            )
        except ValidationError as invalid:
            status, error = 400, " ".join(invalid.message_dict.get("text", invalid.messages))
        except services.StaleText as stale:
            status, error = 409, str(stale)
            article = stale.current
        else:
            if not result.changed:
                messages.info(request, "The text is unchanged.")
            else:
                flagged = len(result.needs_attention)
                messages.success(
                    request,
                    f"Text saved. {len(result.placed)} claim(s) re-anchored"
                    + (f"; {flagged} need(s) attention." if flagged else "."),
                )
            return redirect("article-revise", article.project.slug, article.pk)
    return _render_revise(request, article, text=text, error=error, status=status)


def _render_revise(
    request: HttpRequest, article: Article, *, text: str, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "project": article.project,
        "article": article,
        "text": text,
        "error": error,
        "flagged": list(article.claims.needs_attention().in_text_order()),
        "revisions": article.revisions.select_related("created_by")[:20],
    }
    return render(request, "annotations/revise.html", context, status=status)


@require_POST
def claim_place(request: HttpRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    """Settle a flagged claim: confirm the guessed span or give new offsets."""
    article = _article_for_editor(request, project_slug, article_id)
    claim = get_object_or_404(article.claims.select_related("article"), pk=claim_id)
    offsets: dict[str, int] = {}
    for name in ("start", "end"):
        try:
            offsets[name] = int(request.POST.get(name, ""))
        except ValueError:
            error = f"{name}: must be a whole number."
            return _render_revise(request, article, text=article.text, error=error, status=400)
    try:
        services.claim_place(claim=claim, **offsets)
    except ValidationError as invalid:
        error = " ".join(f"{name}: {' '.join(texts)}" for name, texts in invalid.message_dict.items())
        return _render_revise(request, article, text=article.text, error=error, status=400)
    messages.success(request, "Claim placed.")
    return redirect("article-revise", article.project.slug, article.pk)
