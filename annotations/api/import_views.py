"""API for adding articles: POST a file, pasted text or URLs; GET a background import's progress.

The same forms and pipeline as the "Add articles" page, so the checks and messages are the same.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..imports import pipeline
from ..imports.forms import PasteForm, UploadForm, UrlForm
from ..models import ImportJob, Project

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
        "url": request.build_absolute_uri(reverse("api-import-job", args=[job.project.slug, job.pk])),
    }


class ImportView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

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
        if files:
            form = UploadForm(data, MultiValueDict({"files": files}))
        elif data.get("text"):
            form = PasteForm(data)
        else:
            form = UrlForm(data)
        if not form.is_valid():
            errors = {_API_FIELD.get(name, name): list(messages) for name, messages in form.errors.items()}
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = pipeline.submit(project=project, user=request.user, items=form.inputs(), metadata=form.metadata())
        except pipeline.ImportFailed as failed:
            errors: dict[str, list[str]] = {}
            for problem in failed.problems:
                errors.setdefault(problem.field or "input", []).append(str(problem))
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        if isinstance(result, ImportJob):
            return Response({"job": job_json(request, result)}, status=status.HTTP_202_ACCEPTED)
        body = {
            "created": [self._outcome(request, project, o) for o in result.created],
            "duplicates": [self._outcome(request, project, o) for o in result.duplicates],
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @staticmethod
    def _outcome(request: Request, project: Project, outcome: pipeline.Outcome) -> dict[str, Any]:
        return {
            "id": outcome.article_id,
            "title": outcome.title,
            "source": outcome.source,
            "line": outcome.line,
            "claims": outcome.claims,
            "message": outcome.message,
            "url": request.build_absolute_uri(reverse("article-detail", args=[project.slug, outcome.article_id])),
        }


class ImportJobView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request, project_slug: str, job_id: int) -> Response:
        job = get_object_or_404(
            ImportJob.objects.filter(project__in=Project.objects.visible_to(request.user)).select_related("project"),
            project__slug=project_slug,
            pk=job_id,
        )
        return Response(job_json(request, job))
