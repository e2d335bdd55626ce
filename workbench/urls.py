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
]
