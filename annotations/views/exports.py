"""The export page: pick a format and filters; small exports download at once, big ones become jobs."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ..exports import ExportParamsError, format_choices, parse_params
from ..exports.http import download_response, start_export
from ..models import ClaimStatus, ExportJob, RunStatus, Verdict
from . import lookups
from .lookups import AuthedRequest

# Form fields that are not export parameters.
_EXPORT_FORM_ONLY = ("csrfmiddlewaretoken", "background")


@require_http_methods(["GET", "POST"])
def export_page(request: AuthedRequest, project_slug: str) -> HttpResponse | StreamingHttpResponse:
    project = lookups.project_for(request, project_slug)
    errors: dict[str, str] = {}
    values = request.POST if request.method == "POST" else None
    if values is not None:
        data = values.copy()
        for name in _EXPORT_FORM_ONLY:
            data.pop(name, None)
        try:
            params = parse_params(data, project=project)
        except ExportParamsError as error:
            errors = error.errors
        else:
            background = bool(values.get("background"))
            result = start_export(project=project, params=params, user=request.user, background=background)
            if isinstance(result, ExportJob):
                messages.info(request, f"Export {result.pk} is running in the background; it will be listed below.")
                return redirect("export-page", project_slug=project.slug)
            return result
    jobs = list(project.export_jobs.select_related("created_by")[:50])
    context = {
        "project": project,
        "formats": format_choices(),
        "statuses": ClaimStatus.choices,
        "verdicts": Verdict.choices,
        "reviewers": project.members.order_by("username"),
        "values": values,
        "checked": {name: values.getlist(name) for name in ("status", "verdict")} if values else {},
        "errors": errors,
        "jobs": jobs,
        "busy": any(job.status in (RunStatus.QUEUED, RunStatus.RUNNING) for job in jobs),
    }
    return render(request, "annotations/exports.html", context, status=400 if errors else 200)


def export_job_detail(request: AuthedRequest, project_slug: str, job_id: int) -> HttpResponse:
    """One job's row (status, progress, manifest) as an HTML fragment, for a partial refresh."""
    job = lookups.job_for(request, ExportJob.objects.all(), project_slug, job_id)
    return render(request, "annotations/_export_job.html", {"project": job.project, "job": job})


def export_download(request: AuthedRequest, project_slug: str, job_id: int) -> HttpResponse | FileResponse:
    return download_response(lookups.job_for(request, ExportJob.objects.all(), project_slug, job_id))
