"""Who may do what. Visibility (outsiders get 404) comes from the scoped querysets; these
classes decide what a member may do (403 otherwise).

Querysets annotate ``my_role`` (the requesting user's role in the object's project) so that
no permission check costs a query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from .. import workflow
from ..models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def actor(request: Request) -> User:
    """The signed-in user acting on a request (IsAuthenticated let it through, so never anonymous)."""
    user = request.user
    if not user.is_authenticated:
        raise NotAuthenticated
    return user


class CanEditClaim(BasePermission):
    """Members read; reviewers change their own claims; editors and admins change any."""

    message = "Only the claim's author or an editor or admin of the project may change it."

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        is_author = obj.created_by_id is not None and obj.created_by_id == request.user.pk
        return workflow.can_edit(getattr(obj, "my_role", None), is_author=is_author)


class IsProjectAdminForWrites(BasePermission):
    """Members see the member list; only admins of the project change it."""

    message = "Only an admin of the project may manage its members."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return view.get_project().my_role == Role.ADMIN


class IsEditorForWrites(BasePermission):
    """Members read; editors and admins start work that affects everyone (e.g. re-running extraction)."""

    message = "Only an editor or admin of the project may do this."

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return workflow.is_editor(getattr(obj, "my_role", None))
