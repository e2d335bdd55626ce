"""Many claims in one request (POST /api/v1/articles/{id}/claims/): the rules of a single create,
all or nothing, per-item errors, and a number of queries that does not grow with the items."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import claims
from annotations.models import Claim, Source
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def _url(article) -> str:
    return f"/api/v1/articles/{article.pk}/claims/"


def _items(article, count: int) -> list[dict]:
    start = article.text.index("Russia has the advantage")
    return [
        {
            "start": start + i % 5,
            "end": start + 24,
            "verdict": "false",
            "claimant": f"Speaker {i}",
            "sources": [{"url": f"https://example.org/{i}", "stance": "refutes", "title": "Evidence"}],
        }
        for i in range(count)
    ]


def test_it_creates_every_claim_with_its_sources_and_history(api_client_for, author, article):
    response = api_client_for(author).post(_url(article), {"claims": _items(article, 3)}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["article"] == article.pk
    assert body["count"] == 3
    stored = list(Claim.objects.filter(pk__in=body["ids"]).order_by("id"))
    assert [c.pk for c in stored] == body["ids"]
    first = stored[0]
    assert first.quote == "Russia has the advantage"
    assert first.prefix == article.text[first.start - 32 : first.start]
    assert (first.claim_text, first.claimant, first.verdict, first.created_by) == (
        first.quote,
        "Speaker 0",
        "false",
        author,
    )
    assert [s.url for s in Source.objects.filter(claim__in=stored).order_by("claim_id")] == [
        "https://example.org/0",
        "https://example.org/1",
        "https://example.org/2",
    ]
    assert Source.objects.filter(added_by=author).count() == 3
    # One history row each, by the author, as a single create leaves.
    assert list(Claim.history.filter(id__in=body["ids"]).values_list("history_user", flat=True)) == [author.pk] * 3
    assert Source.history.filter(claim_id__in=body["ids"]).count() == 3


def test_it_writes_nothing_and_names_every_bad_item_and_field(api_client_for, author, article):
    items = _items(article, 4)
    items[1]["end"] = 10**9
    items[2]["verdict"] = "pants_on_fire"
    items[3]["sources"][0]["url"] = "ftp://example.org/x"
    response = api_client_for(author).post(_url(article), {"claims": items}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, "end"), (2, "verdict"), (3, "sources[0].url")]
    assert "at most the text length" in errors[0]["message"]
    assert not Claim.objects.exists()
    assert not Source.objects.exists()


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"end": 6}, "start"),
        ({"start": "one", "end": 6}, "start"),
        ({"start": True, "end": 6}, "start"),
        ({"start": 0, "end": 6, "colour": "red"}, "colour"),
        ({"start": 0, "end": 6, "claimant": 7}, "claimant"),
        ({"start": 0, "end": 6, "sources": "https://example.org"}, "sources"),
        ({"start": 0, "end": 6, "sources": [{"url": "https://example.org", "x": 1}]}, "sources[0].x"),
        (
            {"start": 0, "end": 6, "sources": [{"url": "https://example.org", "stance": ["supports"]}]},
            "sources[0].stance",
        ),
        ({"start": 0, "end": 6, "sources": [{"url": {"href": "https://example.org"}}]}, "sources[0].url"),
        # Refused as the single-source API refuses them: a Unicode space, a NUL (a 500 on PostgreSQL before).
        ({"start": 0, "end": 6, "sources": [{"url": "https://example.org/a\u00a0b"}]}, "sources[0].url"),
        ({"start": 0, "end": 6, "sources": [{"url": "https://example.org/a\x00b"}]}, "sources[0].url"),
        # A NUL in any other text too: stored on SQLite and a 500 on PostgreSQL before.
        ({"start": 0, "end": 6, "sources": [{"url": "https://e.org", "excerpt": "a\x00b"}]}, "sources[0].excerpt"),
        ({"start": 0, "end": 6, "sources": [{"url": "https://example.org", "title": "\x00"}]}, "sources[0].title"),
        ({"start": 0, "end": 6, "claimant": "The\x00minister"}, "claimant"),
        ({"start": 0, "end": 6, "rationale": "\x00"}, "rationale"),
        ({"start": 0, "end": 6, "status": "in_review"}, "status"),
        ({"start": 0, "end": 6, "quote": "Nope!!"}, "quote"),
    ],
)
def test_it_refuses_malformed_items_by_field(api_client_for, author, article, item, field):
    response = api_client_for(author).post(_url(article), {"claims": [item]}, format="json")
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(0, field)]
    assert not Claim.objects.exists()


@pytest.mark.parametrize("body", [[], {"claims": "x"}, {"nope": []}])
def test_it_asks_for_a_list_of_claims(api_client_for, author, article, body):
    response = api_client_for(author).post(_url(article), body, format="json")
    assert response.status_code == 400
    assert not Claim.objects.exists()


# 120 claims: past 50 PostgreSQL gets each claim as soon as it is checked, so the refusal at 110
# comes after a hundred were sent; it is still a 403 and nothing stays.
@pytest.mark.parametrize(("count", "at"), [(2, 1), (120, 110)])
def test_a_reviewer_cannot_create_approved_claims_in_bulk(api_client_for, author, article, count, at):
    items = _items(article, count)
    items[at]["status"] = "approved"
    response = api_client_for(author).post(_url(article), {"claims": items}, format="json")
    assert response.status_code == 403
    assert response.json()["errors"] == [{"index": at, "field": "status", "message": claims.workflow.APPROVE_OWN}]
    assert not Claim.objects.exists()


def test_an_outsider_gets_404_and_nothing_is_written(api_client_for, outsider, article):
    response = api_client_for(outsider).post(_url(article), {"claims": _items(article, 2)}, format="json")
    assert response.status_code == 404
    assert not Claim.objects.exists()


def test_anonymous_callers_get_401(client, article):
    response = client.post(_url(article), {"claims": []}, content_type="application/json")
    assert response.status_code == 401


def test_it_refuses_more_than_the_limit(api_client_for, author, article, monkeypatch):
    monkeypatch.setattr(claims.limits, "BULK_CLAIMS_MAX", 2)
    response = api_client_for(author).post(_url(article), {"claims": _items(article, 3)}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "claims"
    assert not Claim.objects.exists()


def test_the_number_of_queries_does_not_grow_with_the_items(api_client_for, author, project, article):
    api = api_client_for(author)
    api.post(_url(article), {"claims": _items(article, 1)}, format="json")  # token checked and cached
    counts = []
    # Within one INSERT batch: past it Django splits the rows (on SQLite ~33 history rows a
    # statement, Django 5.2 assuming SQLite's old limit of 999 variables), one INSERT per batch.
    for count in (2, 30):
        with CaptureQueriesContext(connection) as queries:
            response = api.post(_url(article), {"claims": _items(article, count)}, format="json")
        assert response.status_code == 201
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_create_many_applies_the_membership_rule(outsider, project):
    article = ArticleFactory(project=project)
    with pytest.raises(claims.PermissionDenied):
        claims.create_many(article=article, by=outsider, items=[{"start": 0, "end": 5}])
    assert not Claim.objects.exists()


@pytest.mark.parametrize("bad_at", [0, 100, 118])
def test_a_refusal_found_after_many_claims_leaves_nothing_written(api_client_for, author, article, bad_at):
    # Past 50 claims PostgreSQL gets each claim as soon as it is checked (COPY): a refusal found
    # late must still roll back the claims already sent, with their sources, history and captures.
    from annotations.models import Capture

    items = _items(article, 120)
    items[bad_at]["verdict"] = "pants_on_fire"
    items[-1]["sources"][0]["url"] = "ftp://example.org/x"
    response = api_client_for(author).post(_url(article), {"claims": items}, format="json")
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [
        (bad_at, "verdict"),
        (119, "sources[0].url"),
    ]
    assert not Claim.objects.exists()
    assert not Claim.history.exists()
    assert not Source.objects.exists()
    assert not Capture.objects.exists()
    # And the same request made good writes all 120 once.
    items[bad_at]["verdict"] = "false"
    items[-1]["sources"][0]["url"] = "https://example.org/x"
    response = api_client_for(author).post(_url(article), {"claims": items}, format="json")
    assert response.status_code == 201, response.content
    assert Claim.objects.count() == Claim.history.count() == Source.objects.count() == 120
    assert sorted(response.json()["ids"]) == response.json()["ids"]
