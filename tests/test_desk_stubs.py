"""The desk past its first full cards: stubs for the rest, filled in a chunk at a time."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import articles, claims
from annotations.models import Claim

pytestmark = pytest.mark.django_db


def _mark(article, author, count: int) -> list[Claim]:
    # One claim per sentence-ish stretch of the seed text, in text order.
    step = len(article.text) // (count + 1)
    return [
        claims.create(article=article, by=author, start=n * step, end=n * step + 10, verdict="false")
        for n in range(count)
    ]


def _page(client, article) -> str:
    response = client.get(reverse("article-detail", args=[article.project.slug, article.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_first_cards_are_full_and_the_rest_are_stubs_in_text_order(client, settings, article, author):
    settings.DESK_FULL_CARDS = 3
    marked = _mark(article, author, 7)
    client.force_login(author)
    html = _page(client, article)
    order = re.findall(r'<li class="claim-card( stub)?[^"]*" id="claim-(\d+)"', html)
    assert [int(pk) for _stub, pk in order] == [c.pk for c in marked]
    assert [bool(stub) for stub, _pk in order] == [False] * 3 + [True] * 4
    # A stub shows the quote and status but no controls; every claim is highlighted in the text.
    stub = html[html.index(f'id="claim-{marked[5].pk}"') :].split("</li>", 1)[0]
    assert marked[5].quote[:20] in stub and "Unstarted" in stub and "<form" not in stub
    assert all(re.search(rf'data-claims="[^"]*\b{c.pk}\b', html) for c in marked)


def test_the_page_costs_the_same_queries_for_ten_claims_or_eighty(client, settings, project, author, seed_text):
    settings.DESK_FULL_CARDS = 5
    client.force_login(author)

    def queries(count: int, title: str) -> int:
        article = articles.create(project=project, title=title, text=f"{title}\n{seed_text}", created_by=author)
        _mark(article, author, count)
        with CaptureQueriesContext(connection) as captured:
            _page(client, article)
        return len(captured)

    assert queries(10, "Ten") == queries(80, "Eighty")


def test_cards_come_for_the_stubs_asked_the_first_as_the_answer_the_rest_out_of_band(client, article, author):
    marked = _mark(article, author, 4)
    client.force_login(author)
    url = reverse("claim-cards", args=[article.project.slug, article.pk])
    ids = [marked[2].pk, marked[3].pk, marked[1].pk]
    response = client.get(url, {"ids": ",".join(map(str, ids))})
    assert response.status_code == 200
    html = response.content.decode()
    cards = re.findall(r'<li class="claim-card[^"]*" id="claim-(\d+)" tabindex="0"( hx-swap-oob="true")?', html)
    assert sorted((int(pk), bool(oob)) for pk, oob in cards) == sorted(
        [(marked[2].pk, False), (marked[3].pk, True), (marked[1].pk, True)]
    )
    assert "Add source" in html  # full cards, with the author's controls


def test_cards_take_the_same_queries_for_two_or_twenty(client, settings, project, author, seed_text):
    settings.DESK_CARD_CHUNK = 50
    client.force_login(author)

    def queries(count: int, title: str) -> int:
        article = articles.create(project=project, title=title, text=f"{title}\n{seed_text}", created_by=author)
        ids = ",".join(str(c.pk) for c in _mark(article, author, count))
        url = reverse("claim-cards", args=[project.slug, article.pk])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"ids": ids}).status_code == 200
        return len(captured)

    assert queries(2, "Two") == queries(20, "Twenty")


@pytest.mark.parametrize("ids", ["", "1,x", "abc"])
def test_bad_ids_are_refused_by_name(client, article, author, ids):
    client.force_login(author)
    response = client.get(reverse("claim-cards", args=[article.project.slug, article.pk]), {"ids": ids})
    assert response.status_code == 400 and response.content.decode().startswith("ids:")


def test_claims_of_other_articles_and_outsiders_get_nothing(client, project, article, author, outsider, seed_text):
    other = articles.create(project=project, title="Other", text=f"Other\n{seed_text}", created_by=author)
    theirs = _mark(other, author, 1)[0]
    client.force_login(author)
    url = reverse("claim-cards", args=[project.slug, article.pk])
    assert f"claim-{theirs.pk}" not in client.get(url, {"ids": str(theirs.pk)}).content.decode()
    client.force_login(outsider)
    assert client.get(url, {"ids": str(theirs.pk)}).status_code == 404
