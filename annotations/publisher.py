"""A project's publisher settings: who publishes its fact checks and where (ClaimReview's author and url).

Only project admins change them. Kept apart from the member operations so that the export side
owns what its formats need; the settings page and (later) the API call ``set_publisher``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator

from .exports.claimreview import template_problem
from .models import Project, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

FIELDS = ("publisher_name", "publisher_url", "publisher_logo_url", "review_url_template")
_http_url = URLValidator(schemes=["http", "https"])


def set_publisher(
    *,
    project: Project,
    by: AbstractBaseUser,
    publisher_name: str,
    publisher_url: str,
    publisher_logo_url: str,
    review_url_template: str,
) -> Project:
    """Save the publisher settings (admins only); raises ValidationError naming each bad field."""
    if project.role_of(by) != Role.ADMIN:
        raise PermissionDenied("Only admins of this project can change its members and settings.")
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
                _http_url(values[name])
            except ValidationError:
                errors[name] = f"{values[name]!r} is not an http(s) URL."
    if values["review_url_template"]:
        problem = template_problem(values["review_url_template"])
        if problem:
            errors["review_url_template"] = problem
    for name, value in values.items():
        limit = Project._meta.get_field(name).max_length or 0
        if len(value) > limit:
            errors[name] = f"has {len(value)} characters; the limit is {limit}."
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(project, name, value)
    project.save(update_fields=list(values))
    return project
