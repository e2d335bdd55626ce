"""Articles, sources, members, mentions and extraction runs through the API; filters, ordering
and cursor pages."""

from __future__ import annotations

import pytest

from annotations.models import Article, Claim, ExtractionRun, Membership, Role, Source
from tests.factories import ArticleFactory, ClaimFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- articles ------------------------------------------------------------------------------------


def test_it_imports_an_article_normalised_and_queues_extraction(api_client_for, author, project):
    response = api_client_for(author).post(
        "/api/v1/articles/",
        {
            "project": "newsroom",
            "title": "Claims\u00a0galore",
            "text": "Cafe\u0301 owners say 90%.\r\nNext line.  ",
            "url": "https://news.example/a",
            "published_at": "2026-01-02T03:04:05Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    article = Article.objects.get(pk=body["id"])
    assert article.text == "Caf\u00e9 owners say 90%.\nNext line."
    assert body["text"] == article.text
    assert body["claims"] == [] and body["mentions"] == [] and body["claim_count"] == 0
    assert body["latest_run"]["status"] == "queued"
    assert article.created_by == author
    assert ExtractionRun.objects.filter(article=article).count() == 1


def test_it_answers_409_to_the_same_text_twice_and_writes_nothing(api_client_for, author, article, seed_text):
    response = api_client_for(author).post(
        "/api/v1/articles/", {"project": "newsroom", "title": "Again", "text": seed_text}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["existing"] == article.pk
    assert f"already imported as article {article.pk}" in response.json()["text"][0]
    assert Article.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"text": ""}, "text", "This field may not be blank."),
        ({"text": "\n\n"}, "text", "The article text is empty."),
        ({"title": ""}, "title", "This field may not be blank."),
        ({"url": "javascript:alert(1)"}, "url", "Enter a valid http(s) URL."),
        ({"project": "nope"}, "project", "Object with slug=nope does not exist."),
        ({"published_at": "yesterday"}, "published_at", "Datetime has wrong format."),
    ],
)
def test_it_refuses_a_bad_article_naming_the_field(api_client_for, author, project, fields, field, message):
    body = {"project": "newsroom", "title": "T", "text": "Some text.", **fields}
    response = api_client_for(author).post("/api/v1/articles/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert message in response.json()[field][0]
    assert not Article.objects.exists()
    assert not ExtractionRun.objects.exists()


def test_it_refuses_an_article_over_the_size_limit(api_client_for, author, project, settings):
    settings.MAX_ARTICLE_CHARS = 10
    response = api_client_for(author).post(
        "/api/v1/articles/", {"project": "newsroom", "title": "T", "text": "x" * 11}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"text": ["The text has 11 characters; the limit is 10."]}
    assert not Article.objects.exists()


def test_the_article_detail_has_claims_mentions_and_the_latest_run(api_client_for, author, article):
    ClaimFactory(article=article, start=10, end=20, created_by=author)
    ClaimFactory(article=article, start=0, end=5, created_by=author)
    body = api_client_for(author).get(f"/api/v1/articles/{article.pk}/").json()
    assert [c["start"] for c in body["claims"]] == [0, 10]
    assert body["claim_count"] == 2
    assert body["text"] == article.text
    assert body["latest_run"]["id"] == article.latest_run.pk


def test_it_filters_articles_by_has_claims(api_client_for, author, project, article):
    bare = ArticleFactory(project=project)
    ClaimFactory(article=article, created_by=author)
    api = api_client_for(author)
    assert [a["id"] for a in api.get("/api/v1/articles/?has_claims=true").json()["results"]] == [article.pk]
    assert [a["id"] for a in api.get("/api/v1/articles/?has_claims=false").json()["results"]] == [bare.pk]
    listed = api.get("/api/v1/articles/").json()["results"]
    assert {a["id"]: a["claim_count"] for a in listed} == {article.pk: 1, bare.pk: 0}
    assert "text" not in listed[0]


def test_editors_rerun_extraction(api_client_for, editor, article):
    response = api_client_for(editor).post("/api/v1/extraction-runs/", {"article": article.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "queued"
    assert ExtractionRun.objects.filter(article=article).count() == 2


# --- claims: filters, ordering, cursor pages -----------------------------------------------------------


def test_it_filters_claims(api_client_for, author, editor, article):
    a = ClaimFactory(article=article, created_by=author, status="in_review", verdict="false", claimant="Gen. Gromov")
    b = ClaimFactory(article=article, created_by=editor, status="approved", verdict="true", claimant="Ministry")
    c = ClaimFactory(article=article, created_by=author, status="unstarted")
    Claim.objects.filter(pk=c.pk).update(created_at="2020-01-01T00:00:00Z")
    api = api_client_for(author)

    def ids(query):
        response = api.get(f"/api/v1/claims/?{query}")
        assert response.status_code == 200, response.content
        return {claim["id"] for claim in response.json()["results"]}

    assert ids("status=in_review") == {a.pk}
    assert ids("status=in_review&status=approved") == {a.pk, b.pk}
    assert ids("verdict=true") == {b.pk}
    assert ids("claimant=gromov") == {a.pk}
    assert ids("created_by=editor") == {b.pk}
    assert ids("created_at_before=2021-01-01T00:00:00Z") == {c.pk}
    assert ids("created_at_after=2021-01-01T00:00:00Z") == {a.pk, b.pk}
    assert ids(f"article={article.pk}&project=newsroom") == {a.pk, b.pk, c.pk}
    assert api.get("/api/v1/claims/?status=bogus").status_code == 400
    assert api.get("/api/v1/claims/?created_at_after=notadate").status_code == 400


def test_it_pages_claims_with_a_cursor_in_the_requested_order(api_client_for, author, article):
    claims = [ClaimFactory(article=article, start=n, end=n + 3, created_by=author) for n in range(7)]
    api = api_client_for(author)
    seen, url = [], "/api/v1/claims/?page_size=3&ordering=start"
    while url:
        page = api.get(url).json()
        seen += [c["start"] for c in page["results"]]
        url = page["next"]
    assert seen == list(range(7))
    newest_first = api.get("/api/v1/claims/?page_size=3").json()
    assert [c["id"] for c in newest_first["results"]] == [c.pk for c in reversed(claims)][:3]
    assert "cursor=" in newest_first["next"]


# --- sources -------------------------------------------------------------------------------------


@pytest.fixture
def claim(article, author):
    return ClaimFactory(article=article, created_by=author)


def test_it_adds_a_source_to_a_claim(api_client_for, author, claim):
    response = api_client_for(author).post(
        f"/api/v1/claims/{claim.pk}/sources/",
        {"url": "https://stats.example/table", "stance": "refutes", "title": "Table 3"},
        format="json",
    )
    assert response.status_code == 201, response.content
    source = Source.objects.get()
    assert (source.claim, source.stance, source.added_by) == (claim, "refutes", author)
    assert response.json()["added_by"] == "author"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"url": "not a url"}, "url", "Enter a valid http(s) URL."),
        ({"url": "ftp://files.example/x"}, "url", "Enter a valid http(s) URL."),
        ({}, "url", "This field is required."),
        ({"url": "https://ok.example", "stance": "agrees"}, "stance", '"agrees" is not a valid choice.'),
        ({"url": "https://ok.example", "archived_url": "nope"}, "archived_url", "Enter a valid http(s) URL."),
    ],
)
def test_it_refuses_a_bad_source_naming_the_field(api_client_for, author, claim, fields, field, message):
    response = api_client_for(author).post(f"/api/v1/claims/{claim.pk}/sources/", fields, format="json")
    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert not Source.objects.exists()


