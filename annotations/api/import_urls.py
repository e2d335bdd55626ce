"""Routes of the import API, included under /api/v1/ by workbench/urls.py."""

from __future__ import annotations

from django.urls import path

from .import_views import ImportJobView, ImportView

urlpatterns = [
    path("projects/<slug:project_slug>/imports/", ImportView.as_view(), name="api-import"),
    path("projects/<slug:project_slug>/imports/<int:job_id>/", ImportJobView.as_view(), name="api-import-job"),
]
