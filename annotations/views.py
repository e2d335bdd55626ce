"""HTML pages and the htmx partials of the reviewer's desk.

Thin: each view scopes its lookup to the user's projects (outsiders get 404), checks the edit
rule, parses input with a form and calls one service. Partials answer bad input with the form
and status 400, a refused edit with 403 and a stale version with 409; page-level htmx config
swaps those answers in so the reviewer sees the message where they typed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import forms, services
from . import text as textlib
from .exports import ExportParamsError, format_choices, parse_params
from .exports.http import download_response, start_export
from .extraction import fail_run, is_stuck, project_progress, stuck_reason
from .imports import pipeline
from .imports.forms import IMPORT_FORMS, PasteForm, UploadForm, UrlForm
from .models import (
    ApiToken,
    Article,
    Claim,
    ClaimStatus,
    EntityMention,
    ExportJob,
    ExtractionRun,
    ImportJob,
    Membership,
    Project,
    Role,
    RunStatus,
    Source,
    Verdict,
    can_edit_claim,
)


def project_list(request: HttpRequest) -> HttpResponse:
    projects = Project.objects.visible_to(request.user).annotate(article_count=Count("articles", distinct=True))
    return render(request, "annotations/project_list.html", {"projects": projects})


# --- article list ------------------------------------------------------------------------------


def article_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), slug=project_slug)
    filters = forms.ArticleFilterForm(request.GET or None)
    articles = project.articles.all()
    status = 200
    if filters.is_bound and not filters.is_valid():
        articles, status = articles.none(), 400
    elif filters.is_bound:
        query = filters.cleaned_data["q"].strip()
        if query:
            articles = articles.filter(Q(title__icontains=query) | Q(text__icontains=query))
        condition = filters.claim_filter()
        if condition is not None:
            articles = articles.filter(Exists(Claim.objects.filter(condition, article=OuterRef("pk"))))
        if filters.cleaned_data["unreviewed"]:
            unreviewed = Claim.objects.filter(article=OuterRef("pk")).exclude(status=ClaimStatus.APPROVED)
            articles = articles.filter(Exists(unreviewed))
    latest_run = ExtractionRun.objects.filter(article=OuterRef("pk")).order_by("-created_at", "-id")
    # One row per article with every count: filters above use EXISTS so these joins never multiply.
    articles = articles.annotate(
        claim_count=Count("claims"),
        **{f"n_{value}": Count("claims", filter=Q(claims__status=value)) for value in ClaimStatus.values},
        run_status=Subquery(latest_run.values("status")[:1]),
        assignee_name=F("assignee__username"),
    ).only("id", "title", "publisher", "published_at", "created_at", "project_id").order_by("-created_at", "-id")
    page = Paginator(articles, forms.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page:
        item.status_counts = [  # type: ignore[attr-defined]
            (value, label, getattr(item, f"n_{value}")) for value, label in ClaimStatus.choices
        ]
        item.run_label = RunStatus(item.run_status).label if item.run_status else ""  # type: ignore[attr-defined]
    params = request.GET.copy()
    params.pop("page", None)
    context = {"project": project, "page": page, "filters": filters, "query_string": params.urlencode()}
    if _role(project, request.user) in (Role.EDITOR, Role.ADMIN):
        # Editors assign articles to reviewers from this list.
        context["members"] = list(project.members.order_by("username").values_list("username", flat=True))
    return render(request, "annotations/article_list.html", context, status=status)


# --- article page ------------------------------------------------------------------------------


def _article_for(request: HttpRequest, project_slug: str, article_id: int) -> Article:
    return get_object_or_404(
        Article.objects.visible_to(request.user).select_related("project"),
        project__slug=project_slug,
        pk=article_id,
    )


_REVIEW_CHOICES = {"verdict_choices": Verdict.choices, "status_choices": ClaimStatus.choices}


def _role(project: Project, user: Any) -> str | None:
    # project.role_of() loads a deferred field through the related manager: one query more.
    return Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()


def _desk_context(request: HttpRequest, article: Article, role: str | None = None) -> dict[str, Any]:
    """Everything the text and the claim panel show, in a fixed number of queries."""
    if role is None:
        role = _role(article.project, request.user)
    claims = list(article.claims.in_text_order().select_related("created_by").prefetch_related("sources"))
    mentions = list(EntityMention.objects.filter(article=article).order_by("start", "end"))
    spans = [(c.start, c.end, f"claim:{c.pk}") for c in claims]
    spans += [(m.start, m.end, f"ent:{m.label}") for m in mentions]
    for claim in claims:
        claim.linked_mentions = claim.mentions_inside(mentions)  # type: ignore[attr-defined]
        claim.editable = can_edit_claim(role, request.user, claim)  # type: ignore[attr-defined]
    # Where claims overlap, the one that starts first in the text gives the highlight its colour.
    rank = {str(c.pk): (index, c.verdict) for index, c in enumerate(claims)}
    paragraphs = textlib.segments(article.text, spans)
    for paragraph in paragraphs:
        for index, seg in enumerate(paragraph):
            ids = seg.values("claim")
            verdict = min(rank[i] for i in ids)[1] if ids else ""
            paragraph[index] = (seg, verdict)  # type: ignore[call-overload]
    return {
        "project": article.project,
        "article": article,
        "role": role,
        "paragraphs": paragraphs,
        "claims": claims,
        "mentions": mentions,
        "mention_labels": sorted({m.label for m in mentions}),
        "verdicts": Verdict.choices,
        **_REVIEW_CHOICES,
    }


def article_detail(request: HttpRequest, project_slug: str, article_id: int) -> HttpResponse:
    article = _article_for(request, project_slug, article_id)
    context = _desk_context(request, article)
    context["run"] = article.latest_run
    return render(request, "annotations/article_detail.html", context)


def _desk_update(request: HttpRequest, article: Article, *, focus: int | None = None) -> HttpResponse:
    """The claim panel, with the text swapped out of band: what changes when claims change."""
    context = _desk_context(request, article)
    context["focus"] = focus
    return render(request, "annotations/partials/desk_update.html", context)


def _retarget(response: HttpResponse, selector: str, swap: str = "outerHTML") -> HttpResponse:
    # The form posted targets itself (so a 400 re-renders it in place); a success replaces
    # something larger instead.
    response["HX-Retarget"] = selector
    response["HX-Reswap"] = swap
    return response


def _claim_for(request: HttpRequest, project_slug: str, article_id: int, claim_id: int) -> Claim:
    return get_object_or_404(
        Claim.objects.visible_to(request.user).select_related("article__project"),
        article__project__slug=project_slug,
        article_id=article_id,
        pk=claim_id,
    )


def _editable_claim(request: HttpRequest, project_slug: str, article_id: int, claim_id: int) -> Claim:
    claim = _claim_for(request, project_slug, article_id, claim_id)
    if not can_edit_claim(_role(claim.article.project, request.user), request.user, claim):
        raise PermissionDenied("Only the reviewer who marked this claim, or an editor, can change it.")
    return claim


def _add_validation_errors(form: forms.forms.Form, error: ValidationError) -> None:
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


def _stale(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    context["stale"] = True
    return render(request, template, context, status=409)


def _claim_card(request: HttpRequest, claim: Claim) -> HttpResponse:
    """One card re-rendered from a fresh desk context (so the card and text agree)."""
    context = _desk_context(request, claim.article)
    card = next(c for c in context["claims"] if c.pk == claim.pk)
    context.update(claim=card, focus=claim.pk)
    return render(request, "annotations/partials/claim_card_update.html", context)


@require_http_methods(["GET", "POST"])
def claim_create(request: HttpRequest, project_slug: str, article_id: int) -> HttpResponse:
    article = _article_for(request, project_slug, article_id)
    template = "annotations/partials/claim_form.html"
    context: dict[str, Any] = {"article": article, "project": article.project}
    if request.method == "GET":
        # The form opens on a selection: check it now so a bad one is reported before typing.
        data = {"status": ClaimStatus.UNSTARTED, "claim_text": request.GET.get("quote", ""), **request.GET.dict()}
        form = forms.ClaimCreateForm(data)
        if form.is_valid():
            try:
                textlib.check_span(article.text, form.cleaned_data["start"], form.cleaned_data["end"],
                                   form.cleaned_data["quote"])
            except textlib.SpanError as error:
                form.add_error(error.field, error.message)
        status = 200 if form.is_valid() else 400
        return render(request, template, {**context, "form": form, "fresh": True}, status=status)
    form = forms.ClaimCreateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                claim = services.claim_create(
                    article=article,
                    created_by=request.user,  # type: ignore[arg-type]
                    start=data["start"],
                    end=data["end"],
                    quote=data["quote"],
                    claim_text=data["claim_text"].strip(),
                    claimant=data["claimant"].strip(),
                    status=data["status"],
                    verdict=data["verdict"],
                    rationale=data["rationale"].strip(),
                )
        except ValidationError as error:
            _add_validation_errors(form, error)
        else:
            return _retarget(_desk_update(request, article, focus=claim.pk), "#claims")
    return render(request, template, {**context, "form": form}, status=400)


@require_GET
def claim_card(request: HttpRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    return _claim_card(request, _claim_for(request, project_slug, article_id, claim_id))


@require_http_methods(["GET", "POST"])
def claim_edit(request: HttpRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    claim = _editable_claim(request, project_slug, article_id, claim_id)
    template = "annotations/partials/claim_edit_form.html"
    if request.method == "GET":
        initial = {f: getattr(claim, f) for f in services.CLAIM_EDITABLE_FIELDS} | {"version": claim.version}
        form = forms.ClaimEditForm(initial=initial, auto_id=f"edit-{claim.pk}-%s")
        return render(request, template, {"claim": claim, "form": form})
    form = forms.ClaimEditForm(request.POST, auto_id=f"edit-{claim.pk}-%s")
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        data = {k: v.strip() if k in {"claim_text", "claimant", "rationale"} else v for k, v in data.items()}
        data["claim_text"] = data["claim_text"] or claim.quote
        try:
            fresh = services.claim_update(claim=claim, expected_version=version, changed_by=request.user, **data)
        except services.StaleVersion as stale:
            return _stale(request, template, {"claim": stale.current, "form": form})
        except ValidationError as error:
            _add_validation_errors(form, error)
        else:
            return _retarget(_claim_card(request, fresh), f"#claim-{claim.pk}")
    return render(request, template, {"claim": claim, "form": form}, status=400)


@require_POST
def claim_review(request: HttpRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    """Verdict and status from the card's quick controls (or the 1-8 keys)."""
    claim = _editable_claim(request, project_slug, article_id, claim_id)
    form = forms.ClaimReviewForm(request.POST)
    template = "annotations/partials/claim_review_form.html"
    # On refusal the controls show what the reviewer chose, with the message.
    context = {"claim": claim, "form": form, **_REVIEW_CHOICES,
               **{name: request.POST.get(name, "") for name in ("verdict", "status", "version")}}
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            fresh = services.claim_update(claim=claim, expected_version=version, changed_by=request.user, **data)
        except services.StaleVersion as stale:
            return _stale(request, template, {**context, "claim": stale.current})
        except ValidationError as error:
            _add_validation_errors(form, error)
        else:
            return _retarget(_claim_card(request, fresh), f"#claim-{claim.pk}")
    return render(request, template, context, status=400)


