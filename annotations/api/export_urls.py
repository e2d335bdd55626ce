"""Export endpoints, included from workbench/urls.py under api/v1/."""

from __future__ import annotations

from django.urls import path

from . import export_views as views

urlpatterns = [
    path("projects/<slug:project_slug>/exports/", views.ExportJobListView.as_view(), name="api-export-list"),
    path(
        "projects/<slug:project_slug>/exports/stream/<str:export_format>/",
        views.ExportStreamView.as_view(),
        name="api-export-stream",
    ),
    path(
        "projects/<slug:project_slug>/exports/<int:job_id>/",
        views.ExportJobDetailView.as_view(),
        name="api-export-detail",
    ),
    path(
        "projects/<slug:project_slug>/exports/<int:job_id>/download/",
        views.ExportJobDownloadView.as_view(),
        name="api-export-download",
    ),
]
