"""Project pages: the list of the user's projects, the dashboard, members and settings, API tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from .. import charts, members, stats, workflow
from ..models import ApiToken, Project, Role
from . import lookups
from .lookups import AuthedRequest
from .refusals import refusal_text


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to: no 404 on every page."""
    return redirect(static("annotations/favicon.svg"), permanent=True)


def project_list(request: AuthedRequest) -> HttpResponse:
    projects = Project.objects.visible_to(request.user).annotate(article_count=Count("articles", distinct=True))
    context = {"projects": projects, "can_create": members.can_create_project(request.user)}
    return render(request, "annotations/project_list.html", context)


def project_create(request: AuthedRequest) -> HttpResponse:
    """A new project, whose creator becomes its admin (who may create one: ``PROJECT_CREATORS``)."""
    if not members.can_create_project(request.user):
        raise PermissionDenied(members.CREATE_PROJECT_REFUSED)
    errors: dict[str, str] = {}
    values = {name: request.POST.get(name, "") for name in ("name", "slug", "description")}
    if request.method == "POST":
        try:
            project = members.create_project(
                by=request.user, name=values["name"], slug=values["slug"], description=values["description"]
            )
        except ValidationError as invalid:
            errors = {field: " ".join(texts) for field, texts in invalid.message_dict.items()}
        else:
            messages.success(request, f"Project “{project.name}” created: you are its admin. Add your team here.")
            return redirect("project-settings", project_slug=project.slug)
    context = {"values": values, "errors": errors}
    return render(request, "annotations/project_create.html", context, status=400 if errors else 200)


def invitation_accept(request: AuthedRequest, token: str) -> HttpResponse:
    """An invitation link: shows the project and role; joining is one button (a POST, never a GET)."""
    invitation = members.invitation_for(token)
    if request.method == "POST":
        try:
            membership = members.accept_invitation(token=token, user=request.user)
        except ValidationError as invalid:
            return render(
                request, "annotations/invitation.html", {"error": refusal_text(invalid), "invitation": None}, status=410
            )
        messages.success(request, f"You joined “{membership.project.name}” as {membership.get_role_display().lower()}.")
        return redirect("article-list", project_slug=membership.project.slug)
    context = {
        "invitation": invitation,
        "error": "" if invitation else members.INVITATION_GONE,
        "current_role": invitation.project.role_of(request.user) if invitation else None,
    }
    response = render(request, "annotations/invitation.html", context, status=200 if invitation else 410)
    response["Cache-Control"] = "no-store"
    return response


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
    invite_link, invitation = "", None
    if request.method == "POST":
        user: Any = request.user
        post = request.POST
        actions: dict[str, Callable[[], object]] = {
            "member": lambda: members.set_member(
                project=project, username=post.get("username", ""), role=post.get("role", ""), by=user
            ),
            "add": lambda: members.add_member(
                project=project, who=post.get("who", ""), role=post.get("role", ""), by=user
            ),
            "invite": lambda: members.invite(
                project=project, role=post.get("role", ""), note=post.get("note", ""), by=user
            ),
            "revoke_invite": lambda: members.revoke_invitation(
                project=project, invitation_id=_int(post.get("invitation", "")), by=user
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
                result = actions[action]()
            except PermissionDenied as denied:
                status, error = 403, str(denied)
            except ValidationError as invalid:
                status, error = 400, refusal_text(invalid)
            else:
                if action == "invite":
                    # The link is shown once, in this response: only its hash is stored.
                    assert isinstance(result, tuple)
                    invitation, token = result
                    invite_link = request.build_absolute_uri(reverse("invitation", args=[token]))
                else:
                    messages.success(request, _SAVED.get(action, "Saved."))
                    return redirect("project-settings", project_slug=project.slug)
    is_admin = workflow.is_admin(project.my_role)
    context = {
        "project": project,
        "memberships": project.memberships.select_related("user").order_by("user__username"),
        "invitations": project.invitations.open().select_related("created_by") if is_admin else [],
        "is_admin": is_admin,
        "roles": Role.choices,
        "error": error,
        "invite_link": invite_link,
        "invitation": invitation,
        "invitation_days": settings.INVITATION_DAYS,
    }
    response = render(request, "annotations/team/project_settings.html", context, status=status)
    if invite_link:
        response["Cache-Control"] = "no-store"
    return response


_SAVED = {
    "add": "Member added.",
    "member": "Role changed.",
    "remove": "Member removed.",
    "revoke_invite": "Invitation withdrawn.",
}


def _int(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 16 else 0


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
