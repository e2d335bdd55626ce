"""Every HTML route of the workbench (the API's are in api/urls.py)."""

from __future__ import annotations

from django.urls import path

from .views import articles, captures, checked, desk, entities, exports, jobs, projects, review

P = "p/<slug:project_slug>/"
ARTICLE = P + "articles/<int:article_id>/"
CARD = ARTICLE + "claims/<int:claim_id>/"
CLAIM = P + "claims/<int:claim_id>/"

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page links to: no 404 on every page.
    path("favicon.ico", projects.favicon, name="favicon"),
    path("", projects.project_list, name="project-list"),
    path("projects/new/", projects.project_create, name="project-create"),
    path("invite/<str:token>/", projects.invitation_accept, name="invitation"),
    path("settings/tokens/", projects.api_tokens, name="api-tokens"),
    path("queue/", review.queues, name="queues"),
    # What was checked before: search across the user's projects, entity pages, each project's library.
    path("search/", checked.claim_search, name="claim-search"),
    path("entity/", checked.entity_page, name="entity"),
    path(P + "library/", checked.library, name="library"),
    # A project: its articles, team, dashboard and exports.
    path(P, articles.article_list, name="article-list"),
    path(P + "dashboard/", projects.dashboard, name="dashboard"),
    path(P + "settings/", projects.project_settings, name="project-settings"),
    path(P + "agreement/", projects.agreement_refresh, name="agreement-refresh"),
    path(P + "extraction/", articles.project_extraction, name="project-extraction"),
    path(P + "extraction/progress/", articles.project_extraction_progress, name="project-extraction-progress"),
    path(P + "import/", articles.import_articles, name="import-articles"),
    path(P + "imports/<int:job_id>/", articles.import_job, name="import-job"),
    path(P + "exports/", exports.export_page, name="export-page"),
    path(P + "exports/<int:job_id>/", exports.export_job_detail, name="export-job"),
    path(P + "exports/<int:job_id>/download/", exports.export_download, name="export-download"),
    # Jobs whose task never reached the broker are queued again from their page.
    path(P + "exports/<int:job_id>/retry/", jobs.export_job_retry, name="export-job-retry"),
    path(P + "imports/<int:job_id>/retry/", jobs.import_job_retry, name="import-job-retry"),
    # An article: the desk, its text, extraction and assignment.
    path(ARTICLE, desk.article_detail, name="article-detail"),
    path(ARTICLE + "extraction/", articles.article_extraction, name="article-extraction"),
    path(ARTICLE + "assign/", articles.article_assign, name="article-assign"),
    path(ARTICLE + "revise/", articles.article_revise, name="article-revise"),
    path(ARTICLE + "revise/claims/<int:claim_id>/", articles.claim_place, name="claim-place"),
    # People's corrections of the entity mentions.
    path(ARTICLE + "entities/new/", entities.entity_add, name="entity-add"),
    path(ARTICLE + "entities/correct/", entities.entity_correct, name="entity-correct"),
    # The desk's htmx partials for one claim and its sources.
    path(ARTICLE + "claims/new/", desk.claim_create, name="claim-create"),
    path(ARTICLE + "cards/", desk.claim_cards, name="claim-cards"),
    path(ARTICLE + "suggestions/<int:suggestion_id>/dismiss/", desk.suggestion_dismiss, name="suggestion-dismiss"),
    path(ARTICLE + "suggestions/<int:suggestion_id>/similar/", checked.suggestion_similar, name="suggestion-similar"),
    path(CARD, desk.claim_card, name="claim-card"),
    path(CARD + "edit/", desk.claim_edit, name="claim-edit"),
    path(CARD + "review/", desk.claim_review, name="claim-review"),
    path(CARD + "span/", desk.claim_span, name="claim-span"),
    path(CARD + "delete/", desk.claim_delete, name="claim-delete"),
    path(CARD + "similar/", checked.claim_similar, name="claim-similar"),
    path(CARD + "same-as/", checked.claim_same_as, name="claim-same-as"),
    path(CARD + "same-as/remove/", checked.claim_unlink, name="claim-unlink"),
    path(CARD + "copy-verdict/", checked.claim_copy_verdict, name="claim-copy-verdict"),
    path(CARD + "sources/new/", desk.source_create, name="source-create"),
    path(CARD + "sources/<int:source_id>/edit/", desk.source_edit, name="source-edit"),
    path(CARD + "sources/<int:source_id>/delete/", desk.source_delete, name="source-delete"),
    # Evidence captures of a source's page: its state (polled), "Capture again", the capture page.
    path(CARD + "sources/<int:source_id>/capture/", captures.capture_state, name="capture-state"),
    path(CARD + "sources/<int:source_id>/capture/again/", captures.capture_again, name="capture-again"),
    path(P + "captures/<int:capture_id>/", captures.capture_detail, name="capture-detail"),
    path(P + "captures/<int:capture_id>/quote/", captures.capture_quote, name="capture-quote"),
    path(P + "captures/<int:capture_id>/raw/", captures.capture_raw, name="capture-raw"),
    # A claim's review page.
    path(CLAIM + "review/", review.claim_review, name="claim-workflow"),
    path(CLAIM + "move/", review.claim_move, name="claim-move"),
    path(CLAIM + "retract/", review.claim_retract, name="claim-retract"),
    path(CLAIM + "comment/", review.claim_comment, name="claim-comment"),
    path(CLAIM + "send-back/", review.claim_send_back, name="claim-send-back"),
    path(CLAIM + "blind-verdict/", review.claim_blind_verdict, name="claim-blind-verdict"),
]
