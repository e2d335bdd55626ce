"""What was checked before, in a real browser: a claim that repeats an imported fact check shows it,
and one click links the two."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from annotations.models import Claim, ClaimLink, FactCheck
from tests.e2e.test_desk_browser import SENTENCE, log_in, mark_claim

pytestmark = pytest.mark.django_db(transaction=True)

REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://checks.example.org/luhansk-advantage",
    "claimReviewed": "Russia has the advantage in Luhansk, but Ukraine is doing everything it can, says Gromov",
    "reviewRating": {"@type": "Rating", "alternateName": "Mostly true"},
    "author": {"@type": "Organization", "name": "Example <Checkers>"},
    "datePublished": "2022-05-27",
}


def test_marking_a_claim_that_repeats_an_imported_fact_check_shows_it_and_links_it(page, editor, article, artifacts):
    log_in(page, "editor")
    # The editor imports the published check into the project's library, pasted as JSON-LD.
    page.goto(f"/p/{article.project.slug}/library/")
    page.fill("textarea[name=text]", json.dumps(REVIEW))
    page.click("button:has-text('Import')")
    expect(page.locator(".messages")).to_contain_text("Imported 1 new fact check(s)")
    expect(page.locator("table.library")).to_contain_text("Example <Checkers>")  # shown as text, escaped
    check = FactCheck.objects.get()

    page.goto(f"/p/{article.project.slug}/articles/{article.pk}/")
    start = article.text.index(SENTENCE)
    mark_claim(page, start, start + len(SENTENCE), claimant="Gen. Oleksiy Gromov", verdict="unverifiable")
    claim = Claim.objects.get(article=article)
    card = page.locator(f"#claim-{claim.pk}")
    # Marked: the most similar earlier checks appear under the new card without asking.
    match = card.locator(f'[data-match="fact_check:{check.pk}"]')
    expect(match).to_be_visible()
    expect(match).to_contain_text("Mostly true")
    expect(match).to_contain_text("Example <Checkers>")
    page.screenshot(path=str(artifacts / "checked-before.png"))

    match.locator("[data-action=same-as]").click()
    expect(card.locator("[data-same-as]")).to_contain_text("Same claim as")
    expect(card.locator("[data-same-as] a")).to_have_attribute("href", REVIEW["url"])
    assert ClaimLink.objects.get(claim=claim).fact_check_id == check.pk
    page.reload()
    expect(page.locator(f"#claim-{claim.pk} [data-same-as]")).to_contain_text(REVIEW["claimReviewed"][:40])
