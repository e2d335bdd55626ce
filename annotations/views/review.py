"""The claim's review page (workflow, comments, blind verdicts, timeline) and the queues."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import captures, claims, review, workflow
from .. import text as textlib
from ..models import Claim, ClaimStatus, Verdict
from . import lookups
from .lookups import AuthedRequest
from .refusals import refusal_text

MOVE_LABELS: dict[str, str] = {
    ClaimStatus.IN_PROGRESS: "Start work",
    ClaimStatus.IN_REVIEW: "Submit for review",
    ClaimStatus.APPROVED: "Approve",
}


def _version(request: AuthedRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def claim_review(
    request: AuthedRequest, project_slug: str, claim_id: int, *, status: int = 200, error: str = ""
) -> HttpResponse:
    claim = lookups.claim_for(request, project_slug, claim_id)
    project = claim.article.project
    role = claims.role_of(project, request.user)
    editable = workflow.can_edit(role, is_author=claim.created_by_id == request.user.pk)
    sources = list(claim.sources.all())
    captures.attach_states(sources)
    moves = workflow.moves_for(claims.facts(claim, request.user, source_count=len(sources)), role)
    context: dict[str, Any] = {
        "project": project,
        "claim": claim,
        "role": role,
        "is_editor": workflow.is_editor(role),
        "editable": editable,
        "moves": [(move, MOVE_LABELS.get(move, move)) for move in moves if move != ClaimStatus.NEEDS_CHANGES],
        "can_send_back": ClaimStatus.NEEDS_CHANGES in moves,
        "can_retract": workflow.is_editor(role) and claim.status == ClaimStatus.APPROVED and not claim.retracted_at,
        "timeline": review.timeline(claim),
        "paragraph": textlib.paragraph_around(claim.article.text, claim.start, claim.end),
        "sources": sources,
        "blind_verdicts": review.blind_verdicts_visible_to(claim, request.user) if project.double_review else [],
        "verdicts": Verdict.choices,
        "error": error,
    }
    return render(request, "annotations/team/claim_review.html", context, status=status)


def _act(request: AuthedRequest, project_slug: str, claim_id: int, action: Callable[[Claim], Any]) -> HttpResponse:
    """Run a POST action; a refusal re-renders the page with the reason (400, 403 or 409)."""
    claim = lookups.claim_for(request, project_slug, claim_id)
    try:
        action(claim)
    except claims.StaleVersion as stale:
        return claim_review(
            request, project_slug, claim_id, status=409, error=f"Someone changed this claim meanwhile ({stale})."
        )
    except PermissionDenied as denied:
        return claim_review(request, project_slug, claim_id, status=403, error=str(denied))
    except ValidationError as invalid:
        return claim_review(request, project_slug, claim_id, status=400, error=refusal_text(invalid))
    return redirect("claim-workflow", project_slug=project_slug, claim_id=claim_id)


@require_POST
def claim_move(request: AuthedRequest, project_slug: str, claim_id: int) -> HttpResponse:
    target = request.POST.get("status", "")
    return _act(
        request,
        project_slug,
        claim_id,
        lambda claim: claims.move(claim=claim, by=request.user, target=target, expected_version=_version(request)),
    )


@require_POST
def claim_retract(request: AuthedRequest, project_slug: str, claim_id: int) -> HttpResponse:
    return _act(
        request,
        project_slug,
        claim_id,
        lambda claim: claims.retract(
            claim=claim, by=request.user, note=request.POST.get("note", ""), expected_version=_version(request)
        ),
    )


@require_POST
def claim_comment(request: AuthedRequest, project_slug: str, claim_id: int) -> HttpResponse:
    return _act(
        request,
        project_slug,
        claim_id,
        lambda claim: review.add_comment(claim=claim, author=request.user, body=request.POST.get("body", "")),
    )


@require_POST
def claim_send_back(request: AuthedRequest, project_slug: str, claim_id: int) -> HttpResponse:
    return _act(
        request,
        project_slug,
        claim_id,
        lambda claim: review.send_back(
            claim=claim, by=request.user, comment=request.POST.get("body", ""), expected_version=_version(request)
        ),
    )


@require_POST
def claim_blind_verdict(request: AuthedRequest, project_slug: str, claim_id: int) -> HttpResponse:
    return _act(
        request,
        project_slug,
        claim_id,
        lambda claim: review.submit_blind_verdict(
            claim=claim,
            reviewer=request.user,
            verdict=request.POST.get("verdict", ""),
            rationale=request.POST.get("rationale", ""),
        ),
    )


def queues(request: AuthedRequest) -> HttpResponse:
    user: Any = request.user
    context = {
        "assigned": review.my_queue(user),
        "to_fix": review.my_claims_to_fix(user),
        "needs_review": review.needs_review(user),
        "disagreements": review.disagreements(user),
        "changed_sources": review.changed_sources(user),
    }
    return render(request, "annotations/team/queues.html", context)
