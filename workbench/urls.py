from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from annotations import job_views, views
from annotations.api import views as api_views

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("annotations.api.urls")),
    path("settings/tokens/", views.api_tokens, name="api-tokens"),
    path("p/<slug:project_slug>/", views.article_list, name="article-list"),
    path("p/<slug:project_slug>/articles/<int:article_id>/", views.article_detail, name="article-detail"),
    path("p/<slug:project_slug>/extraction/", views.project_extraction, name="project-extraction"),
    path(
        "p/<slug:project_slug>/extraction/progress/",
        views.project_extraction_progress,
        name="project-extraction-progress",
    ),
    path(
        "p/<slug:project_slug>/articles/<int:article_id>/extraction/",
        views.article_extraction,
        name="article-extraction",
    ),
    path("", include("annotations.team_urls")),
    # --- issue 4: the reviewer's desk (htmx partials) ---
    path("p/<slug:project_slug>/articles/<int:article_id>/claims/new/", views.claim_create, name="claim-create"),
    path("p/<slug:project_slug>/articles/<int:article_id>/claims/<int:claim_id>/", views.claim_card, name="claim-card"),
    path("p/<slug:project_slug>/articles/<int:article_id>/claims/<int:claim_id>/edit/", views.claim_edit,
         name="claim-edit"),
    path("p/<slug:project_slug>/articles/<int:article_id>/claims/<int:claim_id>/review/", views.claim_review,
         name="claim-review"),
    path("p/<slug:project_slug>/articles/<int:article_id>/claims/<int:claim_id>/span/", views.claim_span,
         name="claim-span"),
    path("p/<slug:project_slug>/articles/<int:article_id>/claims/<int:claim_id>/delete/", views.claim_delete,
         name="claim-delete"),
    path("p/<slug:project_slug>/articles/<int:article_id>/claims/<int:claim_id>/sources/new/", views.source_create,
         name="source-create"),
    path("p/<slug:project_slug>/articles/<int:article_id>/claims/<int:claim_id>/sources/<int:source_id>/edit/",
         views.source_edit, name="source-edit"),
    path("p/<slug:project_slug>/articles/<int:article_id>/claims/<int:claim_id>/sources/<int:source_id>/delete/",
         views.source_delete, name="source-delete"),
    path("p/<slug:project_slug>/exports/", views.export_page, name="export-page"),
    path("p/<slug:project_slug>/exports/<int:job_id>/", views.export_job_detail, name="export-job"),
    path("p/<slug:project_slug>/exports/<int:job_id>/download/", views.export_download, name="export-download"),
    path("api/v1/", include("annotations.api.export_urls")),
    # issue 7: adding articles, correcting text
    path("p/<slug:project_slug>/import/", views.import_articles, name="import-articles"),
    path("p/<slug:project_slug>/imports/<int:job_id>/", views.import_job, name="import-job"),
    path("p/<slug:project_slug>/articles/<int:article_id>/revise/", views.article_revise, name="article-revise"),
    path(
        "p/<slug:project_slug>/articles/<int:article_id>/revise/claims/<int:claim_id>/",
        views.claim_place,
        name="claim-place",
    ),
    path("api/v1/", include("annotations.api.import_urls")),
    # issue 13: jobs whose task never reached the broker can be queued again
    path("p/<slug:project_slug>/exports/<int:job_id>/retry/", job_views.export_job_retry, name="export-job-retry"),
    path("p/<slug:project_slug>/imports/<int:job_id>/retry/", job_views.import_job_retry, name="import-job-retry"),
    # Last: any other URL under api/ is a JSON 404, never the HTML page.
    re_path(r"^api/", api_views.not_found),
]