@require_POST
def claim_span(request: HttpRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    """Move a claim to a new selection."""
    claim = _editable_claim(request, project_slug, article_id, claim_id)
    form = forms.ClaimSpanForm(request.POST)
    template = "annotations/partials/span_errors.html"
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.claim_update(
                claim=claim, expected_version=data["version"], start=data["start"], end=data["end"],
                quote=data["quote"], changed_by=request.user,
            )
        except services.StaleVersion as stale:
            return _stale(request, template, {"claim": stale.current, "form": form})
        except ValidationError as error:
            _add_validation_errors(form, error)
        else:
            return _retarget(_desk_update(request, claim.article, focus=claim.pk), "#claims")
    return render(request, template, {"claim": claim, "form": form}, status=400)


@require_http_methods(["GET", "POST"])
def claim_delete(request: HttpRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    claim = _editable_claim(request, project_slug, article_id, claim_id)
    if request.method == "GET":
        return render(request, "annotations/partials/claim_delete_confirm.html", {"claim": claim})
    article = claim.article
    claim.delete()
    return _retarget(_desk_update(request, article), "#claims")


# --- sources -----------------------------------------------------------------------------------


def _source_for(request: HttpRequest, project_slug: str, article_id: int, claim_id: int, source_id: int) -> Source:
    claim = _editable_claim(request, project_slug, article_id, claim_id)
    source = get_object_or_404(claim.sources.all(), pk=source_id)
    source.claim = claim  # keeps the scoped, already loaded claim and its article
    return source


@require_http_methods(["GET", "POST"])
def source_create(request: HttpRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    claim = _editable_claim(request, project_slug, article_id, claim_id)
    template = "annotations/partials/source_form.html"
    action = reverse("source-create", args=[project_slug, article_id, claim.pk])
    if request.method == "GET":
        return render(request, template, {"claim": claim, "form": forms.SourceForm(), "action": action})
    form = forms.SourceForm(request.POST)
    if form.is_valid():
        source = form.save(commit=False)
        source.claim = claim
        source.added_by = request.user
        source.save()
        return _retarget(_claim_card(request, claim), f"#claim-{claim.pk}")
    return render(request, template, {"claim": claim, "form": form, "action": action}, status=400)


@require_http_methods(["GET", "POST"])
def source_edit(
    request: HttpRequest, project_slug: str, article_id: int, claim_id: int, source_id: int
) -> HttpResponse:
    source = _source_for(request, project_slug, article_id, claim_id, source_id)
    template = "annotations/partials/source_form.html"
    action = reverse("source-edit", args=[project_slug, article_id, claim_id, source.pk])
    context: dict[str, Any] = {"claim": source.claim, "source": source, "action": action}
    if request.method == "GET":
        return render(request, template, {**context, "form": forms.SourceForm(instance=source)})
    form = forms.SourceForm(request.POST, instance=source)
    if form.is_valid():
        form.save()
        return _retarget(_claim_card(request, source.claim), f"#claim-{claim_id}")
    return render(request, template, {**context, "form": form}, status=400)


@require_POST
def source_delete(
    request: HttpRequest, project_slug: str, article_id: int, claim_id: int, source_id: int
) -> HttpResponse:
    source = _source_for(request, project_slug, article_id, claim_id, source_id)
    claim = source.claim
    source.delete()
    return _retarget(_claim_card(request, claim), f"#claim-{claim.pk}")


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
                    fail_run(run.pk, stuck_reason(run))
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


# --- exports (issue 6) -------------------------------------------------------------------------



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


# --- issue 7: adding articles, and correcting an article's text ----------------------------------




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
        services.claim_place(claim=claim, placed_by=request.user, **offsets)
    except ValidationError as invalid:
        error = " ".join(f"{name}: {' '.join(texts)}" for name, texts in invalid.message_dict.items())
        return _render_revise(request, article, text=article.text, error=error, status=400)
    messages.success(request, "Claim placed.")
    return redirect("article-revise", article.project.slug, article.pk)


# --- issue 5: personal API tokens ---------------------------------------------------------------


def api_tokens(request: HttpRequest) -> HttpResponse:
    """List, create and revoke the user's API tokens. A new key is shown once, in this response."""

    new_key = ""
    error = ""
    name = ""
    if request.method == "POST":
        if "revoke" in request.POST:
            token_id = request.POST["revoke"]
            token = get_object_or_404(request.user.api_tokens.all(), pk=token_id if token_id.isdigit() else 0)
            if token.revoked_at is None:
                token.revoked_at = timezone.now()
                token.save(update_fields=["revoked_at"])
                messages.success(request, f"Token “{token.name}” revoked.")
            return redirect("api-tokens")
        name = request.POST.get("name", "").strip()
        if not name:
            error = "Give the token a name, e.g. the script that will use it."
        elif len(name) > 100:
            error = "The name is too long (100 characters at most)."
        else:
            _, new_key = ApiToken.issue(request.user, name)
            name = ""
    context = {
        "tokens": request.user.api_tokens.all(),
        "new_key": new_key,
        "error": error,
        "name": name,
    }
    response = render(request, "annotations/tokens.html", context, status=400 if error else 200)
    if new_key:
        response["Cache-Control"] = "no-store"
    return response
