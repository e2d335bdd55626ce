"""Project pages: the list of the user's projects, the dashboard, members and settings, API tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .. import charts, members, stats, workflow
from ..models import ApiToken, Project, Role
from . import lookups
from .lookups import AuthedRequest
from .refusals import refusal_text


def project_list(request: AuthedRequest) -> HttpResponse:
    projects = Project.objects.visible_to(request.user).annotate(article_count=Count("articles", distinct=True))
    return render(request, "annotations/project_list.html", {"projects": projects})


def dashboard(request: AuthedRequest, project_slug: str) -> HttpResponse:
    project = lookups.project_for(request, project_slug)
    data = stats.dashboard(project)
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
        "is_editor": workflow.is_editor(project.my_role),
    }
    return render(request, "annotations/team/dashboard.html", context)


@require_POST
@lookups.project_role(*workflow.EDITOR_ROLES)
def agreement_refresh(request: lookups.ProjectRequest, project_slug: str) -> HttpResponse:
    stats.request_agreement_report(request.project)
    return redirect("dashboard", project_slug=project_slug)


def project_settings(request: AuthedRequest, project_slug: str) -> HttpResponse:
    """Members and settings of a project: admins change them, other members may look."""
    project = lookups.project_for(request, project_slug)
    status, error = 200, ""
    if request.method == "POST":
        user: Any = request.user
        post = request.POST
        actions: dict[str, Callable[[], object]] = {
            "member": lambda: members.set_member(
                project=project, username=post.get("username", ""), role=post.get("role", ""), by=user
            ),
            "remove": lambda: members.remove_member(project=project, username=post.get("username", ""), by=user),
            "double_review": lambda: members.set_double_review(
                project=project, by=user, enabled=post.get("enabled") == "1"
            ),
            "publisher": lambda: members.set_publisher(
                project=project, by=user, **{name: post.get(name, "") for name in members.PUBLISHER_FIELDS}
            ),
        }
        action = post.get("action", "")
        if action not in actions:
            status, error = 400, f"action: {action!r} is not one of {', '.join(actions)}."
        else:
            try:
                actions[action]()
            except PermissionDenied as denied:
                status, error = 403, str(denied)
            except ValidationError as invalid:
                status, error = 400, refusal_text(invalid)
            else:
                messages.success(request, "Saved.")
                return redirect("project-settings", project_slug=project.slug)
    context = {
        "project": project,
        "memberships": project.memberships.select_related("user").order_by("user__username"),
        "is_admin": workflow.is_admin(project.my_role),
        "roles": Role.choices,
        "error": error,
    }
    return render(request, "annotations/team/project_settings.html", context, status=status)


def api_tokens(request: AuthedRequest) -> HttpResponse:
    """List, create and revoke the user's API tokens. A new key is shown once, in this response."""
    user: Any = request.user
    new_key = ""
    error = ""
    name = ""
    if request.method == "POST":
        if "revoke" in request.POST:
            token_id = request.POST["revoke"]
            token = get_object_or_404(user.api_tokens.all(), pk=token_id if token_id.isdigit() else 0)
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
            _, new_key = ApiToken.issue(user, name)
            name = ""
    context = {"tokens": user.api_tokens.all(), "new_key": new_key, "error": error, "name": name}
    response = render(request, "annotations/tokens.html", context, status=400 if error else 200)
    if new_key:
        response["Cache-Control"] = "no-store"
    return response
