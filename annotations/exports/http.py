"""HTTP glue shared by the export page and the export API: stream now, or queue a job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from ..models import ExportJob, Project, RunStatus
from .core import ExportStream
from .jobs import job_create, job_file_path, job_is_expired
from .params import ExportParams

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def is_small(stream: ExportStream) -> bool:
    """Small enough to stream to the browser now; bigger exports run as a background job."""
    return stream.count_claims() <= settings.EXPORT_STREAM_MAX_CLAIMS


def streaming_response(stream: ExportStream) -> StreamingHttpResponse:
    fmt = stream.format
    response = StreamingHttpResponse(stream.iter_bytes(), content_type=fmt.content_type)
    filename = fmt.filename(stream.project.slug, timezone.now(), stream.params.scope_name)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Export-Schema-Version"] = fmt.schema_version
    return response


def start_export(
    *, project: Project, params: ExportParams, user: User, background: bool = False
) -> StreamingHttpResponse | ExportJob:
    """Stream a small export; queue a job for a big one (or when asked to)."""
    stream = ExportStream(project, params)
    if not background and is_small(stream):
        return streaming_response(stream)
    return job_create(project=project, params=params, created_by=user)


def download_response(job: ExportJob) -> HttpResponse | FileResponse:
    """The job's file as an attachment; 404 while it is not ready, 410 once it expired."""
    if job.status == RunStatus.DONE and (job_is_expired(job) or not job.file):
        return HttpResponse("This export has expired; run it again.", status=410, content_type="text/plain")
    path = job_file_path(job)
    if path is None:
        raise Http404("This export has no file yet.")
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=path.name,
        content_type=job.manifest.get("content_type") or "application/octet-stream",
    )
    response["X-Export-Sha256"] = job.sha256
    return response
