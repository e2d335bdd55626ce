"""API views: scope the lookup to the user's projects, check the role, call one service, render.

Every queryset starts from the requesting user's memberships (outsiders get 404) and carries
the user's role in the object's project as ``my_role``, so permission checks cost no query.

DRF exempts its views from LoginRequiredMiddleware: they authenticate by token or session
themselves and answer 401/403 in JSON (IsAuthenticated is the default permission).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required, login_required
from django.db import transaction
from django.db.models import F, Prefetch, QuerySet
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .. import articles, captures, claims, gcpause, members, suggestions, workflow
from ..models import (
    Article,
    Capture,
    Claim,
    EntityMention,
    ExtractionRun,
    Invitation,
    Membership,
    Project,
    Source,
    Suggestion,
)
from . import filters, serializers
from .permissions import CanEditClaim, IsProjectAdminForWrites, actor

ID_PATTERN = "[0-9]{1,15}"

ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field-level validation errors."),
    401: OpenApiResponse(serializers.ErrorSerializer, description="No or bad credentials."),
    403: OpenApiResponse(serializers.ErrorSerializer, description="Your role does not allow this."),
    404: OpenApiResponse(serializers.ErrorSerializer, description="Not found (or not in your projects)."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


# --- projects and members -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Your projects", responses={200: serializers.ProjectSerializer(many=True), **errors(401)}
    ),
    retrieve=extend_schema(summary="A project", responses={200: serializers.ProjectSerializer, **errors(401, 404)}),
    create=extend_schema(
        summary="Create a project (you become its admin; who may: PROJECT_CREATORS)",
        request=serializers.ProjectCreateSerializer,
        responses={201: serializers.ProjectSerializer, **errors(400, 401, 403)},
    ),
)
class ProjectViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.ProjectSerializer
    lookup_field = "slug"
    pagination_class = None
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Project]:
        return Project.objects.visible_to(self.request.user).annotate(my_role=F("memberships__role")).order_by("name")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = serializers.ProjectCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = members.create_project(by=actor(request), **data.validated_data)
        created = self.get_queryset().get(pk=project.pk)
        return Response(serializers.ProjectSerializer(created).data, status=status.HTTP_201_CREATED)


PROJECT_SLUG = OpenApiParameter("project_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Project slug.")
USERNAME = OpenApiParameter("username", OpenApiTypes.STR, OpenApiParameter.PATH, description="Member's username.")


@extend_schema(parameters=[PROJECT_SLUG])
@extend_schema_view(
    list=extend_schema(
        summary="Members of a project", responses={200: serializers.MemberSerializer(many=True), **errors(401, 404)}
    ),
    create=extend_schema(
        summary="Add a member (admins)",
        request=serializers.MemberCreateSerializer,
        responses={201: serializers.MemberSerializer, **errors(400, 401, 403, 404)},
    ),
    retrieve=extend_schema(parameters=[USERNAME], responses={200: serializers.MemberSerializer, **errors(401, 404)}),
    update=extend_schema(
        summary="Change a member's role (admins)",
        parameters=[USERNAME],
        responses={200: serializers.MemberSerializer, **errors(400, 401, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Change a member's role (admins)",
        parameters=[USERNAME],
        responses={200: serializers.MemberSerializer, **errors(400, 401, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Remove a member (admins)", parameters=[USERNAME], responses={204: None, **errors(400, 401, 403, 404)}
    ),
)
class MemberViewSet(viewsets.ModelViewSet):
    serializer_class = serializers.MemberSerializer
    permission_classes = [IsAuthenticated, IsProjectAdminForWrites]
    pagination_class = None
    filter_backends: list[Any] = []
    lookup_field = "user__username"
    lookup_url_kwarg = "username"
    lookup_value_regex = r"[\w.@+-]{1,150}"  # Django's username characters
    _project: Project | None = None

    def get_project(self) -> Project:
        if self._project is None:
            projects = Project.objects.visible_to(self.request.user).annotate(my_role=F("memberships__role"))
            self._project = get_object_or_404(projects, slug=self.kwargs["project_slug"])
        return self._project

    def get_queryset(self) -> QuerySet[Membership]:
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return self.get_project().memberships.select_related("user").order_by("user__username")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_project()
        self.check_permissions(request)
        data = serializers.MemberCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = members.add_member(
            project=project, who=data.validated_data["username"], role=data.validated_data["role"], by=actor(request)
        )
        return Response(serializers.MemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: Any) -> None:
        membership = serializer.instance
        serializer.instance = members.set_member(
            project=self.get_project(),
            username=membership.user.get_username(),
            role=serializer.validated_data.get("role", membership.role),
            by=actor(self.request),
        )

    def perform_destroy(self, instance: Membership) -> None:
        members.remove_member(project=self.get_project(), username=instance.user.get_username(), by=actor(self.request))


@extend_schema(parameters=[PROJECT_SLUG])
@extend_schema_view(
    list=extend_schema(
        summary="Open and past invitations of a project (admins)",
        responses={200: serializers.InvitationSerializer(many=True), **errors(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Create an invitation link (admins); the link is in this response only",
        request=serializers.InvitationCreateSerializer,
        responses={201: serializers.InvitationCreatedSerializer, **errors(400, 401, 403, 404)},
    ),
    destroy=extend_schema(summary="Withdraw an invitation (admins)", responses={204: None, **errors(401, 403, 404)}),
)
class InvitationViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = serializers.InvitationSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    lookup_value_regex = ID_PATTERN
    _project: Project | None = None

    def get_project(self) -> Project:
        # The same scoped lookup as the member list: outsiders get 404.
        if self._project is None:
            projects = Project.objects.visible_to(self.request.user).annotate(my_role=F("memberships__role"))
            self._project = get_object_or_404(projects, slug=self.kwargs["project_slug"])
        return self._project

    def get_queryset(self) -> QuerySet[Invitation]:
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        project = self.get_project()
        # Members learn a project exists (404 otherwise); only admins see its invitations.
        members.require_admin(project, actor(self.request))
        return project.invitations.select_related("created_by")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = serializers.InvitationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation, token = members.invite(project=self.get_project(), by=actor(request), **data.validated_data)
        invitation.url = request.build_absolute_uri(reverse("invitation", args=[token]))  # type: ignore[attr-defined]
        invitation.token = token  # type: ignore[attr-defined]
        return Response(serializers.InvitationCreatedSerializer(invitation).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Invitation) -> None:
        members.revoke_invitation(project=self.get_project(), invitation_id=instance.pk, by=actor(self.request))


@extend_schema(
    summary="Accept an invitation: join its project with its role",
    request=serializers.InvitationAcceptSerializer,
    responses={200: serializers.MemberSerializer, **errors(400, 401)},
)
@api_view(["POST"])
def accept_invitation(request: Request) -> Response:
    data = serializers.InvitationAcceptSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    membership = members.accept_invitation(token=data.validated_data["token"], user=actor(request))
    body = serializers.MemberSerializer(membership).data
    return Response({**body, "project": membership.project.slug})


# --- articles, mentions and extraction runs ----------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Articles of your projects",
        responses={200: serializers.ArticleSerializer(many=True), **errors(400, 401, 404)},
    ),
    retrieve=extend_schema(
        summary="An article with its text, claims, entity mentions and latest extraction run",
        responses={200: serializers.ArticleDetailSerializer, **errors(401, 404)},
    ),
    create=extend_schema(
        summary="Import an article (extraction is queued)",
        request=serializers.ArticleSerializer,
        responses={
            201: serializers.ArticleDetailSerializer,
            409: OpenApiResponse(serializers.DuplicateArticleSerializer, description="Same text already imported."),
            **errors(400, 401),
        },
    ),
)
class ArticleViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = ID_PATTERN
    filterset_class = filters.ArticleFilter
    pagination_class = filters.ApiCursorPagination
    ordering_fields = ["id", "created_at", "published_at"]
    ordering = ["-id"]

    def get_serializer_class(self) -> Any:
        return serializers.ArticleDetailSerializer if self.action == "retrieve" else serializers.ArticleSerializer

    def get_queryset(self) -> QuerySet[Article]:
        articles = Article.objects.visible_to(self.request.user).select_related("project", "created_by")
        if self.action in ("bulk_claims", "suggestions"):
            # The text to check spans against, and the role for the rules: one query.
            return articles.annotate(my_role=F("project__memberships__role"))
        if self.action == "retrieve":
            claims = Claim.objects.in_text_order().select_related("created_by", "reviewed_by")
            return articles.prefetch_related(
                Prefetch("claims", queryset=claims),
                Prefetch("mentions", queryset=EntityMention.objects.order_by("start", "end", "id")),
            )
        return articles.defer("text").with_claim_count()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            article = articles.create(
                project=data["project"],
                title=data["title"],
                text=data["text"],
                created_by=actor(request),
                url=data.get("url", ""),
                publisher=data.get("publisher", ""),
                published_at=data.get("published_at"),
                language=data.get("language", "en"),
            )
        except articles.DuplicateArticle as duplicate:
            body = {
                "detail": f"This text is already in the project as article {duplicate.existing.pk}.",
                "text": [f"The same text was already imported as article {duplicate.existing.pk}."],
                "existing": duplicate.existing.pk,
            }
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(
            serializers.ArticleDetailSerializer(article, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Mark many claims (with sources) in one transaction: all or none",
        request=serializers.BulkClaimsSerializer,
        responses={
            201: serializers.BulkClaimsCreatedSerializer,
            400: OpenApiResponse(serializers.BulkErrorSerializer, description="Per-item errors; nothing written."),
            403: OpenApiResponse(serializers.BulkErrorSerializer, description="An item your role may not create."),
            **errors(401, 404),
        },
    )
    @action(detail=True, methods=["post"], url_path="claims", filter_backends=[], pagination_class=None)
    @method_decorator(gcpause.paused())
    def bulk_claims(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Items are checked by claims.create_many, not by a serializer per item: building and
        # running ClaimSerializer 7,000 times would cost more than the writes themselves. The
        # collector waits while the body is parsed and the items written (a full collection
        # over the parsed items was a fifth of the request); create_many pauses it for its
        # other callers too.
        payload = request.data
        items = payload.get("claims") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            return Response(
                {"detail": 'Send {"claims": [...]}.', "claims": ["A list of claims is required."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        article = self.get_object()
        ids = claims.create_many(article=article, by=actor(request), items=items, role=article.my_role)
        return Response(
            {"article": article.pk, "count": len(ids), "ids": ids},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Every sentence of the article with its check-worthiness score, best first",
        responses={200: serializers.SuggestionListSerializer, **errors(401, 404)},
    )
    @action(detail=True, methods=["get"], url_path="suggestions", filter_backends=[], pagination_class=None)
    def suggestions(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        article = self.get_object()
        rows = list(suggestions.ranked(article))
        data = serializers.SuggestionSerializer(rows, many=True, context={"text": article.text}).data
        return Response({"article": article.pk, "count": len(rows), "results": data})


@extend_schema_view(
    list=extend_schema(
        summary="Entity mentions",
        responses={200: serializers.EntityMentionSerializer(many=True), **errors(400, 401, 404)},
    ),
    retrieve=extend_schema(responses={200: serializers.EntityMentionSerializer, **errors(401, 404)}),
)
class EntityMentionViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = ID_PATTERN
    serializer_class = serializers.EntityMentionSerializer
    filterset_class = filters.MentionFilter
    pagination_class = filters.ApiCursorPagination
    ordering_fields = ["id", "start"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[EntityMention]:
        if getattr(self, "swagger_fake_view", False):
            return EntityMention.objects.none()
        return EntityMention.objects.filter(article__in=Article.objects.visible_to(self.request.user))


@extend_schema_view(
    list=extend_schema(
        summary="Extraction runs",
        responses={200: serializers.ExtractionRunSerializer(many=True), **errors(400, 401, 404)},
    ),
    retrieve=extend_schema(responses={200: serializers.ExtractionRunSerializer, **errors(401, 404)}),
    create=extend_schema(
        summary="Re-run entity extraction on an article (editors and admins)",
        request=serializers.ExtractionRunCreateSerializer,
        responses={201: serializers.ExtractionRunSerializer, **errors(400, 401, 403)},
    ),
)
class ExtractionRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = ID_PATTERN
    serializer_class = serializers.ExtractionRunSerializer
    filterset_class = filters.ExtractionRunFilter
    pagination_class = filters.ApiCursorPagination
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]

    def get_queryset(self) -> QuerySet[ExtractionRun]:
        if getattr(self, "swagger_fake_view", False):
            return ExtractionRun.objects.none()
        return ExtractionRun.objects.filter(article__in=Article.objects.visible_to(self.request.user))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = serializers.ExtractionRunCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        article = serializer.validated_data["article"]
        if not workflow.is_editor(article.my_role):
            raise PermissionDenied("Only an editor or admin of the project may re-run extraction.")
        with transaction.atomic():
            run = articles.enqueue_extraction(article)
        return Response(serializers.ExtractionRunSerializer(run).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="Captures of sources' pages in your projects (filter by source or claim; the text is in each capture)",
        responses={200: serializers.CaptureListSerializer(many=True), **errors(400, 401)},
    ),
    retrieve=extend_schema(summary="A capture", responses={200: serializers.CaptureSerializer, **errors(401, 404)}),
)
class CaptureViewSet(viewsets.ReadOnlyModelViewSet):
    """Read-only: captures are made by the server (on a source's write, or "capture again")."""

    lookup_value_regex = ID_PATTERN
    serializer_class = serializers.CaptureSerializer
    filterset_class = filters.CaptureFilter
    pagination_class = filters.ApiCursorPagination
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]

    def get_serializer_class(self) -> Any:
        return serializers.CaptureListSerializer if self.action == "list" else serializers.CaptureSerializer

    def get_queryset(self) -> QuerySet[Capture]:
        if getattr(self, "swagger_fake_view", False):
            return Capture.objects.none()
        captures = Capture.objects.visible_to(self.request.user).select_related("requested_by")
        return captures.defer("text") if self.action == "list" else captures


