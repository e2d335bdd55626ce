from django.urls import path

from . import team_views

urlpatterns = [
    path("queue/", team_views.queues, name="queues"),
    path("p/<slug:project_slug>/dashboard/", team_views.dashboard, name="dashboard"),
    path("p/<slug:project_slug>/settings/", team_views.project_settings, name="project-settings"),
    path("p/<slug:project_slug>/agreement/", team_views.agreement_refresh, name="agreement-refresh"),
    path("p/<slug:project_slug>/articles/<int:article_id>/assign/", team_views.article_assign, name="article-assign"),
    path("p/<slug:project_slug>/claims/<int:claim_id>/review/", team_views.claim_review, name="claim-workflow"),
    path("p/<slug:project_slug>/claims/<int:claim_id>/move/", team_views.claim_move, name="claim-move"),
    path("p/<slug:project_slug>/claims/<int:claim_id>/comment/", team_views.claim_comment, name="claim-comment"),
    path("p/<slug:project_slug>/claims/<int:claim_id>/send-back/", team_views.claim_send_back, name="claim-send-back"),
    path(
        "p/<slug:project_slug>/claims/<int:claim_id>/blind-verdict/",
        team_views.claim_blind_verdict,
        name="claim-blind-verdict",
    ),
]
