"""Team review pages and services: queues, send-back, comments, blind double review, dashboard."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from annotations import articles, claims, review, stats
from annotations.models import AgreementReport, BlindVerdict, Claim, ClaimComment, ClaimStatus, Role
from tests.factories import ClaimFactory, MembershipFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(article, author):
    start = article.text.index("Russia has the advantage")
    return claims.create(article=article, by=author, start=start, end=start + 24, verdict="false")


def in_review(claim, author):
    claim = claims.move(claim=claim, target="in_progress", by=author)
    return claims.move(claim=claim, target="in_review", by=author)


def url(name, claim):
    return reverse(name, args=[claim.article.project.slug, claim.pk])


def test_the_claim_review_page_shows_timeline_and_moves(client_for, claim, author):
    response = client_for(author).get(url("claim-workflow", claim))
    assert response.status_code == 200
    html = response.content.decode()
    assert "marked the claim" in html
    assert 'data-move="in_progress"' in html


def test_an_outsider_gets_404_on_every_review_page_and_action(client_for, outsider, claim):
    client = client_for(outsider)
    assert client.get(url("claim-workflow", claim)).status_code == 404
    for name, data in [
        ("claim-move", {"status": "in_progress"}),
        ("claim-comment", {"body": "hi"}),
        ("claim-send-back", {"body": "no"}),
        ("claim-blind-verdict", {"verdict": "true"}),
    ]:
        assert client.post(url(name, claim), data).status_code == 404, name
    assert client.get(reverse("dashboard", args=[claim.article.project.slug])).status_code == 404
    assert Claim.objects.get(pk=claim.pk).status == "unstarted"
    assert not ClaimComment.objects.exists()


def test_moves_through_the_page_and_their_refusals(client_for, claim, author, editor):
    client = client_for(author)
    response = client.post(url("claim-move", claim), {"status": "in_progress", "version": 1})
    assert response.status_code == 302
    response = client.post(url("claim-move", claim), {"status": "approved", "version": 2})
    assert response.status_code == 400
    assert "cannot go from in_progress to approved" in response.content.decode()
    client.post(url("claim-move", claim), {"status": "in_review", "version": 2})
    response = client.post(url("claim-move", claim), {"status": "approved", "version": 3})
    assert response.status_code == 403  # author is a reviewer
    response = client_for(editor).post(url("claim-move", claim), {"status": "approved", "version": 3})
    assert response.status_code == 400
    assert "at least one source" in response.content.decode()
    response = client_for(editor).post(url("claim-move", claim), {"status": "bogus"})
    assert response.status_code == 400
    assert "status: &#x27;bogus&#x27; is not a status" in response.content.decode()


def test_a_stale_version_on_a_move_gets_409(client_for, claim, author):
    response = client_for(author).post(url("claim-move", claim), {"status": "in_progress", "version": 7})
    assert response.status_code == 409
    assert Claim.objects.get(pk=claim.pk).status == "unstarted"


def test_send_back_needs_a_comment_and_records_it(client_for, claim, author, editor):
    claim = in_review(claim, author)
    client = client_for(editor)
    response = client.post(url("claim-send-back", claim), {"body": "  ", "version": claim.version})
    assert response.status_code == 400
    assert Claim.objects.get(pk=claim.pk).status == "in_review"
    response = client.post(url("claim-send-back", claim), {"body": "Cite the briefing.", "version": claim.version})
    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).status == "needs_changes"
    assert ClaimComment.objects.get().body == "Cite the briefing."
    assert list(review.my_claims_to_fix(author)) == [Claim.objects.get(pk=claim.pk)]


def test_a_reviewer_cannot_send_back(client_for, claim, author, other_reviewer):
    claim = in_review(claim, author)
    response = client_for(other_reviewer).post(url("claim-send-back", claim), {"body": "x", "version": claim.version})
    assert response.status_code == 403


def test_needs_review_lists_others_claims_for_editors_only(claim, author, editor, other_reviewer):
    claim = in_review(claim, author)
    assert list(review.needs_review(editor)) == [claim]
    assert list(review.needs_review(other_reviewer)) == []
    own = ClaimFactory(article=claim.article, created_by=editor, status=ClaimStatus.IN_REVIEW)
    assert own not in review.needs_review(editor)


def test_the_queue_page_lists_assigned_articles_and_review_work(client_for, claim, author, editor):
    articles.assign(article=claim.article, assignee=author, by=editor)
    in_review(claim, author)
    response = client_for(author).get(reverse("queues"))
    assert claim.article.title in response.content.decode()
    response = client_for(editor).get(reverse("queues"))
    assert claim.quote[:40] in response.content.decode()


def test_only_editors_assign_and_only_to_members(client_for, article, author, editor, outsider):
    assign = reverse("article-assign", args=[article.project.slug, article.pk])
    assert client_for(author).post(assign, {"assignee": "author"}).status_code == 403
    response = client_for(editor).post(assign, {"assignee": "outsider"})
    assert response.status_code == 400
    assert "assignee: 'outsider' is not a member" in response.content.decode()
    assert client_for(editor).post(assign, {"assignee": "author"}).status_code == 302
    article.refresh_from_db()
    assert article.assignee == author
    assert client_for(outsider).post(assign, {"assignee": "outsider"}).status_code == 404


def test_comments_are_required_and_shown_in_the_timeline(client_for, claim, author):
    client = client_for(author)
    assert client.post(url("claim-comment", claim), {"body": ""}).status_code == 400
    assert client.post(url("claim-comment", claim), {"body": "Check the map."}).status_code == 302
    assert "Check the map." in client.get(url("claim-workflow", claim)).content.decode()


def test_blind_verdicts_are_hidden_from_the_other_reviewer(client_for, claim, author, other_reviewer, editor):
    project = claim.article.project
    project.double_review = True
    project.save()
    client_for(author).post(url("claim-blind-verdict", claim), {"verdict": "false", "rationale": "secret-a"})
    client = client_for(other_reviewer)
    response = client.post(url("claim-blind-verdict", claim), {"verdict": "true", "rationale": "secret-b"})
    assert response.status_code == 302
    page = client.get(url("claim-workflow", claim)).content.decode()
    assert "secret-b" in page and "secret-a" not in page
    editor_page = client_for(editor).get(url("claim-workflow", claim)).content.decode()
    assert "secret-a" in editor_page and "secret-b" in editor_page
    assert list(review.disagreements(editor)) == [claim]
    assert BlindVerdict.objects.count() == 2


def test_blind_verdicts_need_double_review_and_a_valid_verdict(client_for, claim, author):
    response = client_for(author).post(url("claim-blind-verdict", claim), {"verdict": "true"})
    assert response.status_code == 400
    assert "does not use blind double review" in response.content.decode()
    claim.article.project.double_review = True
    claim.article.project.save()
    response = client_for(author).post(url("claim-blind-verdict", claim), {"verdict": "nonsense"})
    assert response.status_code == 400
    assert not BlindVerdict.objects.exists()


def test_agreement_on_a_project_with_hand_computed_values(project, article, author, other_reviewer):
    project.double_review = True
    project.save()
    claims = [ClaimFactory(article=article, start=i * 10, end=i * 10 + 5, created_by=author) for i in range(4)]
    # Same as the chance-level example: kappa 0 for these two reviewers.
    for claim, (a, b) in zip(
        claims, [("true", "true"), ("true", "false"), ("false", "true"), ("false", "false")], strict=True
    ):
        BlindVerdict.objects.create(claim=claim, reviewer=author, verdict=a)
        BlindVerdict.objects.create(claim=claim, reviewer=other_reviewer, verdict=b)
    # other_reviewer marked one identical span and one overlapping: exact F1 = 2*(1/4*1/2)/(1/4+1/2) = 1/3.
    ClaimFactory(article=article, start=0, end=5, created_by=other_reviewer)
    ClaimFactory(article=article, start=12, end=20, created_by=other_reviewer)
    result = stats.compute_agreement(project)
    assert result["units_rated_twice"] == 4
    assert result["kappa_pairs"] == [{"reviewers": [author.pk, other_reviewer.pk], "items": 4, "kappa": 0.0}]
    # Coincidences: o_tt = o_ff = o_tf = o_ft = 2, n = 8, so D_o = 4/8 and D_e = 2*4*4/(8*7) = 4/7:
    # alpha = 1 - (1/2)/(4/7) = 1/8 (alpha corrects for the small sample, unlike kappa's 0).
    assert result["alpha"] == pytest.approx(0.125, abs=1e-4)
    assert result["span_exact_f1"] == pytest.approx(0.3333, abs=1e-4)
    assert result["span_overlap_f1"] == pytest.approx(0.6667, abs=1e-4)


def test_the_dashboard_shows_charts_tables_and_agreement(client_for, claim, author, editor):
    SourceFactory(claim=claim)
    in_review(claim, author)
    client = client_for(editor)
    response = client.post(reverse("agreement-refresh", args=[claim.article.project.slug]))
    assert response.status_code == 302
    assert AgreementReport.objects.get().status == "done"
    page = client.get(reverse("dashboard", args=[claim.article.project.slug])).content.decode()
    # status, verdict, extraction, throughput; no alpha yet (no claim rated twice), so no alpha chart
    assert page.count("<svg") == 4
    assert "In review" in page
    assert ">author<" in page  # the throughput table names the reviewer who submitted
    assert client_for(author).post(reverse("agreement-refresh", args=[claim.article.project.slug])).status_code == 403


@pytest.mark.worker
def test_a_big_project_computes_agreement_in_a_worker(celery_worker, monkeypatch, project, editor):
    monkeypatch.setattr(stats, "AGREEMENT_INLINE_LIMIT", 0)
    MembershipFactory(project=project, user=UserFactory(username="r2"), role=Role.REVIEWER)
    ClaimFactory(article__project=project)
    report = stats.request_agreement_report(project)
    assert report.status == "queued"
    for _ in range(300):
        report.refresh_from_db()
        if report.status == "done":
            break
        time.sleep(0.1)
    assert report.status == "done", celery_worker.log_tail()
    assert report.data["span_pairs"] == 0


def test_editors_assign_from_the_article_list_and_reviewers_only_see_the_assignee(client_for, article, author, editor):
    list_url = reverse("article-list", args=[article.project.slug])
    page = client_for(editor).get(list_url).content.decode()
    assert f'action="{reverse("article-assign", args=[article.project.slug, article.pk])}"' in page
    assert '<option value="author">author</option>' in page
    client_for(editor).post(reverse("article-assign", args=[article.project.slug, article.pk]), {"assignee": "author"})
    page = client_for(author).get(list_url).content.decode()
    assert 'name="assignee"' not in page
    assert "<td>author</td>" in page


def test_admins_manage_members_and_settings_others_only_look(client_for, project, project_admin, editor, outsider):
    settings_url = reverse("project-settings", args=[project.slug])
    assert client_for(outsider).get(settings_url).status_code == 404
    assert client_for(outsider).post(settings_url, {"action": "double_review", "enabled": "1"}).status_code == 404
    page = client_for(editor).get(settings_url)
    assert page.status_code == 200 and 'name="action"' not in page.content.decode()
    assert client_for(editor).post(settings_url, {"action": "double_review", "enabled": "1"}).status_code == 403
    project.refresh_from_db()
    assert not project.double_review

    admin = client_for(project_admin)
    assert admin.post(settings_url, {"action": "double_review", "enabled": "1"}).status_code == 302
    project.refresh_from_db()
    assert project.double_review
    UserFactory(username="newcomer")
    assert admin.post(settings_url, {"action": "member", "username": "newcomer", "role": "reviewer"}).status_code == 302
    assert project.role_of(UserFactory(username="newcomer")) == "reviewer"
    response = admin.post(settings_url, {"action": "member", "username": "nobody", "role": "reviewer"})
    assert response.status_code == 400
    assert "username: There is no active user called &#x27;nobody&#x27;." in response.content.decode()
    response = admin.post(settings_url, {"action": "member", "username": "project-admin", "role": "editor"})
    assert response.status_code == 400
    assert "The project must keep at least one admin." in response.content.decode()
    assert admin.post(settings_url, {"action": "remove", "username": "project-admin"}).status_code == 400
    assert admin.post(settings_url, {"action": "remove", "username": "newcomer"}).status_code == 302
    assert project.role_of(UserFactory(username="newcomer")) is None
    assert admin.post(settings_url, {"action": "explode"}).status_code == 400
