"""Celery tasks for exports: thin, they take primary keys and call into jobs."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .jobs import expire_jobs, job_run


@shared_task(
    name="annotations.run_export",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.EXPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.EXPORT_TASK_TIME_LIMIT,
)
def run_export(job_id: int) -> str | None:
    """Write an export job's file; safe to run twice (see jobs.job_run)."""
    job = job_run(job_id)
    return job.sha256 if job else None


@shared_task(name="annotations.expire_exports", acks_late=True)
def expire_exports() -> int:
    """Delete expired export files; schedule it daily with celery beat (or cron `manage.py expire_exports`)."""
    return expire_jobs()
