from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("projects", views.ProjectViewSet, basename="project")
router.register(r"projects/(?P<project_slug>[-a-zA-Z0-9_]+)/members", views.MemberViewSet, basename="member")
router.register("articles", views.ArticleViewSet, basename="article")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register(r"claims/(?P<claim_pk>[0-9]+)/sources", views.SourceViewSet, basename="source")
router.register("mentions", views.EntityMentionViewSet, basename="mention")
router.register("extraction-runs", views.ExtractionRunViewSet, basename="extraction-run")

app_name = "api"
urlpatterns = [
    path("v1/", include(router.urls)),
    # A wrong URL under one of these resources (e.g. an id that is no id) is a JSON 404, not the
    # HTML page. Limited to our own prefixes: other modules add routes under api/v1/ too.
    re_path(
        r"^v1/(?:projects/[^/]+/(?:members/[\s\S]*)?$|(?:articles|claims|mentions|extraction-runs)/)",
        views.not_found,
    ),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.docs_view, name="docs"),
]
