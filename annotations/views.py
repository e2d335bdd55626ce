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
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import forms, services
from . import text as textlib
from .extraction import fail_run, is_stuck, project_progress
from .models import (
    Article,
    Claim,
    ClaimStatus,
    EntityMention,
    ExtractionRun,
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
            fresh = services.claim_update(claim=claim, expected_version=version, **data)
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
            fresh = services.claim_update(claim=claim, expected_version=version, **data)
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
                quote=data["quote"],
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


# --- exports (issue 6) -------------------------------------------------------------------------


from .exports import ExportParamsError, format_choices, parse_params  # noqa: E402
from .exports.http import download_response, start_export  # noqa: E402
from .models import ExportJob  # noqa: E402

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
