""" "Run again" for background jobs whose task never reached the broker.

Thin: a scoped lookup (outsiders get 404), one call to queueing.requeue, a redirect back to
the page that lists the job with a message saying what happened.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .. import queueing
from ..models import ExportJob, ImportJob
from . import lookups
from .lookups import AuthedRequest


def _requeued_message(request: AuthedRequest, requeued: bool, what: str) -> None:
    if requeued:
        messages.success(request, f"{what} queued again.")
    else:
        messages.info(request, f"{what} was not waiting to be queued: nothing to do.")


@require_POST
def export_job_retry(request: AuthedRequest, project_slug: str, job_id: int) -> HttpResponse:
    from ..exports.tasks import run_export

    job = lookups.job_for(request, ExportJob.objects.all(), project_slug, job_id)
    requeued = queueing.requeue(run_export, [job.pk], job_model=ExportJob, job_pk=job.pk, task_id=job.task_id or None)
    _requeued_message(request, requeued, f"Export {job.pk}")
    return redirect("export-page", project_slug=project_slug)


@require_POST
def import_job_retry(request: AuthedRequest, project_slug: str, job_id: int) -> HttpResponse:
    from ..tasks import run_import_job

    job = lookups.job_for(request, ImportJob.objects.all(), project_slug, job_id)
    requeued = queueing.requeue(
        run_import_job, [job.pk], job_model=ImportJob, job_pk=job.pk, task_id=job.task_id or None
    )
    _requeued_message(request, requeued, f"Import {job.pk}")
    return redirect("import-job", project_slug, job.pk)
