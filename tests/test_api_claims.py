"""Claims through the API: validation (field-level, nothing written), versions and ETags,
approval, and concurrent writers that never overwrite each other silently."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from annotations.models import Claim, ClaimStatus
from tests.factories import ArticleFactory, ClaimFactory, MembershipFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def span(article):
    start = article.text.index("Russia has the advantage")
    return start, start + 24


@pytest.fixture
def claim(article, author, span):
    return ClaimFactory(article=article, start=span[0], end=span[1], created_by=author)


def _post(api, article, **fields):
    return api.post("/api/v1/claims/", {"article": article.pk, **fields}, format="json")


def test_it_creates_a_claim_filling_in_quote_context_and_claim_text(api_client_for, author, article, span):
    response = _post(
        api_client_for(author), article, start=span[0], end=span[1], claimant="Gen. Gromov", verdict="mostly_false"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["quote"] == "Russia has the advantage"
    assert body["claim_text"] == "Russia has the advantage"
    assert body["version"] == 1
    assert body["created_by"] == "author"
    assert response["ETag"] == '"1"'
    stored = Claim.objects.get(pk=body["id"])
    assert (stored.start, stored.end, stored.verdict, stored.created_by) == (span[0], span[1], "mostly_false", author)
    assert stored.prefix == article.text[span[0] - 32 : span[0]]


def test_it_accepts_a_quote_that_matches_the_text(api_client_for, author, article, span):
    response = _post(api_client_for(author), article, start=span[0], end=span[1], quote="Russia has the advantage")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"start": -1, "end": 5}, "start", "Ensure this value is greater than or equal to 0."),
        ({"start": 5, "end": 5}, "end", "end must be greater than start."),
        ({"start": 9, "end": 3}, "end", "end must be greater than start."),
        ({"start": 0, "end": 10**9}, "end", "end must be at most the text length"),
        ({"start": 0, "end": 6, "quote": "Nope!!"}, "quote", "quote does not match the text at 0:6"),
        ({"start": "one", "end": 6}, "start", "A valid integer is required."),
        ({"end": 6}, "start", "This field is required."),
        ({"start": 0, "end": 6, "status": "done"}, "status", '"done" is not a valid choice.'),
        ({"start": 0, "end": 6, "verdict": "pants_on_fire"}, "verdict", '"pants_on_fire" is not a valid choice.'),
        ({"start": 0, "end": 6, "version": 0}, "version", "Ensure this value is greater than or equal to 1."),
    ],
)
def test_it_refuses_a_bad_claim_naming_the_field_and_writes_nothing(
    api_client_for, author, article, fields, field, message
):
    response = _post(api_client_for(author), article, **fields)
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert not Claim.objects.exists()


def test_it_refuses_an_article_of_another_project_as_if_it_did_not_exist(api_client_for, author, outsider):
    foreign = ArticleFactory(project=outsider.memberships.get().project)
    response = api_client_for(author).post(
        "/api/v1/claims/", {"article": foreign.pk, "start": 0, "end": 3}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"article": [f'Invalid pk "{foreign.pk}" - object does not exist.']}
    assert not Claim.objects.exists()


def test_it_refuses_a_new_claim_already_approved(api_client_for, editor, article, span):
    response = _post(api_client_for(editor), article, start=span[0], end=span[1], status="approved")
    assert response.status_code == 403
    assert "a claim you wrote" in response.json()["detail"]
    assert not Claim.objects.exists()


def test_it_returns_the_version_and_an_etag_on_read(api_client_for, author, claim):
    response = api_client_for(author).get(f"/api/v1/claims/{claim.pk}/")
    assert response.json()["version"] == 1
    assert response["ETag"] == '"1"'


def test_it_updates_with_if_match_and_bumps_the_version(api_client_for, author, claim):
    response = api_client_for(author).patch(
        f"/api/v1/claims/{claim.pk}/", {"verdict": "false"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert response["ETag"] == '"2"'
    claim.refresh_from_db()
    assert (claim.verdict, claim.version) == ("false", 2)


def test_it_moves_a_span_and_recomputes_quote_and_context(api_client_for, author, article, claim, span):
    response = api_client_for(author).patch(
        f"/api/v1/claims/{claim.pk}/", {"start": span[0], "end": span[0] + 6, "version": 1}, format="json"
    )
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.quote == "Russia"
    assert claim.suffix == article.text[span[0] + 6 : span[0] + 38]


def test_it_requires_a_version_to_update(api_client_for, author, claim):
    response = api_client_for(author).patch(f"/api/v1/claims/{claim.pk}/", {"verdict": "false"}, format="json")
    assert response.status_code == 428
    assert response.json()["version"] == ["This field is required (or send If-Match)."]
    claim.refresh_from_db()
    assert (claim.verdict, claim.version) == ("", 1)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"end": 10**8}, "end", "end must be at most the text length"),
        ({"start": 10, "end": 4}, "end", "end must be greater than start."),
        ({"quote": "something else"}, "quote", "quote does not match"),
        ({"status": "finished"}, "status", '"finished" is not a valid choice.'),
        ({"verdict": "yes"}, "verdict", '"yes" is not a valid choice.'),
        ({"article": 999999}, "article", 'Invalid pk "999999"'),
    ],
)
def test_it_refuses_a_bad_update_and_leaves_the_claim_as_it_was(api_client_for, author, claim, fields, field, message):
    before = Claim.objects.values().get(pk=claim.pk)
    response = api_client_for(author).patch(f"/api/v1/claims/{claim.pk}/", {**fields, "version": 1}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert message in response.json()[field][0]
    assert Claim.objects.values().get(pk=claim.pk) == before


def test_it_refuses_moving_a_claim_to_another_article(api_client_for, author, project, claim):
    other = ArticleFactory(project=project)
    response = api_client_for(author).patch(
        f"/api/v1/claims/{claim.pk}/", {"article": other.pk, "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"article": ["A claim cannot move to another article."]}


@pytest.mark.parametrize(("header", "field", "stale_status"), [(True, False, 412), (False, True, 409)])
def test_it_refuses_the_second_of_two_writers_and_the_retry_succeeds(
    api_client_for, author, editor, claim, header, field, stale_status
):
    first, second = api_client_for(author), api_client_for(editor)
    url = f"/api/v1/claims/{claim.pk}/"
    read_first, read_second = first.get(url), second.get(url)

    def write(api, read, changes):
        extra = {"HTTP_IF_MATCH": read["ETag"]} if header else {}
        body = {**changes, "version": read.json()["version"]} if field else changes
        return api.patch(url, body, format="json", **extra)

    assert write(first, read_first, {"verdict": "false", "claimant": "First"}).status_code == 200
    stale = write(second, read_second, {"verdict": "true"})
    assert stale.status_code == stale_status
    body = stale.json()
    assert "changed since you read it" in body["detail"]
    assert body["current"]["verdict"] == "false"
    assert body["current"]["version"] == 2
    assert stale["ETag"] == '"2"'
    claim.refresh_from_db()
    assert (claim.verdict, claim.claimant, claim.version) == ("false", "First", 2)

    retry = write(second, second.get(url), {"verdict": "true"})
    assert retry.status_code == 200
    claim.refresh_from_db()
    assert (claim.verdict, claim.claimant, claim.version) == ("true", "First", 3)


def test_it_refuses_a_stale_delete_with_if_match(api_client_for, author, claim):
    Claim.objects.filter(pk=claim.pk).update(version=5)
    api = api_client_for(author)
    stale = api.delete(f"/api/v1/claims/{claim.pk}/", HTTP_IF_MATCH='"4"')
    assert stale.status_code == 412
    assert stale.json()["current"]["version"] == 5
    assert Claim.objects.filter(pk=claim.pk).exists()
    assert api.delete(f"/api/v1/claims/{claim.pk}/", HTTP_IF_MATCH='"5"').status_code == 204
    assert not Claim.objects.filter(pk=claim.pk).exists()


def test_it_treats_an_unreadable_if_match_as_stale(api_client_for, author, claim):
    response = api_client_for(author).patch(
        f"/api/v1/claims/{claim.pk}/", {"verdict": "false"}, format="json", HTTP_IF_MATCH="garbage"
    )
    assert response.status_code == 412
    claim.refresh_from_db()
    assert claim.verdict == ""


def test_it_lets_an_editor_approve_but_not_their_own_claim(api_client_for, editor, project_admin, article, span):
    api = api_client_for(editor)
    own = api.post(
        "/api/v1/claims/", {"article": article.pk, "start": span[0], "end": span[1], "verdict": "false"}, format="json"
    ).json()
    SourceFactory(claim=Claim.objects.get(pk=own["id"]))
    for version, value in enumerate(["in_progress", "in_review"], start=1):
        assert (
            api.patch(f"/api/v1/claims/{own['id']}/", {"status": value, "version": version}, format="json").status_code
            == 200
        )
    refused = api.patch(f"/api/v1/claims/{own['id']}/", {"status": "approved", "version": 3}, format="json")
    assert refused.status_code == 403
    assert Claim.objects.get(pk=own["id"]).status == ClaimStatus.IN_REVIEW
    approved = api_client_for(project_admin).patch(
        f"/api/v1/claims/{own['id']}/", {"status": "approved", "version": 3}, format="json"
    )
    assert approved.status_code == 200
    assert approved.json()["reviewed_by"] == "project-admin"
    assert Claim.objects.get(pk=own["id"]).status == ClaimStatus.APPROVED


def test_a_reviewer_moves_their_claim_along_the_workflow_but_never_approves(api_client_for, author, claim):
    api = api_client_for(author)
    url = f"/api/v1/claims/{claim.pk}/"
    skipped = api.patch(url, {"status": "approved", "version": 1}, format="json")
    assert skipped.status_code == 400
    assert skipped.json()["status"] == [
        "A claim cannot go from unstarted to approved (allowed from here: in_progress, in_review)."
    ]
    for version, value in enumerate(["in_progress", "in_review"], start=1):
        assert api.patch(url, {"status": value, "version": version}, format="json").status_code == 200
    assert api.patch(url, {"status": "approved", "version": 3}, format="json").status_code == 403
    assert api.patch(url, {"status": "needs_changes", "version": 3}, format="json").status_code == 403
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


def test_approval_needs_a_source_and_later_changes_are_open_corrections(api_client_for, author, editor, claim):
    api = api_client_for(author)
    url = f"/api/v1/claims/{claim.pk}/"
    api.patch(url, {"status": "in_progress", "verdict": "false", "version": 1}, format="json")
    api.patch(url, {"status": "in_review", "version": 2}, format="json")
    editor_api = api_client_for(editor)
    no_source = editor_api.patch(url, {"status": "approved", "version": 3}, format="json")
    assert no_source.status_code == 400
    assert no_source.json()["sources"] == ["A claim needs at least one source before it can be approved."]
    SourceFactory(claim=claim)
    assert editor_api.patch(url, {"status": "approved", "version": 3}, format="json").status_code == 200
    silent = editor_api.patch(url, {"verdict": "mixed", "version": 4}, format="json")
    assert silent.status_code == 400
    assert "correction_note" in silent.json()
    corrected = editor_api.patch(
        url, {"verdict": "mixed", "version": 4, "correction_note": "New UN figures."}, format="json"
    )
    assert corrected.status_code == 200
    assert corrected.json()["correction_note"] == "New UN figures."
    assert corrected.json()["corrected_at"] is not None


def test_a_new_claim_cannot_start_in_review(api_client_for, author, article, span):
    response = api_client_for(author).post(
        "/api/v1/claims/",
        {"article": article.pk, "start": span[0], "end": span[1], "status": "in_review"},
        format="json",
    )
    assert response.status_code == 400
    assert "status" in response.json()
    assert not Claim.objects.exists()


def test_the_approval_rule_is_one_reusable_function(project, author, editor, project_admin, claim):
    from annotations.models import Role
    from annotations.workflow import can_approve

    assert can_approve(Role.EDITOR, is_author=False)
    assert can_approve(Role.ADMIN, is_author=False)
    assert not can_approve(Role.REVIEWER, is_author=True)
    assert not can_approve(Role.EDITOR, is_author=True)  # the author, even if promoted
    assert not can_approve(None, is_author=False)


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_many_concurrent_writers_win(project, author, article, span):
    """Real threads, real connections: the version check and the write are one statement."""
    from rest_framework.test import APIClient

    from annotations.models import ApiToken

    claim = ClaimFactory(article=article, start=span[0], end=span[1], created_by=author)
    writers = []
    for n in range(6):
        user = MembershipFactory(project=project, role="editor", user__username=f"writer{n}").user
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user, 't')[1]}")
        writers.append((n, api))
    barrier = threading.Barrier(len(writers))
    results: dict[int, int] = {}

    def write(n: int, api: APIClient) -> None:
        try:
            barrier.wait()
            response = api.patch(f"/api/v1/claims/{claim.pk}/", {"claimant": f"writer{n}", "version": 1}, format="json")
            results[n] = response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=writer) for writer in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [200] + [409] * 5
    winner = next(n for n, code in results.items() if code == 200)
    claim.refresh_from_db()
    assert (claim.claimant, claim.version) == (f"writer{winner}", 2)
