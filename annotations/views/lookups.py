"""Scoped getters for HTML views: every lookup starts from the user's projects (outsiders get 404),
and ``project_role`` refuses members whose role may not use a view (403 with the reason)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import F, Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from .. import workflow
from ..compiled import CompiledQuery
from ..models import Article, Capture, Claim, Project, Source

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_stubs_ext import WithAnnotations

M = TypeVar("M", bound=Model)
View = Callable[..., HttpResponse]


class AuthedRequest(HttpRequest):
    """A request past LoginRequiredMiddleware: every page view gets one, so ``user`` is a User."""

    user: User


class _MyRole(TypedDict):
    my_role: str | None


class ProjectRequest(AuthedRequest):
    """A request let through by ``project_role``: ``project`` is the URL's project, with ``my_role``."""

    project: WithAnnotations[Project, _MyRole]


def project_for(request: AuthedRequest, project_slug: str) -> WithAnnotations[Project, _MyRole]:
    """The project, with the user's role in it as ``my_role`` (no second query for permission checks)."""
    projects = Project.objects.visible_to(request.user).annotate(my_role=F("memberships__role"))
    return get_object_or_404(projects, slug=project_slug)


# The article with its project, if the user is a member: compiled once (annotations.compiled),
# as every desk page and partial looks its article up. The slug is compared in Python: only
# integers can be stand-ins.
_ARTICLE_OF_MEMBER = CompiledQuery(
    Article,
    # An unsaved user standing for the id: the scope stays visible_to's rule.
    lambda pk, user: Article.objects.visible_to(get_user_model()(pk=user)).filter(pk=pk).select_related("project"),
    "pk",
    "user",
)


def article_for(request: AuthedRequest, project_slug: str, article_id: int) -> Article:
    if not request.user.is_authenticated:
        return get_object_or_404(Article.objects.none())
    found = _ARTICLE_OF_MEMBER.all(pk=article_id, user=request.user.pk)
    if not found or found[0].project.slug != project_slug:
        raise Http404("No Article matches the given query.")
    return found[0]


# The claim with its article and project, if the user is a member: compiled once, as every
# claim write on the desk looks its claim up (slug and article compared in Python).
_CLAIM_OF_MEMBER = CompiledQuery(
    Claim,
    lambda pk, user: (
        Claim.objects.visible_to(get_user_model()(pk=user))
        .filter(pk=pk)
        .select_related("article__project", "created_by", "reviewed_by")
    ),
    "pk",
    "user",
)


def claim_for(request: AuthedRequest, project_slug: str, claim_id: int, article_id: int | None = None) -> Claim:
    found = _CLAIM_OF_MEMBER.all(pk=claim_id, user=request.user.pk) if request.user.is_authenticated else []
    if (
        not found
        or found[0].article.project.slug != project_slug
        or (article_id is not None and found[0].article_id != article_id)
    ):
        raise Http404("No Claim matches the given query.")
    return found[0]


def source_for(request: AuthedRequest, project_slug: str, article_id: int, claim_id: int, source_id: int) -> Source:
    claim = claim_for(request, project_slug, claim_id, article_id)
    source = get_object_or_404(claim.sources.all(), pk=source_id)
    source.claim = claim  # keeps the scoped, already loaded claim and its article
    return source


def capture_for(request: AuthedRequest, project_slug: str, capture_id: int) -> Capture:
    """A capture of a source in one of the user's projects (its source, claim and article loaded)."""
    return get_object_or_404(
        Capture.objects.visible_to(request.user).select_related("source__claim__article__project"),
        source__claim__article__project__slug=project_slug,
        pk=capture_id,
    )


def job_for(request: AuthedRequest, queryset: QuerySet[M], project_slug: str, job_id: int) -> M:
    """A job row (export, import, ...) of one of the user's projects."""
    return get_object_or_404(
        queryset.filter(project__in=Project.objects.visible_to(request.user)).select_related("project"),
        project__slug=project_slug,
        pk=job_id,
    )


def project_role(*roles: str, message: str = workflow.EDITORS_ONLY) -> Callable[[View], View]:
    """Let only these roles of the URL's project in (403 with ``message``); outsiders get 404.

    The view receives the project (with ``my_role``) as ``request.project``.
    """
    allowed = frozenset(roles)

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: ProjectRequest, project_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            project = project_for(request, project_slug)
            if project.my_role not in allowed:
                raise PermissionDenied(message)
            request.project = project
            return view(request, project_slug, *args, **kwargs)

        return wrapper

    return decorate
