"""List endpoints make a constant number of queries whatever the page size; writes make few."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations.models import ApiToken, EntityMention, ExtractionRun, Membership, Project, Role
from tests.factories import ArticleFactory, ClaimFactory, MembershipFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api(author):
    from rest_framework.test import APIClient

    token, key = ApiToken.issue(author, "queries")
    # Used a moment ago: no last_used_at write muddles the counts.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _fill(kind: str, n: int, project, article, author, editor) -> str:
    """Make ``n`` items of ``kind`` visible to the author; return the URL that lists them."""
    if kind == "claims":
        for i in range(n):
            claim = ClaimFactory(
                article=article, start=i, end=i + 5, created_by=author if i % 2 else editor, reviewed_by=editor
            )
            SourceFactory(claim=claim)
        return f"/api/v1/claims/?page_size={n}"
    if kind == "articles":
        for _ in range(n):
            ClaimFactory(article=ArticleFactory(project=project, created_by=author), created_by=author)
        return f"/api/v1/articles/?page_size={n}"
    if kind == "mentions":
        EntityMention.objects.bulk_create(
            EntityMention(article=article, start=i, end=i + 3, text=article.text[i : i + 3], label="ORG")
            for i in range(n)
        )
        return f"/api/v1/mentions/?page_size={n}"
    if kind == "runs":
        ExtractionRun.objects.bulk_create(ExtractionRun(article=article) for _ in range(n - 1))
        return f"/api/v1/extraction-runs/?page_size={n}"
    if kind == "sources":
        claim = ClaimFactory(article=article, created_by=author)
        for _ in range(n):
            SourceFactory(claim=claim, added_by=editor)
        return f"/api/v1/claims/{claim.pk}/sources/"
    if kind == "members":
        for i in range(n - 2):
            MembershipFactory(project=project, user=UserFactory(username=f"member{i}"), role=Role.REVIEWER)
        return "/api/v1/projects/newsroom/members/"
    if kind == "projects":
        for i in range(n - 1):
            Membership.objects.create(project=Project.objects.create(name=f"P{i}", slug=f"p{i}"), user=author)
        return "/api/v1/projects/"
    if kind == "article-detail":
        for i in range(n):
            ClaimFactory(article=article, start=i, end=i + 5, created_by=author, reviewed_by=editor)
        EntityMention.objects.bulk_create(
            EntityMention(article=article, start=i, end=i + 3, text="x", label="ORG") for i in range(n)
        )
        return f"/api/v1/articles/{article.pk}/"
    raise AssertionError(kind)


# The token (with its user) is always the first query.
EXPECTED = {
    "claims": 2,
    "articles": 2,
    "mentions": 2,
    "runs": 2,
    "sources": 3,  # + the claim
    "members": 3,  # + the project
    "projects": 2,
    "article-detail": 5,  # article, claims, mentions, latest run
}


@pytest.mark.parametrize("size", [10, 200])
@pytest.mark.parametrize("kind", list(EXPECTED))
def test_lists_make_the_same_number_of_queries_for_10_and_200_items(api, project, article, author, editor, kind, size):
    url = _fill(kind, size, project, article, author, editor)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200
    body = response.json()
    items = body["results"] if isinstance(body, dict) and "results" in body else body
    if kind == "article-detail":
        items = body["claims"]
        assert len(body["mentions"]) == size
    assert len(items) == size
    assert len(queries) == EXPECTED[kind], "\n".join(q["sql"] for q in queries.captured_queries)


def test_creating_a_claim_takes_few_statements(api, article, django_assert_num_queries):
    # token + user, the article with the caller's role, then the INSERT and its history row:
    # one statement on PostgreSQL; on SQLite two, in a transaction. Inside the test's own
    # transaction both get a savepoint pair (served, PostgreSQL makes 3 statements in all).
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 6):
        response = api.post(
            "/api/v1/claims/", {"article": article.pk, "start": 0, "end": 5, "verdict": "false"}, format="json"
        )
    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_served_a_claim_create_is_one_statement_on_postgresql(api, article, django_assert_num_queries):
    # Outside any transaction (as served): token + user, the article, then the claim and its
    # history row in one statement on PostgreSQL; BEGIN, two INSERTs and COMMIT on SQLite.
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 6):
        response = api.post(
            "/api/v1/claims/", {"article": article.pk, "start": 0, "end": 5, "verdict": "false"}, format="json"
        )
    assert response.status_code == 201


def test_updating_a_claim_takes_five_statements(api, article, author, django_assert_num_queries):
    claim = ClaimFactory(article=article, created_by=author)
    # token + user, the claim with the caller's role, then in one transaction (a savepoint pair
    # inside the test's own transaction): the row locked for the version check, the UPDATE and
    # its history row
    with django_assert_num_queries(7):
        response = api.patch(f"/api/v1/claims/{claim.pk}/", {"verdict": "false"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200


def test_the_article_list_counts_claims_per_listed_article_not_for_the_whole_project(api, project, author):
    """``claim_count`` is a subquery per row. A JOIN with GROUP BY made every page aggregate every
    claim of every article the person can see before the page was cut (0.25-0.38 s a page at
    17,000 articles and 21,000 claims), however small the page."""
    for n in range(3):
        article = ArticleFactory(project=project, created_by=author)
        for k in range(n):
            ClaimFactory(article=article, start=k, end=k + 5, created_by=author)
    with CaptureQueriesContext(connection) as queries:
        listed = api.get("/api/v1/articles/?page_size=2").json()["results"]
    assert [row["claim_count"] for row in listed] == [2, 1]
    (query,) = [q["sql"] for q in queries if 'FROM "annotations_article"' in q["sql"]]
    assert "GROUP BY" not in query