# --- claims and sources ------------------------------------------------------------------------

IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description='The ETag you read, e.g. "3".'
)
ETAG_HEADER = {"ETag": {"type": "string", "description": "The claim's version, quoted."}}
STALE = {
    409: OpenApiResponse(
        serializers.StaleClaimSerializer, description="Stale `version` field; body has the current claim."
    ),
    412: OpenApiResponse(serializers.StaleClaimSerializer, description="Stale If-Match; body has the current claim."),
    428: OpenApiResponse(serializers.ErrorSerializer, description="Neither If-Match nor `version` was sent."),
}


def _parse_if_match(header: str) -> int | None:
    """The version in an If-Match header; None for ``*``; -1 when it cannot match any version."""
    value = header.strip()
    if value == "*":
        return None
    value = value.removeprefix("W/").strip('"')
    return int(value) if value.isdigit() and len(value) < 10 else -1


def _with_etag(response: Response, claim: Claim) -> Response:
    response["ETag"] = f'"{claim.version}"'
    return response


@extend_schema_view(
    list=extend_schema(
        summary="Claims of your projects",
        responses={200: serializers.ClaimSerializer(many=True), **errors(400, 401, 404)},
    ),
    retrieve=extend_schema(
        summary="A claim (with its version as ETag)", responses={200: serializers.ClaimSerializer, **errors(401, 404)}
    ),
    create=extend_schema(summary="Mark a claim", responses={201: serializers.ClaimSerializer, **errors(400, 401, 403)}),
    update=extend_schema(
        summary="Replace a claim's fields (needs If-Match or version)",
        parameters=[IF_MATCH],
        responses={200: serializers.ClaimSerializer, **errors(400, 401, 403, 404), **STALE},
    ),
    partial_update=extend_schema(
        summary="Change a claim (needs If-Match or version)",
        parameters=[IF_MATCH],
        responses={200: serializers.ClaimSerializer, **errors(400, 401, 403, 404), **STALE},
    ),
    destroy=extend_schema(
        summary="Delete a claim (If-Match optional)",
        parameters=[IF_MATCH],
        responses={204: None, **errors(401, 403, 404), 412: STALE[412]},
    ),
)
class ClaimViewSet(viewsets.ModelViewSet):
    lookup_value_regex = ID_PATTERN
    serializer_class = serializers.ClaimSerializer
    permission_classes = [IsAuthenticated, CanEditClaim]
    filterset_class = filters.ClaimFilter
    pagination_class = filters.ApiCursorPagination
    ordering_fields = ["id", "created_at", "updated_at", "start"]
    ordering = ["-id"]

    def get_queryset(self) -> QuerySet[Claim]:
        return (
            Claim.objects.visible_to(self.request.user)
            .annotate(my_role=F("article__project__memberships__role"))
            .select_related("created_by", "reviewed_by")
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self.get_object()
        return _with_etag(Response(self.get_serializer(claim).data), claim)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claim = claims.create(
            article=data["article"],
            by=actor(request),
            role=data["article"].my_role,
            start=data["start"],
            end=data["end"],
            quote=data.get("quote"),
            **{name: data[name] for name in (*claims.CLAIM_FIELDS, "status") if name in data},
        )
        # The same serializer renders the answer: building its fields again cost ~0.3 ms a call.
        serializer.instance = claim
        return _with_etag(Response(serializer.data, status=status.HTTP_201_CREATED), claim)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self.get_object()
        serializer = self.get_serializer(claim, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if_match = request.headers.get("If-Match")
        stale_status: int
        if if_match is not None:
            expected, stale_status = _parse_if_match(if_match), status.HTTP_412_PRECONDITION_FAILED
        elif "version" in data:
            expected, stale_status = data["version"], status.HTTP_409_CONFLICT
        else:
            return Response(
                {
                    "detail": "Send the version you read, as an If-Match header or a `version` field.",
                    "version": ["This field is required (or send If-Match)."],
                },
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        try:
            fresh = claims.update(
                claim=claim,
                by=actor(request),
                role=claim.my_role,
                expected_version=expected,
                start=data.get("start"),
                end=data.get("end"),
                quote=data.get("quote"),
                correction_note=data.get("correction_note", ""),
                **{name: data[name] for name in (*claims.CLAIM_FIELDS, "status") if name in data},
            )
        except claims.StaleVersion as stale:
            return self._stale(stale.current, stale_status)
        except Claim.DoesNotExist:
            raise NotFound("The claim was deleted.") from None
        # Reuse the people already loaded instead of fetching them again (when still the same).
        if (fresh.created_by_id, fresh.reviewed_by_id) == (claim.created_by_id, claim.reviewed_by_id):
            fresh.created_by, fresh.reviewed_by = claim.created_by, claim.reviewed_by
        return _with_etag(Response(self.get_serializer(fresh).data), fresh)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self.get_object()
        if_match = request.headers.get("If-Match")
        expected = _parse_if_match(if_match) if if_match is not None else None
        try:
            claims.delete(claim=claim, by=actor(request), expected_version=expected)
        except claims.StaleVersion as stale:
            return self._stale(stale.current, status.HTTP_412_PRECONDITION_FAILED)
        except Claim.DoesNotExist:
            raise NotFound("The claim was deleted.") from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _stale(self, current: Claim, code: int) -> Response:
        body = {
            "detail": f"The claim changed since you read it: it is now at version {current.version}. "
            "Reload, reapply your change and send the new version.",
            "current": self.get_serializer(current).data,
        }
        return _with_etag(Response(body, status=code), current)


CLAIM_ID = OpenApiParameter("claim_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The claim's id.")
SOURCE_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The source's id.")


@extend_schema(parameters=[CLAIM_ID])
@extend_schema_view(
    list=extend_schema(
        summary="Sources of a claim", responses={200: serializers.SourceSerializer(many=True), **errors(401, 404)}
    ),
    create=extend_schema(
        summary="Add a source", responses={201: serializers.SourceSerializer, **errors(400, 401, 403, 404)}
    ),
    retrieve=extend_schema(parameters=[SOURCE_ID], responses={200: serializers.SourceSerializer, **errors(401, 404)}),
    update=extend_schema(
        parameters=[SOURCE_ID], responses={200: serializers.SourceSerializer, **errors(400, 401, 403, 404)}
    ),
    partial_update=extend_schema(
        parameters=[SOURCE_ID], responses={200: serializers.SourceSerializer, **errors(400, 401, 403, 404)}
    ),
    destroy=extend_schema(parameters=[SOURCE_ID], responses={204: None, **errors(401, 403, 404)}),
    capture=extend_schema(
        summary="Capture the source's page again (any member; a new capture, never a replacement)",
        description="201 with the new, queued capture; 200 with the one already queued or running.",
        parameters=[SOURCE_ID],
        request=None,
        responses={
            200: serializers.CaptureSerializer,
            201: serializers.CaptureSerializer,
            **errors(400, 401, 403, 404),
        },
    ),
)
class SourceViewSet(viewsets.ModelViewSet):
    lookup_value_regex = ID_PATTERN
    serializer_class = serializers.SourceSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    _claim: Claim | None = None

    def get_claim(self) -> Claim:
        if self._claim is None:
            claims = Claim.objects.visible_to(self.request.user).annotate(
                my_role=F("article__project__memberships__role")
            )
            claim_pk = self.kwargs["claim_pk"]
            if not str(claim_pk).isdigit() or len(str(claim_pk)) > 18:
                raise NotFound()
            self._claim = get_object_or_404(claims, pk=claim_pk)
        return self._claim

    def get_queryset(self) -> QuerySet[Source]:
        if getattr(self, "swagger_fake_view", False):
            return Source.objects.none()
        return self.get_claim().sources.select_related("added_by").order_by("id")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = claims.add_source(
            claim=self.get_claim(), by=actor(self.request), **_source_args(serializer)
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = claims.edit_source(
            source=serializer.instance, by=actor(self.request), **_source_args(serializer)
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        note = serializers.CorrectionNoteSerializer(data=request.data if request.data else request.query_params)
        note.is_valid(raise_exception=True)
        claims.remove_source(
            source=self.get_object(), by=actor(request), correction_note=note.validated_data.get("correction_note", "")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], serializer_class=serializers.CaptureSerializer)
    def capture(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        capture, created = captures.capture_again(source=self.get_object(), by=actor(request))
        return Response(
            serializers.CaptureSerializer(capture).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def _source_args(serializer: Any) -> dict[str, Any]:
    data = dict(serializer.validated_data)
    data.pop("claim", None)
    return data


# --- check-worthiness suggestions ------------------------------------------------------------------


class SuggestionViewSet(viewsets.GenericViewSet):
    """Accept (a claim at the sentence's exact offsets) or dismiss a suggestion, through ``suggestions``."""

    lookup_value_regex = ID_PATTERN
    serializer_class = serializers.SuggestionAcceptSerializer
    pagination_class = None
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Suggestion]:
        return (
            Suggestion.objects.visible_to(self.request.user)
            .annotate(my_role=F("article__project__memberships__role"))
            .select_related("article__project")
        )

    @extend_schema(
        summary="Accept a suggestion: mark the sentence as a claim (the rules of any new claim apply)",
        request=serializers.SuggestionAcceptSerializer,
        responses={201: serializers.ClaimSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        suggestion = self.get_object()
        serializer = serializers.SuggestionAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = suggestions.accept(
            suggestion=suggestion, by=actor(request), role=suggestion.my_role, **serializer.validated_data
        )
        body = serializers.ClaimSerializer(claim, context=self.get_serializer_context()).data
        return _with_etag(Response(body, status=status.HTTP_201_CREATED), claim)

    @extend_schema(
        summary="Dismiss a suggestion: the sentence is not worth checking",
        request=None,
        responses={200: serializers.SuggestionSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        suggestion = self.get_object()
        suggestions.dismiss(suggestion=suggestion, by=actor(request), role=suggestion.my_role)
        row = suggestions.ranked(suggestion.article).get(pk=suggestion.pk)
        return Response(serializers.SuggestionSerializer(row, context={"text": suggestion.article.text}).data)


@csrf_exempt  # it changes nothing; a 404 beats a CSRF failure page for a wrong URL
@login_not_required
def not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": "Not found."}, status=404)


# --- schema and docs ------------------------------------------------------------------------------


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, for a logged-in browser or a token holder (401 otherwise)."""


# The interactive docs are a page: an anonymous browser is sent to log in, as everywhere else.
# The split view serves its start-up script from a URL: the Content-Security-Policy allows no inline script.
docs_view = login_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema"))
