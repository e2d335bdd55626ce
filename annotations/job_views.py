""""Run again" for background jobs whose task never reached the broker (issue 13).

Thin: a scoped lookup (outsiders get 404), one call to queueing.requeue, a redirect back to
the page that lists the job with a message saying what happened.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from . import queueing
from .models import ExportJob, ImportJob, Project


def _requeued_message(request: HttpRequest, requeued: bool, what: str) -> None:
    if requeued:
        messages.success(request, f"{what} queued again.")
    else:
        messages.info(request, f"{what} was not waiting to be queued: nothing to do.")


@require_POST
def export_job_retry(request: HttpRequest, project_slug: str, job_id: int) -> HttpResponse:
    from .exports.tasks import run_export

    job = get_object_or_404(
        ExportJob.objects.filter(project__in=Project.objects.visible_to(request.user)),
        project__slug=project_slug,
        pk=job_id,
    )
    requeued = queueing.requeue(run_export, [job.pk], job_model=ExportJob, job_pk=job.pk, task_id=job.task_id or None)
    _requeued_message(request, requeued, f"Export {job.pk}")
    return redirect("export-page", project_slug=project_slug)


@require_POST
def import_job_retry(request: HttpRequest, project_slug: str, job_id: int) -> HttpResponse:
    from .tasks import run_import_job

    job = get_object_or_404(
        ImportJob.objects.filter(project__in=Project.objects.visible_to(request.user)),
        project__slug=project_slug,
        pk=job_id,
    )
    requeued = queueing.requeue(
        run_import_job, [job.pk], job_model=ImportJob, job_pk=job.pk, task_id=job.task_id or None
    )
    _requeued_message(request, requeued, f"Import {job.pk}")
    return redirect("import-job", project_slug, job.pk)
