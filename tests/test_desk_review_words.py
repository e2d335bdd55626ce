"""The desk puts claims first; reasons, context and history in words a reviewer reads."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import claims, review
from annotations.models import EntityMention

pytestmark = pytest.mark.django_db

SENTENCE = "Russia has the advantage, but we are doing everything we can"


@pytest.fixture
def claim(article, author):
    start = article.text.index(SENTENCE)
    return claims.create(article=article, by=author, start=start, end=start + len(SENTENCE), verdict="false")


def sent_back(claim, author, editor, reason="Add the briefing as a source."):
    claim = claims.move(claim=claim, target="in_review", by=author)
    return review.send_back(claim=claim, by=editor, comment=reason)


def desk(client, claim):
    return client.get(reverse("article-detail", args=[claim.article.project.slug, claim.article_id])).content.decode()


def test_the_desk_lists_claims_before_the_entities_which_are_collapsed(client_for, author, claim):
    EntityMention.objects.create(article=claim.article, start=0, end=3, text=claim.article.text[:3], label="GPE")
    html = desk(client_for(author), claim)
    assert html.index(f'id="claim-{claim.pk}"') < html.index('id="entities-heading"')
    assert '<details class="entity-details" id="entity-details">' in html
    # The legend says what a label means.
    assert "<dd>a country, city or state</dd>" in html


def test_the_send_back_reason_is_on_the_card_and_in_my_queue(client_for, author, editor, claim):
    sent_back(claim, author, editor)
    client = client_for(author)
    assert "Sent back</strong> by editor: Add the briefing as a source." in desk(client, claim)
    queue = client.get(reverse("queues")).content.decode()
    assert "Sent back by editor:</span> Add the briefing as a source." in queue


def test_only_the_latest_send_back_reason_is_shown(author, editor, claim):
    claim = sent_back(claim, author, editor, "First reason.")
    review.add_comment(claim=claim, author=editor, body="A plain comment.")
    claim = claims.move(claim=claim, target="in_review", by=author)
    review.send_back(claim=claim, by=editor, comment="Second reason.")
    assert review.send_back_reasons([claim.pk])[claim.pk].body == "Second reason."
    assert review.my_claims_to_fix(author).get().send_back_body == "Second reason."


def test_the_review_page_shows_the_paragraph_and_every_fact_of_a_source(client_for, author, claim):
    claims.add_source(
        claim=claim,
        by=author,
        url="https://example.org/briefing",
        title="Briefing report",
        publisher="Example News",
        excerpt="The general said so on Monday.",
        archived_url="https://web.archive.org/web/2026/https://example.org/briefing",
        stance="refutes",
    )
    html = client_for(author).get(reverse("claim-workflow", args=["newsroom", claim.pk])).content.decode()
    text = claim.article.text
    paragraph_start = text.rfind("\n", 0, claim.start) + 1
    assert f'{text[paragraph_start : claim.start]}<mark class="claim-span">{SENTENCE}</mark>' in html
    for fact in ("Briefing report", "Example News", "The general said so on Monday.", "web.archive.org/web/2026"):
        assert fact in html


def test_the_timeline_speaks_in_words_with_before_and_after(author, editor, claim):
    claim = claims.update(claim=claim, by=author, expected_version=None, claim_text="Russia has the advantage.")
    source = claims.add_source(claim=claim, by=author, url="https://example.org/a", title="A report", stance="supports")
    claims.edit_source(source=source, by=author, stance="refutes", publisher="Example News")
    claim = claims.move(claim=claim, target="in_review", by=author)
    claims.move(claim=claim, target="approved", by=editor)
    entries = review.timeline(claim)
    lines = [f"{e.who} {e.what}: " + " | ".join(e.details) for e in entries]
    text = "\n".join(lines)
    assert f"author changed it: Claim: {SENTENCE} → Russia has the advantage." in text
    assert (
        "author added the source “A report”: Link: https://example.org/a | Title: A report | Stance: Supports" in text
    )
    assert "author edited the source “A report”: Publisher: — → Example News | Stance: Supports → Refutes" in text
    assert "author submitted it for review: Status: Unstarted → In review" in text
    assert "editor approved it: Status: In review → Approved | Approved by: — → editor" in text
    for database_word in ("claim_text", "in_review", "reviewed_by", "+00:00"):
        assert database_word not in text


def test_the_timeline_shows_times_in_words(author, editor, claim):
    claim = claims.move(claim=claim, target="in_review", by=author)
    claims.add_source(claim=claim, by=author, url="https://example.org/a", stance="refutes")
    claim = claims.move(claim=claim, target="approved", by=editor)
    claim = claims.update(
        claim=claim, by=editor, expected_version=None, rationale="Better.", correction_note="Clearer rationale."
    )
    text = "\n".join(" | ".join(e.details) for e in review.timeline(claim))
    assert "Corrected: — → " in text and " UTC" in text
    assert "Correction note: — → Clearer rationale." in text
