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
]
