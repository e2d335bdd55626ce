"""Every API route: one router for the resources, plus exports, imports, schema and docs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from . import export_views, similar_views, views
from .import_views import ImportJobView, ImportView

router = SimpleRouter()
router.register("projects", views.ProjectViewSet, basename="project")
router.register(r"projects/(?P<project_slug>[-a-zA-Z0-9_]+)/members", views.MemberViewSet, basename="member")
router.register(
    r"projects/(?P<project_slug>[-a-zA-Z0-9_]+)/invitations", views.InvitationViewSet, basename="invitation"
)
router.register("articles", views.ArticleViewSet, basename="article")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register(r"claims/(?P<claim_pk>[0-9]+)/sources", views.SourceViewSet, basename="source")
router.register("captures", views.CaptureViewSet, basename="capture")
router.register("mentions", views.EntityMentionViewSet, basename="mention")
router.register("suggestions", views.SuggestionViewSet, basename="suggestion")
router.register("extraction-runs", views.ExtractionRunViewSet, basename="extraction-run")

PROJECT = "v1/projects/<slug:project_slug>/"

app_name = "api"
urlpatterns = [
    # What was checked before (before the router: its claims/{pk}/ pattern would not match these).
    path("v1/similar/", similar_views.SimilarView.as_view(), name="similar"),
    path("v1/claims/<int:claim_pk>/similar/", similar_views.ClaimSimilarView.as_view(), name="claim-similar"),
    path("v1/claims/<int:claim_pk>/same-as/", similar_views.ClaimSameAsView.as_view(), name="claim-same-as"),
    path(
        "v1/claims/<int:claim_pk>/copy-verdict/",
        similar_views.ClaimCopyVerdictView.as_view(),
        name="claim-copy-verdict",
    ),
    path(PROJECT + "fact-checks/", similar_views.FactCheckLibraryView.as_view(), name="fact-checks"),
    path("v1/", include(router.urls)),
    path("v1/invitations/accept/", views.accept_invitation, name="invitation-accept"),
    path(PROJECT + "exports/", export_views.ExportJobListView.as_view(), name="export-list"),
    path(
        PROJECT + "exports/stream/<str:export_format>/", export_views.ExportStreamView.as_view(), name="export-stream"
    ),
    path(PROJECT + "exports/<int:job_id>/", export_views.ExportJobDetailView.as_view(), name="export-detail"),
    path(
        PROJECT + "exports/<int:job_id>/download/", export_views.ExportJobDownloadView.as_view(), name="export-download"
    ),
    # Authentication is DRF's here (its IsAuthenticated answers 401/403 in JSON): the login
    # middleware's redirect to an HTML page would only confuse an API client.
    path(PROJECT + "imports/", login_not_required(ImportView.as_view()), name="import"),
    path(PROJECT + "imports/<int:job_id>/", login_not_required(ImportJobView.as_view()), name="import-job"),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.docs_view, name="docs"),
    # Last: any other URL under api/ is a JSON 404, never the HTML page.
    re_path(r"^", views.not_found),
]
