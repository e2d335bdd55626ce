from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from annotations import views

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("annotations.api.urls")),
    path("settings/tokens/", views.api_tokens, name="api-tokens"),
    path("p/<slug:project_slug>/", views.article_list, name="article-list"),
    path("p/<slug:project_slug>/articles/<int:article_id>/", views.article_detail, name="article-detail"),
]
