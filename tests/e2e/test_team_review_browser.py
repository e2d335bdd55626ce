"""Four-eyes review in a real browser: submit, send back with a comment, fix, resubmit, approve."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotations.models import Claim, ClaimStatus, Role
from tests.e2e.test_desk_browser import SENTENCE, log_in, mark_claim
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("h1")).to_have_text("Log in")


def open_from_queue(page, section: str, quote_start: str) -> None:
    page.get_by_role("link", name="My queue").click()
    page.locator(f"#{section} a", has_text=quote_start).click()
    expect(page.locator("h1")).to_have_text("Claim review")


def move(page, target: str) -> None:
    page.locator(f'button[data-move="{target}"]').click()
    expect(page.locator("#claim-status")).to_have_text(ClaimStatus(target).label)


def test_a_claim_goes_through_review_send_back_and_four_eyes_approval(
    page, project, author, editor, article, artifacts
):
    second_editor = MembershipFactory(project=project, user=UserFactory(username="editor-2"), role=Role.EDITOR).user
    start = article.text.index(SENTENCE)

    # The reviewer marks the claim on the desk and submits it for review.
    log_in(page, "author")
    page.goto(f"/p/{project.slug}/articles/{article.pk}/")
    mark_claim(page, start, start + len(SENTENCE), claimant="Gen. Oleksiy Gromov", verdict="false")
    claim = Claim.objects.get(article=article)
    page.locator(f"#claim-{claim.pk}").get_by_role("link", name="Review & history").click()
    move(page, "in_progress")
    move(page, "in_review")
    log_out(page)

    # The editor finds it under "Needs review" and sends it back with a comment.
    log_in(page, "editor")
    open_from_queue(page, "needs-review", SENTENCE[:40])
    expect(page.locator('button[data-move="approved"]')).to_be_visible()
    page.fill("#send-back-body", "Add the briefing as a source, please.")
    page.locator('button[data-move="needs_changes"]').click()
    expect(page.locator("#claim-status")).to_have_text("Needs changes")
    log_out(page)

    # The reviewer sees it in the queue, adds a source on the desk and resubmits.
    log_in(page, "author")
    open_from_queue(page, "to-fix", SENTENCE[:40])
    expect(page.locator("#timeline")).to_contain_text("Add the briefing as a source, please.")
    # The reason is in the queue and on the claim's card too.
    page.get_by_role("link", name="My queue").click()
    expect(page.locator("#to-fix")).to_contain_text("Sent back by editor: Add the briefing as a source, please.")
    page.go_back()
    page.goto(f"/p/{project.slug}/articles/{article.pk}/")
    card = page.locator(f"#claim-{claim.pk}")
    expect(card.locator(".send-back-reason")).to_contain_text("Add the briefing as a source, please.")
    card.get_by_role("button", name="Add source").click()
    form = card.locator("form.source-form")
    expect(form).to_be_visible()
    page.wait_for_load_state("networkidle")  # the form is in place before we type into it
    form.locator("[name=url]").fill("https://www.cbc.ca/news/world/ukraine-russia-luhansk")
    form.locator("[name=title]").fill("Briefing report")
    form.locator("[name=stance]").select_option("refutes")
    expect(form.locator("[name=url]")).to_have_value("https://www.cbc.ca/news/world/ukraine-russia-luhansk")
    form.locator("button[type=submit]").click()
    expect(card.locator(".sources a").first).to_have_text("Briefing report")
    card.get_by_role("link", name="Review & history").click()
    move(page, "in_progress")
    move(page, "in_review")
    log_out(page)

    # A second editor approves: four eyes, neither of them the author.
    log_in(page, "editor-2")
    open_from_queue(page, "needs-review", SENTENCE[:40])
    move(page, "approved")
    timeline = page.locator("#timeline")
    for step in [
        "author marked the claim",
        "author started work on it",
        "Status: Unstarted → In progress",
        "Status: In progress → In review",
        "editor sent it back for changes",
        "Status: In review → Needs changes",
        "editor sent it back, saying",
        "author added the source “Briefing report”",
        "Stance: Refutes",
        "Status: Needs changes → In progress",
        "editor-2 approved it",
        "Status: In review → Approved",
        "Approved by: — → editor-2",
    ]:
        expect(timeline).to_contain_text(step)
    page.screenshot(path=str(artifacts / "claim-review.png"), full_page=True)

    claim.refresh_from_db()
    assert (claim.status, claim.reviewed_by) == (ClaimStatus.APPROVED, second_editor)
    assert claim.history.count() == 7  # created, and six status changes
