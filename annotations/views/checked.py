"""What was checked before, in pages: the desk's matches, links and copies; search; entity pages; the library.

Thin: lookups are scoped (outsiders get 404); writes go to ``claims`` (links, copies) and
``factchecks`` (the library); matching is ``similar``.
"""

from __future__ import annotations

from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import claims, factchecks, search, similar, workflow
from ..api.filters import ClaimFilter
from ..imports.base import ImportProblem
from ..models import Article, Claim, FactCheck, Suggestion, Verdict
from . import lookups
from .desk import _card, _editable
from .lookups import AuthedRequest, ProjectRequest
from .refusals import refusal_text

SEARCH_PAGE = 50


# --- the desk ------------------------------------------------------------------------------------------


@require_GET
def claim_similar(request: AuthedRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    """The most similar earlier checks, under the claim's card (loaded when a claim is marked, or asked for)."""
    claim = lookups.claim_for(request, project_slug, claim_id, article_id)
    role = claims.role_of(claim.article.project_id, request.user)
    context = {
        "claim": claim,
        "project": claim.article.project,
        "article": claim.article,
        "matches": similar.for_claim(claim, request.user),
        "can_edit": workflow.can_edit(role, is_author=claim.created_by_id == request.user.pk),
        "can_copy": claim.status != "approved",
    }
    return render(request, "annotations/partials/similar_list.html", context)


@require_GET
def suggestion_similar(request: AuthedRequest, project_slug: str, article_id: int, suggestion_id: int) -> HttpResponse:
    """What was checked before, for a suggested sentence (loaded as it comes into view): no
    links to offer yet, since there is no claim; accepting the sentence marks one."""
    article = lookups.article_for(request, project_slug, article_id)
    suggestion = get_object_or_404(Suggestion, pk=suggestion_id, article=article)
    matches = similar.for_text(article.text[suggestion.start : suggestion.end], request.user)
    if not matches:
        # Ten "nothing similar" notes down the Suggested list would only be noise.
        return HttpResponse("")
    context = {"project": article.project, "article": article, "matches": matches, "can_edit": False}
    return render(request, "annotations/partials/similar_list.html", context)


class TargetForm(djforms.Form):
    earlier_claim = djforms.IntegerField(required=False, min_value=1, max_value=2**53)
    fact_check = djforms.IntegerField(required=False, min_value=1, max_value=2**53)
    version = djforms.IntegerField(required=False, min_value=1, max_value=2_000_000_000)

    def target(self) -> dict[str, int]:
        return {k: v for k in ("earlier_claim", "fact_check") if (v := self.cleaned_data.get(k)) is not None}


def _target(request: AuthedRequest) -> TargetForm:
    form = TargetForm(request.POST)
    if not form.is_valid():
        raise ValidationError(
            {name: [e["message"] for e in items] for name, items in form.errors.get_json_data().items()}
        )
    return form


def _refused(request: AuthedRequest, claim: Claim, error: Exception) -> HttpResponse:
    code = 403 if isinstance(error, PermissionDenied) else 400
    return _card(request, claim, status=code, error=refusal_text(error))


@require_POST
def claim_same_as(request: AuthedRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    claim = _editable(request, project_slug, article_id, claim_id)
    try:
        claims.link_same(claim=claim, by=request.user, **_target(request).target())
    except (ValidationError, PermissionDenied) as error:
        return _card(
            request, claim, status=403 if isinstance(error, PermissionDenied) else 400, error=refusal_text(error)
        )
    return _card(request, claim)


@require_POST
def claim_unlink(request: AuthedRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    claim = _editable(request, project_slug, article_id, claim_id)
    claims.unlink_same(claim=claim, by=request.user)
    return _card(request, claim)


@require_POST
def claim_copy_verdict(request: AuthedRequest, project_slug: str, article_id: int, claim_id: int) -> HttpResponse:
    claim = _editable(request, project_slug, article_id, claim_id)
    try:
        form = _target(request)
        fresh = claims.copy_verdict(
            claim=claim, by=request.user, expected_version=form.cleaned_data.get("version"), **form.target()
        )
    except claims.StaleVersion as stale:
        return _card(request, stale.current, status=409, error="Someone else changed this claim meanwhile.")
    except (ValidationError, PermissionDenied) as error:
        return _card(
            request, claim, status=403 if isinstance(error, PermissionDenied) else 400, error=refusal_text(error)
        )
    return _card(request, fresh)


# --- search and entity pages ---------------------------------------------------------------------------


def _results(request: AuthedRequest, filterset: ClaimFilter) -> list[Claim]:
    rows = filterset.qs.select_related("article__project").order_by("-id")
    return list(rows[:SEARCH_PAGE])


@require_GET
def claim_search(request: AuthedRequest) -> HttpResponse:
    """Claims of all the user's projects by words, entity, claimant, verdict, status and date."""
    base = Claim.objects.visible_to(request.user)
    filterset = ClaimFilter(request.GET or None, queryset=base, request=request)
    asked = any(value for value in request.GET.values())
    results: list[Claim] = []
    if asked:
        if not filterset.is_valid():
            return render(request, "annotations/search.html", {"filter": filterset, "asked": True}, status=400)
        results = _results(request, filterset)
    context = {"filter": filterset, "results": results, "asked": asked, "limit": SEARCH_PAGE, "verdicts": Verdict}
    return render(request, "annotations/search.html", context)


@require_GET
def entity_page(request: AuthedRequest) -> HttpResponse:
    """Every entity (as extracted or as a person corrected it) has a page: the claims that mention it."""
    name = request.GET.get("name", "").strip()
    label = request.GET.get("label", "").strip()
    if not name or len(name) > 300 or len(label) > 32:
        raise Http404("No such entity.")
    articles = Article.objects.visible_to(request.user).values("pk")
    entity = search.entity_in(articles, name, label)
    if entity is None:
        raise Http404("No such entity in your projects.")
    claims_qs = search.mentioning(Claim.objects.visible_to(request.user), name, label)
    results = list(claims_qs.select_related("article__project").order_by("-id")[:SEARCH_PAGE])
    more = claims_qs.count() if len(results) == SEARCH_PAGE else len(results)
    context = {"entity": entity, "results": results, "total": more, "limit": SEARCH_PAGE}
    return render(request, "annotations/entity.html", context)


# --- the fact-check library ---------------------------------------------------------------------------


class LibraryImportForm(djforms.Form):
    file = djforms.FileField(required=False, help_text="ClaimReview JSON, JSON Lines, or an HTML page with JSON-LD.")
    url = djforms.URLField(
        required=False, max_length=2000, assume_scheme="https", help_text="A page or feed with ClaimReview JSON-LD."
    )
    text = djforms.CharField(required=False, widget=djforms.Textarea(attrs={"rows": 4}), label="Or paste JSON-LD")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [name for name in ("file", "url", "text") if data.get(name)]
        if len(given) != 1:
            raise djforms.ValidationError("Give exactly one of: a file, a URL or pasted JSON-LD.")
        return data


@require_http_methods(["GET", "POST"])
@lookups.project_role(*workflow.MEMBER_ROLES)
def library(request: ProjectRequest, project_slug: str) -> HttpResponse:
    project = request.project
    can_import = workflow.is_editor(project.my_role)
    form = LibraryImportForm()
    status = 200
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied("Only editors and admins of the project import fact checks into its library.")
        form = LibraryImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data.get("file"):
                    upload = data["file"]
                    result = factchecks.import_data(
                        project=project, by=request.user, data=upload.read(), source=upload.name
                    )
                elif data.get("url"):
                    result = factchecks.import_url(project=project, by=request.user, url=data["url"])
                else:
                    raw = data["text"].encode("utf-8")
                    result = factchecks.import_data(project=project, by=request.user, data=raw, source="pasted text")
            except ImportProblem as problem:
                form.add_error(None, str(problem))
            else:
                messages.success(
                    request,
                    f"Imported {result.created} new fact check(s); {result.updated} updated."
                    + "".join(f" {note}" for note in result.notes[:5]),
                )
                return redirect("library", project_slug=project.slug)
        status = 400
    checks = FactCheck.objects.filter(project=project)
    context = {
        "project": project,
        "form": form,
        "can_import": can_import,
        "checks": checks.order_by("-published_at", "-id")[:100],
        "total": checks.count(),
    }
    return render(request, "annotations/library.html", context, status=status)
