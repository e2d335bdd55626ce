"""Routes of the import API, included under /api/v1/ by workbench/urls.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from .import_views import ImportJobView, ImportView

# Authentication is DRF's here (its IsAuthenticated answers 401/403 in JSON): the login
# middleware's redirect to an HTML page would only confuse an API client.
urlpatterns = [
    path("projects/<slug:project_slug>/imports/", login_not_required(ImportView.as_view()), name="api-import"),
    path(
        "projects/<slug:project_slug>/imports/<int:job_id>/",
        login_not_required(ImportJobView.as_view()),
        name="api-import-job",
    ),
]
