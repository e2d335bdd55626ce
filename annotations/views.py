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


# --- issue 5: personal API tokens ---------------------------------------------------------------


def api_tokens(request: HttpRequest) -> HttpResponse:
    """List, create and revoke the user's API tokens. A new key is shown once, in this response."""
    from django.contrib import messages
    from django.shortcuts import redirect
    from django.utils import timezone

    from .models import ApiToken

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