def test_sources_of_a_claim_are_not_reachable_through_another_claim(api_client_for, author, article, claim):
    other = ClaimFactory(article=article, created_by=author)
    source = SourceFactory(claim=other)
    response = api_client_for(author).get(f"/api/v1/claims/{claim.pk}/sources/{source.pk}/")
    assert response.status_code == 404


# --- members -------------------------------------------------------------------------------------


def test_an_admin_manages_members(api_client_for, project_admin, other_reviewer, project):
    UserFactory(username="newbie")
    api = api_client_for(project_admin)
    base = "/api/v1/projects/newsroom/members/"
    assert api.post(base, {"username": "newbie", "role": "editor"}, format="json").status_code == 201
    assert Membership.objects.get(project=project, user__username="newbie").role == Role.EDITOR
    assert api.patch(f"{base}newbie/", {"role": "reviewer"}, format="json").json()["role"] == "reviewer"
    assert api.delete(f"{base}newbie/").status_code == 204
    assert not Membership.objects.filter(user__username="newbie").exists()
    names = [m["username"] for m in api.get(base).json()]
    assert names == ["other-reviewer", "project-admin"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "message"),
    [
        ("post", "", {"username": "ghost"}, "username", "There is no active user called 'ghost'."),
        ("post", "", {"username": "other-reviewer"}, "username", "This user is already a member of the project."),
        ("post", "", {"username": "other-reviewer", "role": "owner"}, "role", '"owner" is not a valid choice.'),
        ("patch", "project-admin/", {"role": "editor"}, "role", "The project must keep at least one admin."),
        ("delete", "project-admin/", None, "role", "The project must keep at least one admin."),
    ],
)
def test_it_refuses_bad_member_changes(
    api_client_for, project_admin, other_reviewer, method, path, body, field, message
):
    before = list(Membership.objects.values_list("user__username", "role").order_by("id"))
    response = getattr(api_client_for(project_admin), method)(
        f"/api/v1/projects/newsroom/members/{path}", body, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert list(Membership.objects.values_list("user__username", "role").order_by("id")) == before


@pytest.mark.parametrize(
    ("query", "expected", "message"),
    [
        # Python accepts a +16:05 offset; PostgreSQL does not, so the filter converts to UTC first.
        ("published_at_after=2020-05-04T09:06:23%2B16:05", 200, None),
        ("published_at_before=9999-12-31T23:00:00-05:00", 400, "Enter a date and time between the years 1 and 9999."),
        ("created_at_after=not-a-date", 400, "Enter a valid date/time."),
    ],
)
def test_date_filters_take_any_valid_offset_and_refuse_the_rest(
    api_client_for, author, article, query, expected, message
):
    response = api_client_for(author).get(f"/api/v1/articles/?{query}")
    assert response.status_code == expected, response.content
    if message:
        assert response.json() == {query.split("_")[0] + "_at": [message]}


def test_a_wrong_id_under_a_resource_is_a_json_404(api_client_for, author, project):
    api = api_client_for(author)
    for url in [
        "/api/v1/claims/-3/",
        "/api/v1/claims/1/sources/x/",
        "/api/v1/articles/99999999999999999999/",
        "/api/v1/projects/newsroom/members/a%00b/",
        "/api/v1/projects/a.b/",
    ]:
        response = api.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Not found."}
    # Routes other modules add beside ours (exports, imports) are not swallowed by the catch-all.
    from django.urls import resolve

    assert resolve("/api/v1/projects/newsroom/exports/").view_name == "api:export-list"
    assert resolve("/api/v1/projects/newsroom/imports/").view_name == "api:import"
