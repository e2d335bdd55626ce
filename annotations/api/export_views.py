"""Export endpoints of the API: stream a small export, or run a job and fetch its file.

Kept apart from the main API modules; it shares only DRF's configured authentication.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from ..exports import FORMATS, ExportParamsError, ExportStream, parse_params
from ..exports.http import download_response, is_small, streaming_response
from ..exports.jobs import job_create
from ..models import ExportJob, Project
from .permissions import actor

if TYPE_CHECKING:
    from django.contrib.auth.models import User

FILTER_PARAMETERS = [
    OpenApiParameter("status", str, many=True, description="Statuses; other than approved needs include_unreviewed."),
    OpenApiParameter("verdict", str, many=True, description="Verdicts to keep."),
    OpenApiParameter("reviewer", str, description="Username: claims this member marked or approved."),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="Claims changed on or after this day (UTC)."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Claims changed on or before this day (UTC)."),
    OpenApiParameter("article", int, description="Only this article."),
    OpenApiParameter("include_unreviewed", bool, description="Export claims that are not approved too."),
    OpenApiParameter(
        "include_mentions", bool, description="JSONL only: the articles' entity mentions too (off: empty lists)."
    ),
    OpenApiParameter(
        "include_suggestions", bool, description="JSONL only: every sentence's check-worthiness score too."
    ),
    OpenApiParameter("bom", bool, description="CSV only: start with a UTF-8 byte order mark."),
]


class ExportJobSerializer(serializers.ModelSerializer):
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id", "format", "filters", "status", "progress", "row_count", "sha256", "manifest", "error",
            "created_by", "created_at", "finished_at", "expires_at", "download_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_download_url(self, job: ExportJob) -> str | None:
        if job.status != "done" or not job.file:
            return None
        return reverse(
            "api:export-download",
            kwargs={"project_slug": job.project.slug, "job_id": job.pk},
            request=self.context.get("request"),
        )


class ExportParamsSerializer(serializers.Serializer):
    """The body of a new export job (documentation only; parse_params does the checking)."""

    format = serializers.ChoiceField(choices=list(FORMATS))
    status = serializers.ListField(child=serializers.CharField(), required=False)
    verdict = serializers.ListField(child=serializers.CharField(), required=False)
    reviewer = serializers.CharField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    article = serializers.IntegerField(required=False)
    include_unreviewed = serializers.BooleanField(required=False)
    include_mentions = serializers.BooleanField(required=False)
    include_suggestions = serializers.BooleanField(required=False)
    bom = serializers.BooleanField(required=False)


def _project(request: Request, project_slug: str) -> Project:
    return get_object_or_404(Project.objects.visible_to(request.user), slug=project_slug)


def _field_errors(error: ExportParamsError) -> Response:
    return Response({name: [message] for name, message in error.errors.items()}, status=status.HTTP_400_BAD_REQUEST)


def _jobs(request: Request, project_slug: str) -> Any:
    return ExportJob.objects.filter(
        project__in=Project.objects.visible_to(request.user), project__slug=project_slug
    ).select_related("project", "created_by")


# The middleware's login redirect would hide DRF's authentication (tokens): DRF checks instead.
@method_decorator(login_not_required, name="dispatch")
class ExportStreamView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Stream an export now",
        description="Streams the file when the export holds at most EXPORT_STREAM_MAX_CLAIMS claims; "
        "bigger exports answer 400 and must be run as a job (POST .../exports/).",
        parameters=FILTER_PARAMETERS,
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, project_slug: str, export_format: str) -> Any:
        project = _project(request, project_slug)
        data = request.query_params.copy()
        data["format"] = export_format
        try:
            params = parse_params(data, project=project)
        except ExportParamsError as error:
            return _field_errors(error)
        stream = ExportStream(project, params)
        if not is_small(stream):
            return Response(
                {"detail": "Too many claims to stream; create an export job (POST to the exports list) instead."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return streaming_response(stream)


@method_decorator(login_not_required, name="dispatch")
class ExportJobListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Past export jobs of a project", responses=ExportJobSerializer(many=True))
    def get(self, request: Request, project_slug: str) -> Response:
        _project(request, project_slug)
        jobs = _jobs(request, project_slug)[:100]
        return Response(ExportJobSerializer(jobs, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Run an export in the background",
        request=ExportParamsSerializer,
        responses={202: ExportJobSerializer, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, project_slug: str) -> Response:
        project = _project(request, project_slug)
        if not isinstance(request.data, Mapping):
            return Response({"non_field_errors": ["Send a JSON object."]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            params = parse_params(request.data, project=project)
        except ExportParamsError as error:
            return _field_errors(error)
        job = job_create(project=project, params=params, created_by=actor(request))
        job.project = project
        return Response(ExportJobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


@method_decorator(login_not_required, name="dispatch")
class ExportJobDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One export job: status, progress and manifest", responses=ExportJobSerializer)
    def get(self, request: Request, project_slug: str, job_id: int) -> Response:
        job = get_object_or_404(_jobs(request, project_slug), pk=job_id)
        return Response(ExportJobSerializer(job, context={"request": request}).data)


@method_decorator(login_not_required, name="dispatch")
class ExportJobDownloadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Download an export job's file",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: None, 410: None},
    )
    def get(self, request: Request, project_slug: str, job_id: int) -> Any:
        job = get_object_or_404(_jobs(request, project_slug), pk=job_id)
        return download_response(job)
