"""Entity corrections on the desk: add a mention by selecting text, relabel or remove mentions.

Thin: the article comes from ``lookups`` (outsiders get 404) and ``annotations.entities``
checks every rule. Plain form posts answered with a redirect to the desk, which then shows the
corrected highlights; a refusal answers with its reason (400 naming the field, or 403).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from .. import entities, forms
from ..models import Article
from . import lookups
from .lookups import AuthedRequest
from .refusals import refusal_text

LABEL_CHOICES = [(label, f"{label}: {name}") for label, name in entities.LABEL_NAMES.items()]


def _back(article: Article) -> HttpResponse:
    url = reverse("article-detail", args=[article.project.slug, article.pk])
    return redirect(f"{url}#entity-details")


def _refused(request: AuthedRequest, article: Article, error: Exception) -> HttpResponse:
    status = 403 if isinstance(error, PermissionDenied) else 400
    if request.headers.get("HX-Request"):
        # Into the desk's composer: the reason alone, where the form would have been.
        return HttpResponse(refusal_text(error), content_type="text/plain; charset=utf-8", status=status)
    context = {"article": article, "project": article.project, "error": refusal_text(error)}
    return render(request, "annotations/entity_refused.html", context, status=status)


@require_http_methods(["GET", "POST"])
def entity_add(request: AuthedRequest, project_slug: str, article_id: int) -> HttpResponse:
    """GET: the label form for a selection (into the desk's composer); POST: add the mention."""
    article = lookups.article_for(request, project_slug, article_id)
    data = request.POST if request.method == "POST" else request.GET
    form = forms.SpanForm(data)
    if not form.is_valid():
        return _refused(request, article, ValidationError(form.errors.as_data()))
    span = form.cleaned_data
    if request.method == "GET":
        context = {"article": article, "project": article.project, "span": span, "labels": LABEL_CHOICES}
        return render(request, "annotations/partials/entity_form.html", context)
    try:
        mention = entities.add(
            article=article,
            start=span["start"],
            end=span["end"],
            quote=span["quote"],
            label=request.POST.get("label", ""),
            by=request.user,
        )
    except (ValidationError, PermissionDenied) as refused:
        return _refused(request, article, refused)
    messages.success(request, f"“{mention.text}” marked as {mention.label}.")
    return _back(article)


@require_POST
def entity_correct(request: AuthedRequest, project_slug: str, article_id: int) -> HttpResponse:
    """Relabel or remove mentions (an entity's mentions, as the desk's entity list groups them)."""
    article = lookups.article_for(request, project_slug, article_id)
    raw_ids = request.POST.getlist("mention")
    action = request.POST.get("action", "")
    try:
        if not all(raw.isdigit() and len(raw) < 16 for raw in raw_ids):
            raise ValidationError({"mentions": "Mention ids are numbers."})
        ids = [int(raw) for raw in raw_ids]
        if action == "relabel":
            count = entities.relabel(
                article=article, mention_ids=ids, label=request.POST.get("label", ""), by=request.user
            )
            messages.success(request, f"{count} mention{'s' if count != 1 else ''} relabelled.")
        elif action == "remove":
            count = entities.remove(article=article, mention_ids=ids, by=request.user)
            messages.success(request, f"{count} mention{'s' if count != 1 else ''} removed.")
        else:
            raise ValidationError({"action": f"{action!r} is not one of relabel, remove."})
    except (ValidationError, PermissionDenied) as refused:
        return _refused(request, article, refused)
    return _back(article)
