"""The desk never shows a state that was refused: the control reverts and the server's reason shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotations import claims
from annotations.models import Claim, ClaimStatus

pytestmark = pytest.mark.django_db(transaction=True)

QUOTE = "Russia has the advantage, but we are doing everything we can"


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Projects")


def test_a_refused_approval_reverts_the_control_and_shows_why(page, author, editor, article, artifacts):
    start = article.text.index(QUOTE)
    claim = claims.create(article=article, by=author, start=start, end=start + len(QUOTE), verdict="false")
    claims.move(claim=claim, by=author, target=ClaimStatus.IN_REVIEW)
    log_in(page, "editor")
    page.goto(f"/p/{article.project.slug}/articles/{article.pk}/")
    card = page.locator(f"#claim-{claim.pk}")
    status = card.locator("select[name=status]")
    expect(status).to_have_value("in_review")
    status.select_option("approved")
    expect(card.locator("[data-refusal]")).to_have_text("A claim needs at least one source before it can be approved.")
    # The control shows the claim as it is stored, not the refused choice.
    expect(card.locator("select[name=status]")).to_have_value("in_review")
    expect(card.locator(".badge.status-in_review")).to_be_visible()
    page.screenshot(path=str(artifacts / "desk-refused-approval.png"))
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


def test_the_author_is_not_offered_approve_and_sees_submit_on_the_review_page(page, author, article):
    start = article.text.index(QUOTE)
    claim = claims.create(article=article, by=author, start=start, end=start + len(QUOTE), verdict="false")
    log_in(page, "author")
    page.goto(f"/p/{article.project.slug}/claims/{claim.pk}/review/")
    expect(page.locator("[data-move=in_review]")).to_have_text("Submit for review")
    page.locator("[data-move=in_review]").click()
    expect(page.locator("#claim-status")).to_have_text("In review")
    expect(page.locator("[data-move=approved]")).to_have_count(0)
