"""API for what was checked before: matches, "same claim as" links, copying a verdict, the fact-check library.

Thin: scoped lookups (outsiders get 404), one call to ``similar``, ``claims`` or ``factchecks``.
Searching claims by words and entities is the claim list's ``q``/``entity`` filters.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import claims, factchecks, similar
from ..imports.base import ImportProblem
from ..models import Claim, ClaimLink, FactCheck, Project
from .filters import ApiCursorPagination
from .parsers import LimitedJSONParser
from .permissions import actor
from .views import errors

MAX_LIMIT = 20


class MatchSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["claim", "fact_check"])
    id = serializers.IntegerField()
    text = serializers.CharField()
    score = serializers.FloatField(help_text="0 to 1: shared word stems and trigrams (annotations/similar.py).")
    verdict = serializers.CharField(help_text="Our verdict, or empty when a published rating does not map to one.")
    verdict_label = serializers.CharField(help_text="The rating in words, as published.")
    publisher = serializers.CharField()
    date = serializers.DateField(allow_null=True)
    url = serializers.CharField(help_text="The claim's review page here, or the published review.")
    claimant = serializers.CharField()
    project = serializers.CharField()
    article = serializers.CharField()


class SimilarLimitSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=5)


class SimilarQuerySerializer(SimilarLimitSerializer):
    text = serializers.CharField(max_length=10_000, help_text="The claim to look for.")


def _matches(found: list[similar.Match]) -> list[dict[str, Any]]:
    return [MatchSerializer(m).data for m in found]


def _claim(request: Request, pk: int) -> Claim:
    return get_object_or_404(Claim.objects.visible_to(request.user).select_related("article__project"), pk=pk)


@extend_schema(
    summary="Approved claims and library fact checks most like a text (your projects only)",
    parameters=[SimilarQuerySerializer],
    responses={200: MatchSerializer(many=True), **errors(400, 401)},
)
class SimilarView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        query = SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = similar.for_text(query.validated_data["text"], actor(request), limit=query.validated_data["limit"])
        return Response(_matches(found))


LIMIT = OpenApiParameter("limit", OpenApiTypes.INT, description=f"How many (1-{MAX_LIMIT}, default 5).")
CLAIM_PK = OpenApiParameter("claim_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The claim's id.")


@extend_schema(
    summary="What was checked before that looks like this claim",
    parameters=[CLAIM_PK, LIMIT],
    responses={200: MatchSerializer(many=True), **errors(400, 401, 404)},
)
class ClaimSimilarView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request, claim_pk: int) -> Response:
        claim = _claim(request, claim_pk)
        # Through a serializer, so a bad limit is a 400 that names the field.
        query = SimilarLimitSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(_matches(similar.for_claim(claim, actor(request), limit=query.validated_data["limit"])))


class TargetSerializer(serializers.Serializer):
    earlier_claim = serializers.IntegerField(
        required=False, min_value=1, max_value=2**53, help_text="An approved claim of your projects."
    )
    fact_check = serializers.IntegerField(
        required=False, min_value=1, max_value=2**53, help_text="A fact check of your projects' libraries."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("earlier_claim" in attrs) == ("fact_check" in attrs):
            raise serializers.ValidationError({"earlier_claim": "Give either earlier_claim or fact_check."})
        return attrs


class CopySerializer(TargetSerializer):
    version = serializers.IntegerField(min_value=1, max_value=2_000_000_000, help_text="The version you read.")


class LinkedSerializer(serializers.Serializer):
    earlier_claim = serializers.IntegerField(allow_null=True)
    fact_check = serializers.IntegerField(allow_null=True)
    text = serializers.CharField(help_text="The earlier claim or the fact check; empty when you may not see it.")
    created_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class SameAsSerializer(serializers.Serializer):
    same_as = LinkedSerializer(allow_null=True, help_text="The earlier check this claim repeats.")
    repeated_by = serializers.ListField(
        child=serializers.IntegerField(), help_text="Later claims (that you may see) linked to this one."
    )


def same_as_json(claim: Claim, user: Any) -> dict[str, Any]:
    link = ClaimLink.objects.filter(claim=claim).select_related("earlier_claim", "fact_check", "created_by").first()
    body: dict[str, Any] = {"same_as": None}
    if link is not None:
        visible = True
        if link.earlier_claim is not None:
            visible = Claim.objects.visible_to(user).filter(pk=link.earlier_claim.pk).exists()
            text = link.earlier_claim.claim_text
        else:
            assert link.fact_check is not None
            visible = FactCheck.objects.visible_to(user).filter(pk=link.fact_check.pk).exists()
            text = link.fact_check.claim_reviewed
        body["same_as"] = {
            "earlier_claim": link.earlier_claim_id,
            "fact_check": link.fact_check_id,
            "text": text if visible else "",
            "created_by": link.created_by.get_username() if link.created_by else None,
            "created_at": link.created_at,
        }
    later = Claim.objects.visible_to(user).filter(same_as__earlier_claim=claim).order_by("pk")
    body["repeated_by"] = list(later.values_list("pk", flat=True))
    return body


class ClaimSameAsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The earlier check this claim repeats, and the later claims that repeat it",
        parameters=[CLAIM_PK],
        responses={200: SameAsSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, claim_pk: int) -> Response:
        claim = _claim(request, claim_pk)
        return Response(SameAsSerializer(same_as_json(claim, actor(request))).data)

    @extend_schema(
        summary="Link this claim to the earlier check it repeats (“same claim as …”)",
        parameters=[CLAIM_PK],
        request=TargetSerializer,
        responses={200: SameAsSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, claim_pk: int) -> Response:
        claim = _claim(request, claim_pk)
        target = TargetSerializer(data=request.data)
        target.is_valid(raise_exception=True)
        claims.link_same(claim=claim, by=actor(request), **target.validated_data)
        return Response(SameAsSerializer(same_as_json(claim, actor(request))).data)

    @extend_schema(summary="Remove the link", parameters=[CLAIM_PK], responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, claim_pk: int) -> Response:
        claims.unlink_same(claim=_claim(request, claim_pk), by=actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    summary="Copy an earlier check's verdict and sources in as a starting point (never approves)",
    parameters=[CLAIM_PK],
    request=CopySerializer,
    responses={200: OpenApiTypes.OBJECT, **errors(400, 401, 403, 404)},
)
class ClaimCopyVerdictView(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request: Request, claim_pk: int) -> Response:
        from .serializers import ClaimSerializer

        claim = _claim(request, claim_pk)
        data = CopySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        version = values.pop("version")
        try:
            fresh = claims.copy_verdict(claim=claim, by=actor(request), expected_version=version, **values)
        except claims.StaleVersion as stale:
            body = {"detail": "The claim changed since you read it.", "current": ClaimSerializer(stale.current).data}
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(ClaimSerializer(fresh).data)


class FactCheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = FactCheck
        fields = [
            "id", "claim_reviewed", "url", "verdict", "rating_label", "rating_value", "best_rating",
            "worst_rating", "publisher_name", "publisher_url", "claimant", "appearance_url", "claim_date",
            "published_at", "review_body", "identifier", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class LibraryImportSerializer(serializers.Serializer):
    reviews = serializers.ListField(
        child=serializers.JSONField(), required=False, help_text="ClaimReview objects (schema.org JSON-LD)."
    )
    url = serializers.URLField(required=False, help_text="A page or feed with ClaimReview JSON-LD to fetch.")


_RESULT = inline_serializer(
    "FactCheckImportResult",
    {
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "notes": serializers.ListField(child=serializers.CharField()),
    },
)
PROJECT_SLUG = OpenApiParameter("project_slug", OpenApiTypes.STR, OpenApiParameter.PATH)


class FactCheckLibraryView(APIView):
    """The project's library: members read it; editors and admins import ClaimReview into it."""

    permission_classes = [IsAuthenticated]
    parser_classes = [LimitedJSONParser, MultiPartParser]

    def _project(self, request: Request, slug: str) -> Project:
        return get_object_or_404(Project.objects.visible_to(request.user), slug=slug)

    @extend_schema(
        summary="The project's fact-check library (newest first, in cursor pages)",
        parameters=[
            PROJECT_SLUG,
            OpenApiParameter("cursor", OpenApiTypes.STR, description="The next or previous page's cursor."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Up to 500 (default 50)."),
        ],
        responses={
            200: inline_serializer(
                "PaginatedFactCheckList",
                {
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": FactCheckSerializer(many=True),
                },
            ),
            **errors(400, 401, 404),
        },
    )
    def get(self, request: Request, project_slug: str) -> Response:
        project = self._project(request, project_slug)
        rows: QuerySet[FactCheck] = project.fact_checks.all()
        paginator = ApiCursorPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(FactCheckSerializer(page, many=True).data)

    @extend_schema(
        summary="Import ClaimReview into the library: reviews (JSON), a url to fetch, or a file (editors)",
        parameters=[PROJECT_SLUG],
        request={
            "application/json": LibraryImportSerializer,
            "multipart/form-data": inline_serializer("FactCheckUpload", {"file": serializers.FileField()}),
        },
        responses={201: _RESULT, 400: OpenApiResponse(description="The item or line and field."), **errors(401, 403)},
    )
    def post(self, request: Request, project_slug: str) -> Response:
        project = self._project(request, project_slug)
        by = actor(request)
        factchecks.check_importer(project, by)
        upload = request.FILES.get("file")
        try:
            if upload is not None:
                result = factchecks.import_data(project=project, by=by, data=upload.read(), source=upload.name or "")
            else:
                data = LibraryImportSerializer(data=request.data)
                data.is_valid(raise_exception=True)
                given = [name for name in ("reviews", "url") if name in data.validated_data]
                if len(given) != 1:
                    return Response({"input": ["Give exactly one of: reviews, url or file."]}, status=400)
                if "url" in data.validated_data:
                    result = factchecks.import_url(project=project, by=by, url=data.validated_data["url"])
                else:
                    records = factchecks.parse_items(data.validated_data["reviews"], source="reviews")
                    result = factchecks.import_records(project=project, by=by, records=records)
        except ImportProblem as problem:
            return Response({problem.field or "input": [str(problem)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)
