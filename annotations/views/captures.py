"""Evidence captures on the pages: a source's capture state (desk and review page), "Capture again",
the capture page (the captured text, escaped) and quoting an excerpt from it.

Thin: lookups scope every capture and source to the user's projects (outsiders get 404), and
``annotations.captures`` does every write and checks its rules.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from .. import captures, claims, forms, workflow
from ..models import Capture, ExcerptState, RunStatus, Source
from . import lookups
from .lookups import AuthedRequest
from .refusals import refusal_text


def _state(request: AuthedRequest, source: Source, *, status: int = 200, error: str = "") -> HttpResponse:
    captures.attach_states([source])
    context = {
        "s": source,
        "project": source.claim.article.project,
        "article": source.claim.article,
        "claim": source.claim,
        "capture_error": error,
    }
    return render(request, "annotations/partials/capture_state.html", context, status=status)


@require_GET
def capture_state(
    request: AuthedRequest, project_slug: str, article_id: int, claim_id: int, source_id: int
) -> HttpResponse:
    """The source's capture state alone: the desk polls it while a capture is queued or running."""
    return _state(request, lookups.source_for(request, project_slug, article_id, claim_id, source_id))


@require_POST
def capture_again(
    request: AuthedRequest, project_slug: str, article_id: int, claim_id: int, source_id: int
) -> HttpResponse:
    """ "Capture again" / "Try again": a new capture of the source's page (never a replacement)."""
    source = lookups.source_for(request, project_slug, article_id, claim_id, source_id)
    error, status = "", 200
    try:
        captures.capture_again(source=source, by=request.user)
    except PermissionDenied as refused:
        error, status = str(refused), 403
    except ValidationError as invalid:
        error, status = refusal_text(invalid, fields=False), 400
    if request.headers.get("HX-Request") or status != 200:
        return _state(request, source, status=status, error=error)
    # The review page has no htmx: a plain form, answered by going back where it was sent from.
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        back = reverse("article-detail", args=[project_slug, article_id])
    return redirect(back)


def _page(request: AuthedRequest, capture: Capture, *, status: int = 200, form: Any = None) -> HttpResponse:
    source = capture.source
    claim = source.claim
    role = claims.role_of(claim.article.project_id, request.user)
    text = capture.text
    # The quoted excerpt highlighted: three runs of escaped text, each with its code-point offsets.
    pieces: list[tuple[int, int, str, bool]] = []
    if capture.excerpt_start is not None and capture.excerpt_end is not None:
        start, end = capture.excerpt_start, capture.excerpt_end
        pieces = [
            (0, start, text[:start], False),
            (start, end, text[start:end], True),
            (end, len(text), text[end:], False),
        ]
        pieces = [p for p in pieces if p[2]]
    elif text:
        pieces = [(0, len(text), text, False)]
    history = list(source.captures.defer("text").order_by("-created_at", "-id"))
    context = {
        "project": claim.article.project,
        "article": claim.article,
        "claim": claim,
        "source": source,
        "capture": capture,
        "pieces": pieces,
        "history": history,
        "can_quote": capture.status == RunStatus.DONE
        and bool(text)
        and workflow.can_edit(role, is_author=claim.created_by_id == request.user.pk),
        "form": form or forms.CaptureQuoteForm(),
        "ExcerptState": ExcerptState,
    }
    return render(request, "annotations/capture_detail.html", context, status=status)


@require_GET
def capture_detail(request: AuthedRequest, project_slug: str, capture_id: int) -> HttpResponse:
    return _page(request, lookups.capture_for(request, project_slug, capture_id))


@require_POST
def capture_quote(request: AuthedRequest, project_slug: str, capture_id: int) -> HttpResponse:
    """Make the selected passage of the captured text the source's excerpt (with its offsets)."""
    capture = lookups.capture_for(request, project_slug, capture_id)
    form = forms.CaptureQuoteForm(request.POST)
    if not form.is_valid():
        return _page(request, capture, status=400, form=form)
    data = form.cleaned_data
    try:
        captures.quote_from_capture(
            capture=capture,
            by=request.user,
            start=data["start"],
            end=data["end"],
            quote=data["quote"],
            correction_note=data["correction_note"],
        )
    except PermissionDenied as refused:
        form.add_error(None, str(refused))
        return _page(request, capture, status=403, form=form)
    except ValidationError as invalid:
        form.add_error(None, refusal_text(invalid))
        return _page(request, capture, status=400, form=form)
    return redirect("capture-detail", project_slug, capture.pk)


@require_GET
def capture_raw(request: AuthedRequest, project_slug: str, capture_id: int) -> FileResponse:
    """The raw body as fetched, gzip-compressed, as a download: never rendered by the browser."""
    capture = lookups.capture_for(request, project_slug, capture_id)
    if capture.status != RunStatus.DONE or not capture.body:
        raise Http404("This capture has no stored body.")
    response = FileResponse(
        capture.body.open("rb"),
        as_attachment=True,
        filename=f"capture-{capture.pk}.gz",
        content_type="application/gzip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
