from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from annotations import views

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("p/<slug:project_slug>/", views.article_list, name="article-list"),
    path("p/<slug:project_slug>/articles/<int:article_id>/", views.article_detail, name="article-detail"),
    path("p/<slug:project_slug>/exports/", views.export_page, name="export-page"),
    path("p/<slug:project_slug>/exports/<int:job_id>/", views.export_job_detail, name="export-job"),
    path("p/<slug:project_slug>/exports/<int:job_id>/download/", views.export_download, name="export-download"),
    path("api/v1/", include("annotations.api.export_urls")),
]
