"""Suggested sentences on the desk in a real browser: s focuses one, a makes it a claim, x dismisses."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from annotations import extraction
from annotations.models import Claim, DecisionKind, Suggestion, SuggestionDecision
from tests.e2e.test_desk_browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_seed_article_shows_suggestions_and_a_and_x_decide_them(page, author, article, artifacts):
    # As the worker leaves the seed article after `make run`: entities and scores in one pass.
    assert extraction.run_extraction(article_id=article.pk, run_id=article.latest_run.pk) == extraction.Outcome.DONE
    ranked = list(Suggestion.objects.filter(article=article).order_by("-score", "start", "id"))
    first, second = ranked[0], ranked[1]

    log_in(page)
    page.goto(reverse("article-detail", args=[article.project.slug, article.pk]))
    items = page.locator("#suggestions .suggestion")
    expect(items.first).to_have_attribute("data-suggestion-id", str(first.pk))
    expect(page.locator(f'#article-text .seg.suggested[data-suggestions~="{first.pk}"]').first).to_be_visible()
    page.screenshot(path=str(artifacts / "suggestions.png"))

    page.keyboard.press("s")  # focus the best suggestion
    expect(items.first).to_be_focused()
    page.keyboard.press("a")
    claimant = page.locator("#claim-form [name=claimant]")
    expect(claimant).to_be_focused()
    claimant.fill("Ukraine's armed forces")
    page.locator("#claim-form button[type=submit]").click()
    expect(page.locator("#claim-form")).to_have_count(0)
    expect(page.locator(f"#suggestion-{first.pk}")).to_have_count(0)

    claim = Claim.objects.get(article=article)
    assert (claim.start, claim.end) == (first.start, first.end)
    assert claim.quote == article.text[first.start : first.end]
    assert claim.claimant == "Ukraine's armed forces" and claim.created_by == author
    assert SuggestionDecision.objects.get(start=first.start).kind == DecisionKind.ACCEPTED

    page.locator(f"#suggestion-{second.pk}").focus()
    page.keyboard.press("x")
    expect(page.locator(f"#suggestion-{second.pk}")).to_have_count(0)
    decision = SuggestionDecision.objects.get(start=second.start, end=second.end)
    assert decision.kind == DecisionKind.DISMISSED and decision.claim is None
    assert Claim.objects.filter(article=article).count() == 1
    # After a dismissal the next suggestion has the focus, so x and a keep working from the keyboard.
    expect(page.locator("#suggestions .suggestion").first).to_be_focused()
