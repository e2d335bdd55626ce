"""The reviewer's desk over HTTP: every page and htmx partial, its scoping, permissions and errors."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import articles, claims
from annotations.models import Claim, ClaimStatus, EntityMention, ExtractionRun, Source, Verdict
from tests.factories import ArticleFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db

SENTENCE = "Russia has the advantage, but we are doing everything we can"


@pytest.fixture
def claim(article, author) -> Claim:
    start = article.text.index(SENTENCE)
    return claims.create(
        article=article,
        by=author,
        start=start,
        end=start + len(SENTENCE),
        quote=SENTENCE,
        claimant="Gen. Oleksiy Gromov",
    )


@pytest.fixture
def source(claim) -> Source:
    return SourceFactory(claim=claim, title="Briefing transcript", stance="context")


def url(name: str, *args: object) -> str:
    return reverse(name, args=args)


def claim_url(name: str, claim: Claim, *extra: object) -> str:
    return reverse(name, args=[claim.article.project.slug, claim.article_id, claim.pk, *extra])


# --- article list ------------------------------------------------------------------------------


def _articles(project, author):
    """Three articles: one with an approved and an in-review claim, one with only an approved one, one bare."""
    mixed = ArticleFactory(project=project, title="Grain blockade explained", text="Ports are blocked.\nGrain waits.")
    done = ArticleFactory(project=project, title="Davos speech", text="Scholz spoke at Davos about peace.")
    bare = ArticleFactory(project=project, title="Kharkiv shelling", text="Four civilians were killed in Kharkiv.")
    ClaimFactory(article=mixed, status=ClaimStatus.APPROVED, verdict=Verdict.TRUE, created_by=author)
    ClaimFactory(article=mixed, start=0, end=5, status=ClaimStatus.IN_REVIEW, verdict=Verdict.FALSE, created_by=author)
    ClaimFactory(article=done, status=ClaimStatus.APPROVED, verdict=Verdict.MIXED, created_by=author)
    ExtractionRun.objects.create(article=mixed, status="failed")
    ExtractionRun.objects.create(article=mixed, status="done")
    return mixed, done, bare


def _titles(response) -> list[str]:
    return [a.title for a in response.context["page"]]


def test_it_lists_articles_with_claims_by_status_and_extraction_state(client_for, author, project):
    mixed, _done, _bare = _articles(project, author)
    response = client_for(author).get(url("article-list", project.slug))
    assert response.status_code == 200
    assert _titles(response) == ["Kharkiv shelling", "Davos speech", "Grain blockade explained"]
    row = next(a for a in response.context["page"] if a.pk == mixed.pk)
    assert row.claim_count == 2
    assert [(value, n) for value, _label, n in row.status_counts if n] == [("in_review", 1), ("approved", 1)]
    assert row.run_status == "done"  # the latest run, not the failed one before it
    html = response.content.decode()
    assert "1 in review" in html and "1 approved" in html and "Done" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "in_review"}, ["Grain blockade explained"]),
        ({"status": "approved"}, ["Davos speech", "Grain blockade explained"]),
        ({"verdict": "mixed"}, ["Davos speech"]),
        ({"status": "approved", "verdict": "false"}, []),  # one claim must match both
        ({"unreviewed": "on"}, ["Grain blockade explained"]),
        ({"q": "davos"}, ["Davos speech"]),  # title
        ({"q": "civilians"}, ["Kharkiv shelling"]),  # text
    ],
)
def test_it_filters_and_searches_the_article_list(client_for, author, project, query, expected):
    _articles(project, author)
    response = client_for(author).get(url("article-list", project.slug), query)
    assert response.status_code == 200
    assert _titles(response) == expected


def test_a_bad_filter_gets_400_with_the_fields_message(client_for, author, project):
    _articles(project, author)
    response = client_for(author).get(url("article-list", project.slug), {"verdict": "maybe"})
    assert response.status_code == 400
    assert "Select a valid choice. maybe is not one of the available choices." in response.content.decode()
    assert _titles(response) == []


def test_it_paginates_the_article_list_and_keeps_the_filters(client_for, author, project):
    for i in range(30):
        ArticleFactory(project=project, title=f"Report {i:02d}")
    client = client_for(author)
    first = client.get(url("article-list", project.slug), {"q": "Report"})
    assert len(_titles(first)) == 25
    assert 'href="?q=Report&amp;page=2"' in first.content.decode()
    second = client.get(url("article-list", project.slug), {"q": "Report", "page": 2})
    assert len(_titles(second)) == 5
    assert set(_titles(first)).isdisjoint(_titles(second))


def test_the_article_list_makes_a_constant_number_of_queries(client_for, author, project, django_assert_num_queries):
    client = client_for(author)
    list_url = url("article-list", project.slug)
    _articles(project, author)
    client.get(list_url)
    # session, user, project with the user's role, count, one page of articles with every count
    # and the latest run, and the extraction panel: the user's role, the project's run progress (2)
    with django_assert_num_queries(7):
        client.get(list_url)
    for _ in range(20):
        article = ArticleFactory(project=project)
        ClaimFactory(article=article, status=ClaimStatus.IN_PROGRESS)
        ExtractionRun.objects.create(article=article, status="done")
    with django_assert_num_queries(7):
        response = client.get(list_url)
    assert len(_titles(response)) == 23


def test_the_article_list_counts_only_the_page_s_articles(client_for, author, project):
    """Counts are subqueries a row over the page read in index order: a JOIN with GROUP BY (or a
    sort of every article) made each page aggregate the whole project, 0.3-0.43 s a page at
    17,000 articles."""
    _articles(project, author)
    with CaptureQueriesContext(connection) as queries:
        client_for(author).get(url("article-list", project.slug))
    listing = [q["sql"] for q in queries if 'FROM "annotations_article"' in q["sql"]]
    page = [sql for sql in listing if '"annotations_article"."title"' in sql]
    assert len(page) == 1 and "GROUP BY" not in page[0]
    # The page count has no JOIN either: F("assignee__username") kept one in it (22 ms of a
    # 70 ms page at 17,000 articles on SQLite).
    (count,) = [sql for sql in listing if "COUNT(*)" in sql]
    assert "JOIN" not in count


def test_an_outsider_gets_404_on_the_article_list(client_for, outsider, project):
    assert client_for(outsider).get(url("article-list", project.slug)).status_code == 404


# --- article page ------------------------------------------------------------------------------


def test_the_article_page_highlights_claims_and_entities_with_nesting(client_for, author, article, claim):
    inner = article.text.index("the advantage")
    nested = claims.create(article=article, by=author, start=inner, end=inner + 13, verdict="false")
    russia = article.text.index(SENTENCE)
    EntityMention.objects.create(article=article, start=russia, end=russia + 6, text="Russia", label="GPE")
    response = client_for(author).get(url("article-detail", article.project.slug, article.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-start="{russia}" data-end="{russia + 6}" data-claims="{claim.pk}"' in html
    assert 'data-labels="GPE">Russia</span>' in html
    assert f'class="seg claim multi" data-start="{inner}" data-end="{inner + 13}"' in html
    # The outer claim starts first, so its (missing) verdict colours the shared segment.
    assert f'data-claims="{claim.pk} {nested.pk}" data-verdict="none"' in html
    cards = [c.pk for c in response.context["claims"]]
    assert cards == [claim.pk, nested.pk]  # text order
    assert 'data-verdicts="true mostly_true mixed misleading mostly_false false unverifiable not_checkable"' in html
    assert "X-CSRFToken" in html


@pytest.mark.parametrize("many", [5, 100])
def test_the_article_page_makes_a_constant_number_of_queries(
    client_for, author, other_reviewer, article, many, django_assert_num_queries
):
    client = client_for(author)
    page_url = url("article-detail", article.project.slug, article.pk)
    words = [(m.start(), m.end()) for m in re.finditer(r"\w+", article.text)]
    for i in range(many):
        start, end = words[i]
        claim = ClaimFactory(article=article, start=start, end=end, created_by=author if i % 2 else other_reviewer)
        SourceFactory(claim=claim)
        SourceFactory(claim=claim, stance="refutes")
        EntityMention.objects.create(article=article, start=start, end=end, text=article.text[start:end], label="ORG")
    client.get(page_url)  # warm the session
    # session, user, article, role, claims (light rows), the full cards' claims (with authors and links),
    # sources, their captures, mentions, suggestions, latest run
    with django_assert_num_queries(11):
        response = client.get(page_url)
    assert len(response.context["claims"]) == many


def test_an_outsider_gets_404_on_the_article_page(client_for, outsider, article):
    assert client_for(outsider).get(url("article-detail", article.project.slug, article.pk)).status_code == 404


def test_another_reviewer_sees_no_edit_controls_on_my_claim(client_for, other_reviewer, claim):
    html = client_for(other_reviewer).get(url("article-detail", claim.article.project.slug, claim.article_id))
    assert f'id="claim-{claim.pk}"' in html.content.decode()
    assert claim_url("claim-edit", claim) not in html.content.decode()


# --- marking a claim ---------------------------------------------------------------------------


def _create_url(article) -> str:
    return url("claim-create", article.project.slug, article.pk)


def _span(article, quote: str = SENTENCE) -> dict[str, object]:
    start = article.text.index(quote)
    return {"start": start, "end": start + len(quote), "quote": quote}


def test_it_opens_the_claim_form_on_a_selection_with_the_quote_prefilled(client_for, author, article):
    response = client_for(author).get(_create_url(article), _span(article))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_claim_text">\n{SENTENCE}</textarea>' in html
    assert 'name="claimant"' in html and 'name="rationale"' in html


def test_the_claim_form_refuses_a_selection_that_does_not_match_the_text(client_for, author, article):
    bad = {**_span(article), "quote": "Russia has the advantage"}
    response = client_for(author).get(_create_url(article), bad)
    assert response.status_code == 400
    assert "quote does not match the text at" in response.content.decode()


def test_it_creates_a_claim_and_returns_the_panel_and_the_text(client_for, author, article):
    data = {
        **_span(article),
        "claim_text": "",
        "claimant": "Gen. Oleksiy Gromov",
        "verdict": "unverifiable",
        "status": "in_progress",
        "rationale": "No independent confirmation.",
    }
    response = client_for(author).post(_create_url(article), data)
    assert response.status_code == 200
    claim = Claim.objects.get(article=article)
    assert (claim.start, claim.end, claim.quote) == (article.text.index(SENTENCE), data["end"], SENTENCE)
    assert (claim.claim_text, claim.claimant, claim.verdict) == (SENTENCE, "Gen. Oleksiy Gromov", "unverifiable")
    assert claim.created_by == author
    assert response["HX-Retarget"] == "#claims"
    html = response.content.decode()
    assert f'id="claim-{claim.pk}"' in html
    assert 'id="article-text" hx-swap-oob="true"' in html
    assert f'data-claims="{claim.pk}" data-verdict="unverifiable"' in html


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"quote": "Russia has the advantage"}, "quote does not match the text at"),
        ({"end": 10**7}, "end must be at most the text length"),
        ({"start": "abc"}, "Enter a whole number."),
        ({"quote": ""}, "quote is required (the selected text)."),
        ({"verdict": "probably"}, "Select a valid choice. probably is not one of the available choices."),
        ({"status": ""}, "This field is required."),
    ],
)
def test_a_bad_claim_gets_400_with_the_fields_message_and_nothing_is_written(
    client_for, author, article, change, message
):
    data = {**_span(article), "status": "unstarted", **change}
    response = client_for(author).post(_create_url(article), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'id="claim-form"' in response.content.decode()
    assert not Claim.objects.exists()


def test_an_outsider_cannot_open_or_post_the_claim_form(client_for, outsider, article):
    client = client_for(outsider)
    assert client.get(_create_url(article), _span(article)).status_code == 404
    assert client.post(_create_url(article), {**_span(article), "status": "unstarted"}).status_code == 404
    assert not Claim.objects.exists()


def test_htmx_posts_need_the_csrf_token_from_the_page(author, article, client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(author)
    page = csrf_client.get(url("article-detail", article.project.slug, article.pk))
    token = page.context["csrf_token"]
    data = {**_span(article), "status": "unstarted"}
    assert csrf_client.post(_create_url(article), data).status_code == 403
    assert csrf_client.post(_create_url(article), data, headers={"X-CSRFToken": str(token)}).status_code == 200


# --- editing a claim ---------------------------------------------------------------------------


def test_it_shows_a_claim_card(client_for, author, claim):
    response = client_for(author).get(claim_url("claim-card", claim))
    assert response.status_code == 200
    assert "Gen. Oleksiy Gromov" in response.content.decode()


def test_an_outsider_gets_404_on_a_claim_card(client_for, outsider, claim):
    assert client_for(outsider).get(claim_url("claim-card", claim)).status_code == 404


def test_a_claim_of_another_article_is_not_found_under_this_one(client_for, author, claim, project):
    other = ArticleFactory(project=project)
    wrong = reverse("claim-card", args=[project.slug, other.pk, claim.pk])
    assert client_for(author).get(wrong).status_code == 404


def _edit_data(claim: Claim, **change: object) -> dict[str, object]:
    return {
        "claim_text": claim.claim_text,
        "claimant": claim.claimant,
        "verdict": "false",
        "status": "in_progress",
        "rationale": "The front line moved.",
        "version": claim.version,
        **change,
    }


def test_it_edits_a_claim_and_returns_its_card(client_for, author, claim):
    client = client_for(author)
    form = client.get(claim_url("claim-edit", claim))
    assert form.status_code == 200
    assert f'name="version" value="{claim.version}"' in form.content.decode()
    response = client.post(claim_url("claim-edit", claim), _edit_data(claim))
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#claim-{claim.pk}"
    claim.refresh_from_db()
    assert (claim.verdict, claim.status, claim.rationale, claim.version) == (
        "false",
        "in_progress",
        "The front line moved.",
        2,
    )
    assert "badge verdict-false" in response.content.decode()


def test_an_edit_from_a_stale_version_says_someone_else_changed_the_claim(client_for, author, editor, claim):
    claims.update(claim=claim, by=editor, expected_version=1, rationale="Editor was here.")
    response = client_for(author).post(claim_url("claim-edit", claim), _edit_data(claim, version=1))
    assert response.status_code == 409
    assert "Someone else changed this claim" in response.content.decode()
    claim.refresh_from_db()
    assert claim.rationale == "Editor was here."


def test_a_bad_edit_gets_400_with_the_fields_message(client_for, author, claim):
    response = client_for(author).post(claim_url("claim-edit", claim), _edit_data(claim, status="done"))
    assert response.status_code == 400
    assert "Select a valid choice. done is not one of the available choices." in response.content.decode()
    missing = client_for(author).post(claim_url("claim-edit", claim), _edit_data(claim, version=""))
    assert missing.status_code == 400
    claim.refresh_from_db()
    assert claim.version == 1


def test_a_reviewer_cannot_edit_another_reviewers_claim(client_for, other_reviewer, claim):
    client = client_for(other_reviewer)
    assert client.get(claim_url("claim-edit", claim)).status_code == 403
    assert client.post(claim_url("claim-edit", claim), _edit_data(claim)).status_code == 403
    assert (
        client.post(
            claim_url("claim-review", claim), {"verdict": "true", "status": "approved", "version": 1}
        ).status_code
        == 403
    )
    claim.refresh_from_db()
    assert claim.verdict == "" and claim.version == 1


def test_an_editor_can_edit_any_claim(client_for, editor, claim):
    response = client_for(editor).post(claim_url("claim-edit", claim), _edit_data(claim))
    assert response.status_code == 200


def test_an_outsider_gets_404_when_editing(client_for, outsider, claim):
    client = client_for(outsider)
    assert client.get(claim_url("claim-edit", claim)).status_code == 404
    assert client.post(claim_url("claim-edit", claim), _edit_data(claim)).status_code == 404
    assert client.post(claim_url("claim-review", claim), {"verdict": "true"}).status_code == 404


def test_it_sets_verdict_and_status_from_the_quick_controls(client_for, author, claim):
    response = client_for(author).post(
        claim_url("claim-review", claim), {"verdict": "mostly_true", "status": "in_progress", "version": 1}
    )
    assert response.status_code == 200
    claim.refresh_from_db()
    assert (claim.verdict, claim.status) == ("mostly_true", "in_progress")
    assert 'hx-swap-oob="true"' in response.content.decode()  # the highlight colour follows the verdict


def test_bad_quick_controls_get_400_and_stale_ones_409(client_for, author, claim):
    client = client_for(author)
    bad = client.post(claim_url("claim-review", claim), {"verdict": "sure", "status": "in_review", "version": 1})
    assert bad.status_code == 400
    assert "sure is not one of the available choices" in bad.content.decode()
    stale = client.post(claim_url("claim-review", claim), {"verdict": "true", "status": "in_review", "version": 7})
    assert stale.status_code == 409
    assert "Someone else changed this claim" in stale.content.decode()
    claim.refresh_from_db()
    assert claim.verdict == ""


def test_it_moves_a_claim_to_a_new_selection(client_for, author, article, claim):
    new = _span(article, "we are doing everything we can")
    response = client_for(author).post(claim_url("claim-span", claim), {**new, "version": 1})
    assert response.status_code == 200
    claim.refresh_from_db()
    assert (claim.start, claim.end, claim.quote) == (new["start"], new["end"], new["quote"])
    # Only the card and the paragraphs of the old and new span come back, not the article.
    assert response["HX-Retarget"] == f"#claim-{claim.pk}"
    html = response.content.decode()
    assert 'id="article-text"' not in html
    assert f'data-claims="{claim.pk}"' in html
    assert html.count('class="para"') == 1  # old and new span share a paragraph


def _claims_at(article, author, count: int) -> list[Claim]:
    """``count`` claims, one a paragraph, on a long article of the same project."""
    line = "The minister said that 40 towns were shelled in the past 24 hours near Kharkiv."
    long = articles.create(
        project=article.project, title=f"Long {count}", text="\n".join([line] * count), created_by=author
    )
    return [
        claims.create(article=long, by=author, start=n * (len(line) + 1), end=n * (len(line) + 1) + 12)
        for n in range(count)
    ]


@pytest.mark.parametrize("write", ["create", "review", "span", "delete"])
def test_a_claim_write_answers_with_a_fixed_number_of_queries_whatever_the_claims(client_for, author, article, write):
    client = client_for(author)
    counts = []
    for count in (3, 30):
        made = _claims_at(article, author, count)
        target, long = made[1], made[1].article
        url = claim_url(f"claim-{write}", target) if write != "create" else _create_url(long)
        data: dict[str, object] = {"version": target.version}
        if write == "create":
            data = {"start": 3, "end": 20, "quote": long.text[3:20], "status": "unstarted"}
        elif write == "review":
            data |= {"verdict": "false", "status": target.status}
        elif write == "span":
            data |= {"start": target.start + 1, "end": target.end, "quote": long.text[target.start + 1 : target.end]}
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, data)
        assert response.status_code == 200, response.content
        html = response.content.decode()
        assert 'id="article-text"' not in html  # never the whole article
        assert html.count('class="para"') == 1
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_new_claim_is_inserted_in_text_order_with_the_count(client_for, author, article):
    first, second = _claims_at(article, author, 2)
    long = first.article
    data = {"start": 3, "end": 20, "quote": long.text[3:20], "status": "unstarted"}
    response = client_for(author).post(_create_url(long), data)
    new = Claim.objects.get(article=long, start=3)
    assert response["HX-Retarget"] == "#composer"
    html = response.content.decode()
    assert f'<ol hx-swap-oob="beforebegin:#claim-{second.pk}">' in html
    assert '<span class="count" id="claim-count" hx-swap-oob="true">3</span>' in html
    assert f'id="claim-{new.pk}"' in html and "focus-me" in html
    assert '<p class="para" id="para-0" hx-swap-oob="true">' in html


def test_deleting_a_claim_removes_its_card_and_highlight(client_for, author, article):
    first, second = _claims_at(article, author, 2)
    response = client_for(author).post(claim_url("claim-delete", second), {})
    assert response.status_code == 200
    assert (response["HX-Retarget"], response["HX-Reswap"]) == (f"#claim-{second.pk}", "delete")
    html = response.content.decode()
    assert '<p class="para" id="para-1" hx-swap-oob="true">' in html
    assert f'data-claims="{second.pk}"' not in html
    assert '<span class="count" id="claim-count" hx-swap-oob="true">1</span>' in html


def test_a_bad_new_selection_gets_400_and_the_claim_stays(client_for, author, other_reviewer, outsider, claim):
    start = claim.start + 5
    bad = {"start": start, "end": start + 10, "quote": "not there!", "version": 1}
    response = client_for(author).post(claim_url("claim-span", claim), bad)
    assert response.status_code == 400
    assert "quote does not match the text at" in response.content.decode()
    assert client_for(other_reviewer).post(claim_url("claim-span", claim), bad).status_code == 403
    assert client_for(outsider).post(claim_url("claim-span", claim), bad).status_code == 404
    claim.refresh_from_db()
    assert claim.quote == SENTENCE


def test_it_deletes_a_claim_after_confirmation(client_for, author, claim, source):
    client = client_for(author)
    confirm = client.get(claim_url("claim-delete", claim))
    assert confirm.status_code == 200
    assert "Delete this claim and its 1 source?" in confirm.content.decode()
    response = client.post(claim_url("claim-delete", claim))
    assert response.status_code == 200
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert not Source.objects.exists()
    assert "No claims yet" in response.content.decode()


def test_only_the_author_or_an_editor_deletes_and_outsiders_see_nothing(client_for, other_reviewer, outsider, claim):
    assert client_for(other_reviewer).post(claim_url("claim-delete", claim)).status_code == 403
    assert client_for(outsider).get(claim_url("claim-delete", claim)).status_code == 404
    assert client_for(outsider).post(claim_url("claim-delete", claim)).status_code == 404
    assert Claim.objects.filter(pk=claim.pk).exists()


# --- sources -----------------------------------------------------------------------------------

SOURCE = {
    "url": "https://www.reuters.com/world/europe/ukraine-luhansk",
    "title": "Reuters on Luhansk",
    "publisher": "Reuters",
    "excerpt": "Russia has the advantage",
    "stance": "supports",
    "archived_url": "https://web.archive.org/web/2022/https://www.reuters.com/world/europe/ukraine-luhansk",
}


def test_it_adds_a_source_to_a_claim(client_for, author, claim):
    client = client_for(author)
    assert client.get(claim_url("source-create", claim)).status_code == 200
    response = client.post(claim_url("source-create", claim), SOURCE)
    assert response.status_code == 200
    saved = claim.sources.get()
    assert (saved.url, saved.stance, saved.added_by) == (SOURCE["url"], "supports", author)
    assert "Reuters on Luhansk" in response.content.decode()
    assert response["HX-Retarget"] == f"#claim-{claim.pk}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "not a url"}, "Enter a valid URL."),
        ({"url": ""}, "This field is required."),
        ({"stance": "agrees"}, "Select a valid choice. agrees is not one of the available choices."),
        ({"archived_url": "javascript:alert(1)"}, "Enter a valid URL."),
    ],
)
def test_a_bad_source_gets_400_with_the_fields_message(client_for, author, claim, change, message):
    response = client_for(author).post(claim_url("source-create", claim), {**SOURCE, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not claim.sources.exists()


def test_it_edits_and_removes_a_source(client_for, author, claim, source):
    client = client_for(author)
    assert client.get(claim_url("source-edit", claim, source.pk)).status_code == 200
    response = client.post(claim_url("source-edit", claim, source.pk), {**SOURCE, "stance": "refutes"})
    assert response.status_code == 200
    source.refresh_from_db()
    assert (source.title, source.stance) == ("Reuters on Luhansk", "refutes")
    bad = client.post(claim_url("source-edit", claim, source.pk), {**SOURCE, "url": "nope"})
    assert bad.status_code == 400 and "Enter a valid URL." in bad.content.decode()
    response = client.post(claim_url("source-delete", claim, source.pk))
    assert response.status_code == 200
    assert not Source.objects.exists()


def test_sources_follow_the_claims_permissions_and_scope(client_for, other_reviewer, outsider, author, claim, source):
    for user, status in [(other_reviewer, 403), (outsider, 404)]:
        client = client_for(user)
        assert client.post(claim_url("source-create", claim), SOURCE).status_code == status
        assert client.post(claim_url("source-edit", claim, source.pk), SOURCE).status_code == status
        assert client.post(claim_url("source-delete", claim, source.pk)).status_code == status
    other_claim = ClaimFactory(article=claim.article, created_by=author)
    # A source is only found under its own claim.
    assert client_for(author).post(claim_url("source-delete", other_claim, source.pk)).status_code == 404
    assert Source.objects.filter(pk=source.pk).exists()
    assert claim.sources.count() == 1


def test_the_quick_controls_follow_the_workflow(client_for, author, claim):
    response = client_for(author).post(
        claim_url("claim-review", claim), {"verdict": "false", "status": "approved", "version": 1}
    )
    assert response.status_code == 400
    assert "A claim cannot go from unstarted to approved" in response.content.decode()
    claim.refresh_from_db()
    assert (claim.status, claim.verdict, claim.version) == ("unstarted", "", 1)


def test_editing_an_approved_claim_needs_a_correction_note(client_for, author, editor, claim):
    from tests.factories import SourceFactory

    SourceFactory(claim=claim)
    claims.update(claim=claim, by=author, expected_version=None, verdict="false", status="in_review")
    claim = claims.move(claim=claim, target="approved", by=editor)
    client = client_for(editor)
    assert "Correction note" in client.get(claim_url("claim-edit", claim)).content.decode()
    response = client.post(claim_url("claim-edit", claim), _edit_data(claim, status="approved", verdict="mixed"))
    assert response.status_code == 400
    assert "say what you corrected and why" in response.content.decode()
    response = client.post(
        claim_url("claim-edit", claim),
        _edit_data(claim, status="approved", verdict="mixed", correction_note="Figures revised by the UN."),
    )
    assert response.status_code == 200
    assert "Corrected" in response.content.decode()
    claim.refresh_from_db()
    assert (claim.verdict, claim.correction_note) == ("mixed", "Figures revised by the UN.")
