"""The issue's "done when": from an empty database, a person who read only the README creates a
project, adds an editor and a reviewer, and both take a claim to approval, all in the browser.

Accounts come the README's way: `manage.py create_reviewer NAME --password ...` (no --project),
run by whoever operates the server; everything after that happens in the browser.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from annotations.models import Article, Claim, ClaimStatus, Membership, Project
from tests.conftest import SEED_TEXT_PATH
from tests.e2e.test_desk_browser import SENTENCE, log_in, mark_claim
from tests.e2e.test_team_review_browser import log_out, move

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "story-passphrase-for-tests-7"


def test_a_new_team_takes_a_claim_from_an_empty_database_to_approval(page, artifacts):
    assert not Project.objects.exists()
    for name in ("alice", "bob", "carol"):
        call_command("create_reviewer", name, "--password", PASSWORD, "--email", f"{name}@example.org")

    # Alice creates the project: she becomes its admin and lands on its members page.
    log_in(page, "alice", PASSWORD)
    page.get_by_role("link", name="New project").click()
    page.fill("#project-name", "Climate desk")
    page.get_by_role("button", name="Create project").click()
    expect(page.locator("h1")).to_have_text("Members & settings")
    project = Project.objects.get(slug="climate-desk")

    # Bob by username, as editor; Carol through an invitation link, as reviewer.
    page.fill("#new-member", "bob")
    page.select_option("#new-member-role", "editor")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator("#members")).to_contain_text("bob")
    page.select_option("#invite-role", "reviewer")
    page.fill("#invite-note", "Carol")
    page.get_by_role("button", name="Create invitation link").click()
    link = page.locator("#invite-link").input_value()
    assert "/invite/" in link
    page.screenshot(path=str(artifacts / "story-members.png"), full_page=True)

    # Alice adds the article by pasting it.
    page.goto(f"/p/{project.slug}/")
    page.get_by_role("link", name="Add articles").click()
    paste = page.locator("details.import-paste form")
    paste.locator("[name=title]").fill("Seed article")
    paste.locator("[name=text]").fill(SEED_TEXT_PATH.read_text(encoding="utf-8"))
    paste.get_by_role("button", name="Add").click()
    expect(page.locator(".import-report")).to_contain_text("Seed article")
    article = Article.objects.get(project=project)
    log_out(page)

    # Carol follows the link, joins, marks the claim with a source and submits it.
    log_in(page, "carol", PASSWORD)
    page.goto(link)
    page.get_by_role("button", name="Join Climate desk").click()
    assert Membership.objects.get(project=project, user__username="carol").role == "reviewer"
    page.get_by_role("link", name="Seed article").click()
    start = article.text.index(SENTENCE)
    mark_claim(page, start, start + len(SENTENCE), claimant="Gen. Oleksiy Gromov", verdict="false")
    claim = Claim.objects.get(article=article)
    card = page.locator(f"#claim-{claim.pk}")
    card.get_by_role("button", name="Add source").click()
    form = card.locator("form.source-form")
    expect(form).to_be_visible()
    page.wait_for_load_state("networkidle")
    form.locator("[name=url]").fill("https://www.cbc.ca/news/world/ukraine-russia-luhansk")
    form.locator("[name=title]").fill("Briefing report")
    form.locator("[name=stance]").select_option("refutes")
    form.locator("button[type=submit]").click()
    expect(card.locator(".sources a").first).to_have_text("Briefing report")
    card.get_by_role("link", name="Review & history").click()
    move(page, "in_review")
    log_out(page)

    # Bob, the editor, finds it in his queue and approves it.
    log_in(page, "bob", PASSWORD)
    page.get_by_role("link", name="My queue").click()
    page.locator("#needs-review a", has_text=SENTENCE[:40]).click()
    move(page, "approved")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    assert (claim.created_by.username, claim.reviewed_by.username) == ("carol", "bob")
