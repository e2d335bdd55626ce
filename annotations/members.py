"""The only writer of memberships and project settings: roles, members, double review.

Admins manage members and settings; a project always keeps at least one admin, on every door
(settings page, API, commands, admin site). The publisher settings are what the ClaimReview
export needs (its author and review URLs)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from . import limits, workflow
from .claims import role_of
from .models import Invitation, Membership, Project, Role, max_length_of

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


def check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": f"{role!r} is not a role; use one of: {', '.join(Role.values)}."})


def find_user(who: str, *, field: str = "username") -> User:
    """An active user by username or, when ``who`` has an @ and no username matches, by e-mail.

    Usernames may contain @ too, so the username wins; an e-mail address shared by several
    accounts is refused rather than guessed.
    """
    who = who.strip()
    if not who:
        raise ValidationError({field: "Give a username or an e-mail address."})
    users = get_user_model().objects.filter(is_active=True)
    user = users.filter(username=who).first()
    if user is None and "@" in who:
        matches = list(users.filter(email__iexact=who)[:2])
        if len(matches) > 1:
            raise ValidationError({field: f"Several accounts use {who!r}: give the username instead."})
        user = matches[0] if matches else None
    if user is None:
        kind = "called or with the e-mail" if "@" in who else "called"
        raise ValidationError({field: f"There is no active user {kind} {who!r}."})
    return user


def set_member(*, project: Project, username: str, role: str, by: User | None, only_new: bool = False) -> Membership:
    """Add a user to the project or change their role (admins only; ``by=None`` is a trusted command).

    ``username`` may be an e-mail address (see ``find_user``). ``only_new`` refuses a user who is
    already a member (the "add member" form and API).
    """
    if by is not None:
        require_admin(project, by)
    check_role(role)
    user = find_user(username)
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


def add_member(*, project: Project, who: str, role: str, by: User | None) -> Membership:
    """Add someone new, named by username or e-mail, with a role (admins only)."""
    return set_member(project=project, username=who, role=role, by=by, only_new=True)


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


# --- creating projects -----------------------------------------------------------------------------

PROJECT_CREATORS_STAFF, PROJECT_CREATORS_ANYONE = "staff", "anyone"
CREATE_PROJECT_REFUSED = "Only staff can create projects here; ask a site administrator."


def can_create_project(user: User | None) -> bool:
    """Who may start a project: set by ``PROJECT_CREATORS`` ("staff" or "anyone" signed in)."""
    if user is None:  # a trusted command run by the server's operator
        return True
    if not user.is_active:
        return False
    if settings.PROJECT_CREATORS == PROJECT_CREATORS_ANYONE:
        return True
    return bool(user.is_staff or user.is_superuser)


def create_project(
    *, name: str, slug: str = "", description: str = "", by: User | None, admin: User | None = None
) -> Project:
    """Create a project; its creator (or ``admin``, for a command) becomes its first admin.

    The project and its admin membership are made in one transaction, so no project is ever
    left without an admin (nobody could add members to it again).
    """
    if not can_create_project(by):
        raise PermissionDenied(CREATE_PROJECT_REFUSED)
    owner = admin or by
    name, description = name.strip(), description.strip()
    slug = (slug.strip() or slugify(name))[:100]
    errors: dict[str, str] = {}
    name_limit = Project._meta.get_field("name").max_length or 0
    if not name:
        errors["name"] = "Give the project a name."
    elif len(name) > name_limit:
        errors["name"] = f"has {len(name)} characters; the limit is {name_limit}."
    if not slug:
        errors["slug"] = "Give the project a short name for its web address (letters, digits, - and _)."
    else:
        try:
            validate_slug(slug)
        except ValidationError:
            errors["slug"] = f"{slug!r} may contain only letters, digits, hyphens and underscores."
    if len(description) > limits.PROJECT_DESCRIPTION_CHARS:
        errors["description"] = f"has {len(description)} characters; the limit is {limits.PROJECT_DESCRIPTION_CHARS}."
    if owner is None:
        errors["admin"] = "A project needs a first admin."
    if not errors and Project.objects.filter(slug=slug).exists():
        errors["slug"] = f"The address {slug!r} is taken by another project: choose another."
    if errors:
        raise ValidationError(errors)
    assert owner is not None
    try:
        with transaction.atomic():
            project = Project.objects.create(name=name, slug=slug, description=description)
            Membership.objects.create(project=project, user=owner, role=Role.ADMIN)
    except IntegrityError:
        # Two people took the same slug at the same moment: the unique index decided.
        raise ValidationError({"slug": f"The address {slug!r} is taken by another project: choose another."}) from None
    return project


# --- invitations -----------------------------------------------------------------------------------

INVITATION_GONE = (
    "This invitation link has expired, been used or been withdrawn: ask the project's admin for a new one."
)


def invite(*, project: Project, role: str, by: User, note: str = "", days: int | None = None) -> tuple[Invitation, str]:
    """Make an invitation link (admins only). Returns the row and the token, shown only now."""
    require_admin(project, by)
    check_role(role)
    note = note.strip()
    if len(note) > 200:
        raise ValidationError({"note": f"has {len(note)} characters; the limit is 200."})
    days = settings.INVITATION_DAYS if days is None else days
    if not 1 <= days <= 90:
        raise ValidationError({"days": "An invitation lasts between 1 and 90 days."})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        project=project,
        role=role,
        note=note,
        token_hash=Invitation.hash_token(token),
        created_by=by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return invitation, token


def invitation_for(token: str) -> Invitation | None:
    """The open invitation a link names, or None (unknown, used, withdrawn and expired alike)."""
    return Invitation.objects.open().select_related("project").filter(token_hash=Invitation.hash_token(token)).first()


def accept_invitation(*, token: str, user: User) -> Membership:
    """Join the invitation's project. A member keeps a higher role; an invitation works once."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.open().select_for_update().filter(token_hash=Invitation.hash_token(token)).first()
        )
        if invitation is None:
            raise ValidationError({"token": INVITATION_GONE})
        membership = Membership.objects.select_for_update().filter(project=invitation.project, user=user).first()
        rank = {Role.REVIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}
        if membership is None:
            membership = Membership.objects.create(project=invitation.project, user=user, role=invitation.role)
        elif rank[Role(invitation.role)] > rank[Role(membership.role)]:
            membership.role = invitation.role
            membership.save(update_fields=["role"])
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def revoke_invitation(*, project: Project, invitation_id: int, by: User) -> Invitation:
    require_admin(project, by)
    invitation = project.invitations.filter(pk=invitation_id).first()
    if invitation is None:
        raise ValidationError({"invitation": "There is no such invitation in this project."})
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation
