"""Article pages: the list (with assignment), adding articles, correcting a text, entity extraction."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import articles, claims, forms, workflow
from ..extraction import fail_run, is_stuck, project_progress, stuck_reason
from ..imports import pipeline
from ..imports.forms import IMPORT_FORMS, PasteForm, UploadForm, UrlForm
from ..models import Article, Claim, ClaimStatus, ExtractionRun, ImportJob, RunStatus, claims_counted
from . import lookups
from .lookups import AuthedRequest
from .refusals import refusal_text


def article_list(request: AuthedRequest, project_slug: str) -> HttpResponse:
    project = lookups.project_for(request, project_slug)
    filters = forms.ArticleFilterForm(request.GET or None)
    rows = project.articles.all()
    status = 200
    if filters.is_bound and not filters.is_valid():
        rows, status = rows.none(), 400
    elif filters.is_bound:
        query = filters.cleaned_data["q"].strip()
        if query:
            rows = rows.filter(Q(title__icontains=query) | Q(text__icontains=query))
        condition = filters.claim_filter()
        if condition is not None:
            rows = rows.filter(Exists(Claim.objects.filter(condition, article=OuterRef("pk"))))
        if filters.cleaned_data["unreviewed"]:
            unreviewed = Claim.objects.filter(article=OuterRef("pk")).exclude(status=ClaimStatus.APPROVED)
            rows = rows.filter(Exists(unreviewed))
    latest_run = ExtractionRun.objects.filter(article=OuterRef("pk")).order_by("-created_at", "-id")
    # Counted by a subquery a row, not by a JOIN: with the project's newest-first index the page
    # is read in order and cut before anything is counted, so a page counts its own articles'
    # claims; a JOIN and GROUP BY aggregated every claim of the project for each page and again
    # for the page count (0.3-0.43 s a page at 17,000 articles and 21,000 claims; 0.09-0.23 s now).
    rows = (
        rows.with_claim_count()
        .annotate(
            **{f"n_{value}": claims_counted(status=value) for value in ClaimStatus.values},
            run_status=Subquery(latest_run.values("status")[:1]),
            # A subquery, not F("assignee__username"): the page count would keep that JOIN
            # (22 ms of a 70 ms page at 17,000 articles); unused subqueries are left out of it.
            assignee_name=Subquery(get_user_model().objects.filter(pk=OuterRef("assignee_id")).values("username")[:1]),
        )
        .only("id", "title", "publisher", "published_at", "created_at", "project_id")
        .order_by("-created_at", "-id")
    )
    page = Paginator(rows, forms.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page:
        item.status_counts = [(value, label, getattr(item, f"n_{value}")) for value, label in ClaimStatus.choices]
        run_status = item.run_status  # type: ignore[attr-defined]  # django-stubs drops annotate() names in a Page
        item.run_label = RunStatus(run_status).label if run_status else ""
    params = request.GET.copy()
    params.pop("page", None)
    context = {"project": project, "page": page, "filters": filters, "query_string": params.urlencode()}
    if workflow.is_editor(project.my_role):
        # Editors assign articles to reviewers from this list.
        context["members"] = list(project.members.order_by("username").values_list("username", flat=True))
    return render(request, "annotations/article_list.html", context, status=status)


@require_POST
def article_assign(request: AuthedRequest, project_slug: str, article_id: int) -> HttpResponse:
    article = lookups.article_for(request, project_slug, article_id)
    username = request.POST.get("assignee", "").strip()
    assignee = None
    if username:
        assignee = get_user_model().objects.filter(username=username, memberships__project=article.project).first()
        if assignee is None:
            return HttpResponse(
                f"assignee: {username!r} is not a member of this project.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
    articles.assign(article=article, assignee=assignee, by=request.user)
    messages.success(request, f"Assigned “{article.title}” to {username or 'nobody'}.")
    return redirect("article-list", project_slug=project_slug)


# --- entity extraction ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def article_extraction(request: AuthedRequest, project_slug: str, article_id: int) -> HttpResponse:
    """GET: the extraction state partial (the page polls it). POST: run the extraction again.

    Any member may re-run one article: it only replaces machine mentions, never people's work.
    """
    article = lookups.article_for(request, project_slug, article_id)
    if request.method == "POST":
        run = article.latest_run
        if run and run.status in (RunStatus.QUEUED, RunStatus.RUNNING) and not is_stuck(run):
            messages.info(request, "An extraction is already queued or running for this article.")
        else:
            with transaction.atomic():
                if run is not None and is_stuck(run):
                    fail_run(run.pk, stuck_reason(run))
                articles.enqueue_extraction(article)
            # No message: the run's state on the page says "queued", then "done", by itself; a
            # message would still say "queued" after the run had finished.
        return redirect("article-detail", project_slug, article.pk)
    return render(
        request,
        "annotations/partials/extraction_state.html",
        {"article": article, "project": article.project, "run": (run := article.latest_run), "stuck": is_stuck(run)},
    )


@require_POST
@lookups.project_role(*workflow.EDITOR_ROLES, message="Only editors can run entity extraction for a whole project.")
def project_extraction(request: lookups.ProjectRequest, project_slug: str) -> HttpResponse:
    """Queue extraction for the whole project (editors and admins)."""
    project = request.project
    only_missing = request.POST.get("only_missing") in ("1", "on", "true")
    run_ids = articles.extract_project(project=project, only_missing=only_missing)
    if run_ids:
        messages.success(request, f"Entity extraction queued for {len(run_ids)} article{pluralize(len(run_ids))}.")
    elif only_missing:
        messages.info(request, "Every article has its entities already: nothing to extract.")
    else:
        messages.info(request, "The project has no articles yet: nothing to extract.")
    return redirect("article-list", project.slug)


@require_GET
def project_extraction_progress(request: AuthedRequest, project_slug: str) -> JsonResponse:
    """Counts of the latest run status of every article, for the progress bar."""
    return JsonResponse(project_progress(lookups.project_for(request, project_slug)).as_dict())


# --- adding articles, and correcting an article's text --------------------------------------------


@require_http_methods(["GET", "POST"])
def import_articles(request: AuthedRequest, project_slug: str) -> HttpResponse:
    """The "Add articles" page: every member (reviewer, editor, admin) may add articles."""
    project = lookups.project_for(request, project_slug)
    import_forms = {"paste": PasteForm(), "upload": UploadForm(), "url": UrlForm()}
    context: dict[str, object] = {"project": project, "forms": import_forms, "active": "paste"}
    if request.method == "GET":
        return render(request, "annotations/import.html", context)
    source = request.POST.get("source", "")
    if source not in IMPORT_FORMS:
        context["error"] = "Choose paste, upload or URL."
        return render(request, "annotations/import.html", context, status=400)
    form = IMPORT_FORMS[source](request.POST, request.FILES)
    import_forms[source], context["active"] = form, source
    if not form.is_valid():
        return render(request, "annotations/import.html", context, status=400)
    try:
        result = pipeline.submit(
            project=project,
            user=request.user,
            items=form.inputs(),
            metadata=form.metadata(),
        )
    except pipeline.ImportFailed as failed:
        form.add_problems(failed.problems)
        return render(request, "annotations/import.html", context, status=400)
    if isinstance(result, ImportJob):
        return redirect("import-job", project.slug, result.pk)
    import_forms[source] = IMPORT_FORMS[source]()
    context["report"] = result
    return render(request, "annotations/import.html", context)


def import_job(request: AuthedRequest, project_slug: str, job_id: int) -> HttpResponse:
    job = lookups.job_for(request, ImportJob.objects.all(), project_slug, job_id)
    context = {"project": job.project, "job": job, "progress": pipeline.job_progress(job)}
    return render(request, "annotations/import_job.html", context)


def _article_for_editor(request: AuthedRequest, project_slug: str, article_id: int) -> Article:
    """The article, if the user may correct its text: outsiders get 404, reviewers 403."""
    article = lookups.article_for(request, project_slug, article_id)
    if not workflow.is_editor(claims.role_of(article.project_id, request.user)):
        raise PermissionDenied("Only editors correct an article's text.")
    return article


@require_http_methods(["GET", "POST"])
def article_revise(request: AuthedRequest, project_slug: str, article_id: int) -> HttpResponse:
    """The "Edit text" page: an editor corrects the article; claims are re-anchored, doubtful ones flagged."""
    article = _article_for_editor(request, project_slug, article_id)
    status, error = 200, ""
    text = article.text
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            result = articles.revise(
                article=article,
                new_text=text,
                user=request.user,
                expected_sha256=request.POST.get("base_sha256"),
            )
        except ValidationError as invalid:
            status, error = 400, " ".join(invalid.message_dict.get("text", invalid.messages))
        except articles.StaleText as stale:
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
    request: AuthedRequest, article: Article, *, text: str, error: str = "", status: int = 200
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
def claim_place(request: AuthedRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
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
        claims.place(claim=claim, by=request.user, start=offsets["start"], end=offsets["end"])
    except ValidationError as invalid:
        return _render_revise(request, article, text=article.text, error=refusal_text(invalid), status=400)
    messages.success(request, "Claim placed.")
    return redirect("article-revise", article.project.slug, article.pk)
