"""Background exports: an ExportJob row, a Celery task that writes the file, and expiry.

The task may run twice for one job (a late-acked message redelivered after a worker died, or a
duplicate send). Each run writes its own temporary file; the first run to finish publishes its
file with one conditional UPDATE and any later run throws its work away, so a job never ends
up with a file that does not match its manifest.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

import workbench

from .. import jobs as job_policy
from .. import queueing
from ..models import ExportJob, Project, RunStatus
from .core import ExportStream, WriteResult, write_export
from .params import ExportParams, parse_params

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)
EXPORT_DIR = "exports"


def export_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / EXPORT_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_create(*, project: Project, params: ExportParams, created_by: User | None) -> ExportJob:
    """Record a queued export job and send its task once the surrounding transaction commits."""
    from .tasks import run_export

    task_id = str(uuid.uuid4())
    job = ExportJob.objects.create(
        project=project, format=params.format, filters=params.to_dict(), created_by=created_by, task_id=task_id
    )
    queueing.send_on_commit(run_export, [job.pk], job=job, task_id=task_id)
    return job


def build_manifest(stream: ExportStream, result: WriteResult, file_name: str = "") -> dict[str, Any]:
    """What a stored export says about itself; the command writes the same next to its file."""
    manifest = {
        "format": stream.params.format,
        "project": stream.project.slug,
        "filters": stream.params.to_dict(),
        "row_count": result.row_count,
        "row_unit": stream.format.unit,
        "claim_count": result.claim_count,
        "article_count": result.article_count,
        "bytes": result.bytes,
        "sha256": result.sha256,
        "content_type": stream.format.content_type,
        "schema": f"docs/schemas/{stream.format.schema_file}",
        "schema_version": stream.format.schema_version,
        "app_version": workbench.__version__,
        "created_at": timezone.now().isoformat(),
    }
    if stream.format.needs_captures:
        # The evidence the file cites: how many captures, and the SHA-256 of their bodies' SHA-256s
        # (one per line, in the order the file lists them), so a reader can check the set at once.
        manifest["capture_count"] = result.capture_count
        manifest["captures_sha256"] = result.captures_sha256
    if file_name:
        manifest["file"] = Path(file_name).name
    return manifest


def job_run(job_id: int) -> ExportJob | None:
    """Produce the file of a job; returns the job when this run published it, None otherwise."""
    # Claiming is a conditional UPDATE: a finished or failed job is never redone. A job still
    # marked running is taken over, because that is what a redelivered message after a worker
    # death looks like.
    if not job_policy.claim(ExportJob, job_id):
        logger.info("export job %s is already finished; nothing to do", job_id)
        return None
    job = ExportJob.objects.select_related("project").get(pk=job_id)
    tmp = export_dir() / f".tmp-{job.pk}-{uuid.uuid4().hex}"
    last_percent = -1

    def progress(done: int, total: int) -> None:
        nonlocal last_percent
        # 99 at most until the file is published: 100 means "downloadable".
        percent = min(99, done * 100 // total) if total else 99
        if percent != last_percent:
            ExportJob.objects.filter(pk=job.pk, status=RunStatus.RUNNING).update(progress=percent)
            last_percent = percent
        if settings.EXPORT_TEST_DELAY_SECONDS:
            time.sleep(settings.EXPORT_TEST_DELAY_SECONDS)

    try:
        params = parse_params(job.filters, project=job.project)
        stream = ExportStream(job.project, params)
        with open(tmp, "wb") as out:
            result = write_export(stream, out, progress)
            out.flush()
            os.fsync(out.fileno())
        now = timezone.now()
        # A random part in the name: a file URL cannot be guessed from the job id and the date.
        name = (
            f"{EXPORT_DIR}/{job.project.slug}-{job.format}-{params.scope_name}-{now:%Y%m%d-%H%M%S}"
            f"-{job.pk}-{uuid.uuid4().hex[:12]}"
        )
        name += f".{stream.format.extension}"
        final = Path(settings.MEDIA_ROOT) / name
        os.replace(tmp, final)
        published = job_policy.finish(
            ExportJob,
            job.pk,
            progress=100,
            row_count=result.row_count,
            file=name,
            sha256=result.sha256,
            manifest=build_manifest(stream, result, name),
            expires_at=now + timedelta(days=settings.EXPORT_FILE_TTL_DAYS),
        )
        if not published:
            final.unlink(missing_ok=True)
            return None
    except Exception as error:
        tmp.unlink(missing_ok=True)
        logger.exception("export job %s failed", job.pk)
        job_policy.fail(ExportJob, job.pk, error)
        return None
    job.refresh_from_db()
    return job


def job_file_path(job: ExportJob) -> Path | None:
    """The job's file on disk when it is finished, unexpired and present; None otherwise."""
    if job.status != RunStatus.DONE or not job.file.name or job_is_expired(job):
        return None
    path = Path(settings.MEDIA_ROOT) / job.file.name
    return path if path.is_file() else None


def job_is_expired(job: ExportJob) -> bool:
    return job.expires_at is not None and job.expires_at <= timezone.now()


def expire_jobs(now: datetime | None = None) -> int:
    """Delete the files of expired jobs (the rows and manifests stay) and stale temporary files."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(expires_at__lte=now).exclude(file=""):
        if not job.file.name:  # excluded above; this narrows the type
            continue
        (Path(settings.MEDIA_ROOT) / job.file.name).unlink(missing_ok=True)
        expired += ExportJob.objects.filter(pk=job.pk, file=job.file.name).update(file="")
    # A worker killed mid-export leaves its temporary file behind; nothing writes one for a day.
    cutoff = time.time() - 86400
    for tmp in export_dir().glob(".tmp-*"):
        if tmp.stat().st_mtime < cutoff:
            tmp.unlink(missing_ok=True)
    return expired
