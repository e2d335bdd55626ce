"""Team-review pages: queues, the claim's review page (timeline, comments, workflow), dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import charts, publisher, team, workflow
from .models import Article, Claim, ClaimStatus, Project, Role, Source, Verdict


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    who: str
    what: str
    details: list[str]


def _claim_for(request: HttpRequest, project_slug: str, claim_id: int) -> Claim:
    return get_object_or_404(
        Claim.objects.visible_to(request.user).select_related("article__project", "created_by", "reviewed_by"),
        article__project__slug=project_slug,
        pk=claim_id,
    )


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def timeline(claim: Claim) -> list[TimelineEntry]:
    """Every recorded change to the claim and its sources, and every comment, oldest first."""
    entries: list[TimelineEntry] = []
    skip = {"version", "updated_at", "prefix", "suffix"}
    records = list(claim.history.select_related("history_user").order_by("history_date", "history_id"))
    # People appear in the history as ids; show their names.
    ids = {r.reviewed_by_id for r in records} | {r.created_by_id for r in records}
    names = dict(get_user_model().objects.filter(pk__in=ids - {None}).values_list("pk", "username"))

    def shown(field: str, value: object) -> object:
        return names.get(value, value) if field in ("reviewed_by", "created_by") else value

    previous = None
    for record in records:
        who = record.history_user.get_username() if record.history_user else "system"
        if previous is None:
            entries.append(TimelineEntry(record.history_date, who, "marked the claim", [f"“{record.quote}”"]))
        else:
            delta = record.diff_against(previous)
            details = [
                f"{c.field}: {shown(c.field, c.old) or '—'} → {shown(c.field, c.new) or '—'}"
                for c in delta.changes
                if c.field not in skip
            ]
            if details:
                entries.append(TimelineEntry(record.history_date, who, "changed", details))
        previous = record
    verbs = {"+": "added source", "~": "edited source", "-": "removed source"}
    for record in Source.history.filter(claim_id=claim.pk).select_related("history_user"):
        who = record.history_user.get_username() if record.history_user else "system"
        label = f"{record.title or record.url} ({record.stance})"
        entries.append(TimelineEntry(record.history_date, who, verbs[record.history_type], [label]))
    for comment in claim.comments.select_related("author"):
        who = comment.author.get_username() if comment.author else "former member"
        entries.append(TimelineEntry(comment.created_at, who, "commented", [comment.body]))
    return sorted(entries, key=lambda entry: entry.when)


def claim_review(request: HttpRequest, project_slug: str, claim_id: int, *, status: int = 200,
                 error: str = "") -> HttpResponse:
    claim = _claim_for(request, project_slug, claim_id)
    project = claim.article.project
    role = project.role_of(request.user)
    context: dict[str, Any] = {
        "project": project,
        "claim": claim,
        "role": role,
        "is_editor": role in workflow.EDITOR_ROLES,
        "moves": workflow.allowed_targets(claim.status),
        "timeline": timeline(claim),
        "sources": list(claim.sources.all()),
        "blind_verdicts": team.blind_verdicts_visible_to(claim, request.user) if project.double_review else [],
        "verdicts": Verdict.choices,
        "error": error,
    }
    return render(request, "annotations/team/claim_review.html", context, status=status)


def _act(request: HttpRequest, project_slug: str, claim_id: int, action: Any) -> HttpResponse:
    """Run a POST action; a refusal re-renders the page with the reason (400, or 403 for rights)."""
    claim = _claim_for(request, project_slug, claim_id)
    try:
        action(claim)
    except workflow.StaleClaim as stale:
        return claim_review(request, project_slug, claim_id, status=409,
                            error=f"Someone changed this claim meanwhile ({stale}).")
    except workflow.TransitionError as refused:
        return claim_review(request, project_slug, claim_id, status=403 if refused.forbidden else 400,
                            error=refused.message)
    except PermissionDenied as denied:
        return claim_review(request, project_slug, claim_id, status=403, error=str(denied))
    except ValidationError as invalid:
        text = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in invalid.message_dict.items())
        return claim_review(request, project_slug, claim_id, status=400, error=text)
    return redirect("claim-workflow", project_slug=project_slug, claim_id=claim_id)


@require_POST
def claim_move(request: HttpRequest, project_slug: str, claim_id: int) -> HttpResponse:
    target = request.POST.get("status", "")
    if target not in ClaimStatus.values:
        return claim_review(request, project_slug, claim_id, status=400,
                            error=f"status: {target!r} is not a status.")
    return _act(request, project_slug, claim_id,
                lambda claim: claim.move_to(target, by=request.user, expected_version=_version(request)))


@require_POST
def claim_comment(request: HttpRequest, project_slug: str, claim_id: int) -> HttpResponse:
    return _act(request, project_slug, claim_id,
                lambda claim: team.add_comment(claim=claim, author=request.user, body=request.POST.get("body", "")))


@require_POST
def claim_send_back(request: HttpRequest, project_slug: str, claim_id: int) -> HttpResponse:
    return _act(request, project_slug, claim_id, lambda claim: team.send_back(
        claim=claim, by=request.user, comment=request.POST.get("body", ""), expected_version=_version(request)))


@require_POST
def claim_blind_verdict(request: HttpRequest, project_slug: str, claim_id: int) -> HttpResponse:
    return _act(request, project_slug, claim_id, lambda claim: team.submit_blind_verdict(
        claim=claim, reviewer=request.user, verdict=request.POST.get("verdict", ""),
        rationale=request.POST.get("rationale", "")))


@require_POST
def article_assign(request: HttpRequest, project_slug: str, article_id: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.visible_to(request.user), project__slug=project_slug, pk=article_id)
    username = request.POST.get("assignee", "").strip()
    assignee = None
    if username:
        assignee = get_user_model().objects.filter(username=username, memberships__project=article.project).first()
        if assignee is None:
            return HttpResponse(f"assignee: {username!r} is not a member of this project.", status=400,
                                content_type="text/plain; charset=utf-8")
    try:
        team.assign_article(article=article, assignee=assignee, by=request.user)
    except PermissionDenied as denied:
        return HttpResponse(str(denied), status=403, content_type="text/plain; charset=utf-8")
    messages.success(request, f"Assigned “{article.title}” to {username or 'nobody'}.")
    return redirect("article-list", project_slug=project_slug)


def queues(request: HttpRequest) -> HttpResponse:
    context = {
        "assigned": team.my_queue(request.user),
        "to_fix": team.my_claims_to_fix(request.user),
        "needs_review": team.needs_review(request.user),
        "disagreements": team.disagreements(request.user),
    }
    return render(request, "annotations/team/queues.html", context)


def dashboard(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), slug=project_slug)
    data = team.dashboard(project)
    recent = data["agreement_over_time"][-12:]
    alphas = [(f"{when:%d %b %H:%M}", alpha) for when, alpha, _ in recent if alpha is not None]
    context = {
        "project": project,
        "data": data,
        "status_chart": charts.bar_chart(data["by_status"], title="Claims by status"),
        "verdict_chart": charts.bar_chart(data["by_verdict"], title="Claims by verdict"),
        "extraction_chart": charts.bar_chart(data["extraction"], title="Entity extraction by state"),
        "throughput_chart": charts.bar_chart(
            [(f"{row['week']:%d %b} {row['reviewer']}", row["claims"]) for row in data["throughput"][:12]],
            title="Claims submitted for review, per reviewer and week",
        ),
        "agreement_chart": charts.bar_chart(alphas, title="Krippendorff's alpha over time") if alphas else "",
        "report": project.agreement_reports.first(),
        "is_editor": project.role_of(request.user) in workflow.EDITOR_ROLES,
    }
    return render(request, "annotations/team/dashboard.html", context)


@require_POST
def agreement_refresh(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), slug=project_slug)
    try:
        team.require_editor(project, request.user)
    except PermissionDenied as denied:
        return HttpResponse(str(denied), status=403, content_type="text/plain; charset=utf-8")
    team.request_agreement_report(project)
    return redirect("dashboard", project_slug=project_slug)


def project_settings(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Members and settings of a project: admins change them, other members may look."""
    project = get_object_or_404(Project.objects.visible_to(request.user), slug=project_slug)
    status, error = 200, ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        actions = {
            "member": lambda: team.set_member(project=project, username=request.POST.get("username", ""),
                                              role=request.POST.get("role", ""), by=request.user),
            "remove": lambda: team.remove_member(project=project, username=request.POST.get("username", ""),
                                                 by=request.user),
            "double_review": lambda: team.set_double_review(project=project, by=request.user,
                                                            enabled=request.POST.get("enabled") == "1"),
            "publisher": lambda: publisher.set_publisher(project=project, by=request.user,
                                                         **{f: request.POST.get(f, "") for f in publisher.FIELDS}),
        }
        if action not in actions:
            status, error = 400, f"action: {action!r} is not one of {', '.join(actions)}."
        else:
            try:
                actions[action]()
            except PermissionDenied as denied:
                status, error = 403, str(denied)
            except ValidationError as invalid:
                status = 400
                error = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in invalid.message_dict.items())
            else:
                messages.success(request, "Saved.")
                return redirect("project-settings", project_slug=project.slug)
    context = {
        "project": project,
        "memberships": project.memberships.select_related("user").order_by("user__username"),
        "is_admin": project.role_of(request.user) == "admin",
        "roles": Role.choices,
        "error": error,
    }
    return render(request, "annotations/team/project_settings.html", context, status=status)
