"""The only writer of memberships and project settings: roles, members, double review.

Admins manage members and settings; a project always keeps at least one admin, on every door
(settings page, API, commands, admin site). The publisher settings are what the ClaimReview
export needs (its author and review URLs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from . import workflow
from .claims import role_of
from .models import Membership, Project, Role, max_length_of

if TYPE_CHECKING:
    from django.contrib.auth.models import User

LAST_ADMIN = "The project must keep at least one admin."


def require_role(project: Project, user: User, roles: frozenset[str], message: str) -> str:
    role = role_of(project, user)
    if role not in roles:
        raise PermissionDenied(message)
    return str(role)


def require_editor(project: Project, user: User) -> str:
    return require_role(project, user, workflow.EDITOR_ROLES, workflow.EDITORS_ONLY)


def require_admin(project: Project, user: User) -> str:
    return require_role(project, user, workflow.ADMIN_ROLES, workflow.ADMINS_ONLY)


def check_role_change(membership: Membership, role: str | None) -> None:
    """The last admin of a project stays one (``role=None``: the membership is being removed)."""
    if role != Role.ADMIN and membership.is_last_admin():
        raise ValidationError({"role": LAST_ADMIN})


def set_member(*, project: Project, username: str, role: str, by: User | None, only_new: bool = False) -> Membership:
    """Add a user to the project or change their role (admins only; ``by=None`` is a trusted command).

    ``only_new`` refuses a user who is already a member (the API's "add member").
    """
    if by is not None:
        require_admin(project, by)
    if role not in Role.values:
        raise ValidationError({"role": f"{role!r} is not a role; use one of: {', '.join(Role.values)}."})
    user = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        raise ValidationError({"username": f"There is no active user called {username.strip()!r}."})
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(project=project, user=user).first()
        if membership is None:
            return Membership.objects.create(project=project, user=user, role=role)
        if only_new:
            raise ValidationError({"username": "This user is already a member of the project."})
        check_role_change(membership, role)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def remove_member(*, project: Project, username: str, by: User | None) -> None:
    if by is not None:
        require_admin(project, by)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(project=project, user__username=username).first()
        if membership is None:
            raise ValidationError({"username": f"{username!r} is not a member of this project."})
        check_role_change(membership, None)
        membership.delete()


def set_double_review(*, project: Project, enabled: bool, by: User) -> Project:
    require_admin(project, by)
    project.double_review = enabled
    project.save(update_fields=["double_review"])
    return project


# --- publisher settings (ClaimReview's author and url) ---------------------------------------------

PUBLISHER_FIELDS = ("publisher_name", "publisher_url", "publisher_logo_url", "review_url_template")
_HTTP_URL = URLValidator(schemes=["http", "https"])


def set_publisher(
    *,
    project: Project,
    by: User,
    publisher_name: str,
    publisher_url: str,
    publisher_logo_url: str,
    review_url_template: str,
) -> Project:
    """Save the publisher settings (admins only); raises ValidationError naming each bad field."""
    require_admin(project, by)
    values = {
        "publisher_name": publisher_name.strip(),
        "publisher_url": publisher_url.strip(),
        "publisher_logo_url": publisher_logo_url.strip(),
        "review_url_template": review_url_template.strip(),
    }
    errors: dict[str, str] = {}
    for name in ("publisher_url", "publisher_logo_url"):
        if values[name]:
            try:
                _HTTP_URL(values[name])
            except ValidationError:
                errors[name] = f"{values[name]!r} is not an http(s) URL."
    if values["review_url_template"]:
        from .exports.claimreview import template_problem

        problem = template_problem(values["review_url_template"])
        if problem:
            errors["review_url_template"] = problem
    for name, value in values.items():
        limit = max_length_of(Project, name)
        if len(value) > limit:
            errors[name] = f"has {len(value)} characters; the limit is {limit}."
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(project, name, value)
    project.save(update_fields=list(values))
    return project
