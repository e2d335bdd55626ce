"""API for adding articles: POST a file, pasted text or URLs; GET a background import's progress.

The same forms and pipeline as the "Add articles" page, so the checks and messages are the same.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..imports import pipeline
from ..imports.forms import PasteForm, UploadForm, UrlForm
from ..models import ImportJob, Project
from .parsers import LimitedJSONParser
from .permissions import actor

# form field -> the name a client sends
_API_FIELD = {"files": "file", "__all__": "non_field_errors"}


def _form_data(data: Any, *, with_files: bool) -> QueryDict:
    """Request data (JSON or form) as the QueryDict the forms expect.

    Without files or text, ``url`` and ``urls`` (a list or lines) are the pages to fetch; beside
    them, ``url`` is the article's address.
    """
    query = QueryDict(mutable=True)
    items = (
        data.lists() if hasattr(data, "lists") else ((k, v if isinstance(v, list) else [v]) for k, v in data.items())
    )
    for key, values in items:
        if key in ("urls", "url") and "text" not in data and not with_files:
            query.appendlist("urls", "\n".join(str(v) for v in values))
            continue
        for value in values:
            query.appendlist(key, "" if value is None else str(value))
    return query


def job_json(request: Request, job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "status": job.status,
        "progress": pipeline.job_progress(job),
        "created_count": job.created_count,
        "duplicate_count": job.duplicate_count,
        "report": job.report,
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "url": request.build_absolute_uri(reverse("api:import-job", args=[job.project.slug, job.pk])),
    }


_JOB = inline_serializer(
    "ImportJobStatus",
    {
        "id": serializers.IntegerField(),
        "status": serializers.CharField(),
        "progress": serializers.IntegerField(help_text="Percent done."),
        "created_count": serializers.IntegerField(),
        "duplicate_count": serializers.IntegerField(),
        "report": serializers.ListField(child=serializers.JSONField()),
        "error": serializers.CharField(),
        "created_at": serializers.DateTimeField(),
        "finished_at": serializers.DateTimeField(allow_null=True),
        "url": serializers.URLField(),
    },
)
_OUTCOME = inline_serializer(
    "ImportedArticle",
    {
        "id": serializers.IntegerField(),
        "title": serializers.CharField(),
        "source": serializers.CharField(),
        "line": serializers.IntegerField(allow_null=True),
        "claims": serializers.IntegerField(),
        "message": serializers.CharField(),
        "url": serializers.URLField(),
    },
)
_METADATA = {
    "title": serializers.CharField(required=False),
    "url": serializers.URLField(required=False, help_text="The article's address (with text), or one page to fetch."),
    "publisher": serializers.CharField(required=False),
    "published_at": serializers.CharField(required=False, help_text="An ISO date, e.g. 2022-05-26."),
    "language": serializers.CharField(required=False),
}


@extend_schema(
    summary="Add articles: one of an uploaded file, pasted text, or URLs to fetch",
    request={
        "application/json": inline_serializer(
            "ImportRequest",
            {
                "text": serializers.CharField(required=False),
                "urls": serializers.ListField(child=serializers.URLField(), required=False),
                **_METADATA,
            },
        ),
        "multipart/form-data": inline_serializer(
            "ImportUpload",
            {
                "file": serializers.FileField(required=False),
                "format": serializers.CharField(required=False, help_text="txt, md, html, jsonl or csv."),
                "text": serializers.CharField(required=False),
                **_METADATA,
            },
        ),
    },
    responses={
        201: inline_serializer(
            "ImportResult",
            {"created": _OUTCOME.__class__(many=True), "duplicates": _OUTCOME.__class__(many=True)},
        ),
        200: OpenApiResponse(description="Everything was already imported (duplicates only)."),
        202: inline_serializer("ImportQueued", {"job": _JOB}),
        400: OpenApiResponse(description="Field-level errors, with file and line numbers where they apply."),
    },
)
class ImportView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [LimitedJSONParser, MultiPartParser, FormParser]

    def post(self, request: Request, project_slug: str) -> Response:
        project = get_object_or_404(Project.objects.visible_to(request.user), slug=project_slug)
        files = request.FILES.getlist("file") + request.FILES.getlist("files")
        data = _form_data(request.data, with_files=bool(files))
        given = [
            name
            for name, present in (("file", files), ("text", data.get("text")), ("urls", data.get("urls")))
            if present
        ]
        if len(given) != 1:
            message = "Give exactly one of: file (upload), text (pasted), url or urls."
            return Response({"input": [message]}, status=status.HTTP_400_BAD_REQUEST)
        form: UploadForm | PasteForm | UrlForm
        if files:
            form = UploadForm(data, MultiValueDict({"files": files}))
        elif data.get("text"):
            form = PasteForm(data)
        else:
            form = UrlForm(data)
        if not form.is_valid():
            errors: dict[str, list[Any]] = {
                _API_FIELD.get(name, name): list(messages) for name, messages in form.errors.items()
            }
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = pipeline.submit(
                project=project, user=actor(request), items=form.inputs(), metadata=form.metadata()
            )
        except pipeline.ImportFailed as failed:
            errors = {}
            for problem in failed.problems:
                errors.setdefault(problem.field or "input", []).append(str(problem))
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        if isinstance(result, ImportJob):
            return Response({"job": job_json(request, result)}, status=status.HTTP_202_ACCEPTED)
        # Each article's page URL from one reversed with a stand-in id: reversing a thousand
        # took a tenth of an import of a thousand articles.
        url = request.build_absolute_uri(reverse("article-detail", args=[project.slug, _STAND_IN_ID]))
        body = {
            "created": [self._outcome(url, o) for o in result.created],
            "duplicates": [self._outcome(url, o) for o in result.duplicates],
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @staticmethod
    def _outcome(url: str, outcome: pipeline.Outcome) -> dict[str, Any]:
        return {
            "id": outcome.article_id,
            "title": outcome.title,
            "source": outcome.source,
            "line": outcome.line,
            "claims": outcome.claims,
            "message": outcome.message,
            # The last occurrence: a project slug could be the same digits.
            "url": f"/{outcome.article_id}/".join(url.rsplit(f"/{_STAND_IN_ID}/", 1)),
        }


_STAND_IN_ID = 987654321987


@extend_schema(summary="Progress and report of a background import", responses={200: _JOB})
class ImportJobView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request, project_slug: str, job_id: int) -> Response:
        job = get_object_or_404(
            ImportJob.objects.filter(project__in=Project.objects.visible_to(request.user)).select_related("project"),
            project__slug=project_slug,
            pk=job_id,
        )
        return Response(job_json(request, job))
