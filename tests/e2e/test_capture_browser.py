"""Evidence captures in a real browser, with a real worker: a source added on the desk shows
"Captured on ..." once the worker has fetched its page, an unreachable one a clear failure with
"Try again", and the capture page lets a reviewer quote the excerpt from the captured text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotations import articles
from annotations.models import Capture, ExcerptState, Role, Source
from tests.app_server import free_port
from tests.conftest import SEED_TEXT_PATH
from tests.e2e.test_desk_browser import log_in
from tests.factories import ClaimFactory, MembershipFactory, ProjectFactory, UserFactory
from tests.local_http import Route, serve

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

PAGE = (
    "<html><head><title>Port authority update</title></head><body><article><h1>Port authority update</h1>"
    "<p>The port authority counted 19 vessels waiting outside Odesa on Friday, far fewer than reported.</p>"
    "<p>Officials said the count is updated every morning and published on the authority's website.</p>"
    "</article></body></html>"
)


def add_source(page, card, url: str) -> None:
    card.get_by_role("button", name="Add source").click()
    form = card.locator("form.source-form")
    expect(form).to_be_visible()
    form.locator("[name=url]").fill(url)
    form.locator("[name=stance]").select_option("refutes")
    form.locator("button[type=submit]").click()
    expect(form).to_be_hidden()


def test_a_source_added_on_the_desk_is_captured_or_fails_clearly(page, start_worker, tmp_path, settings, artifacts):
    settings.CAPTURE_SOURCES = True
    worker = start_worker(
        IMPORT_ALLOW_PRIVATE_URLS="1", IMPORT_FETCH_TIMEOUT="5", WORKBENCH_VAR_DIR=str(tmp_path / "worker")
    )
    user = UserFactory(username="author")
    project = ProjectFactory(slug="desk", name="Desk")
    MembershipFactory(project=project, user=user, role=Role.REVIEWER)
    article = articles.create(
        project=project, title="Seed article", text=SEED_TEXT_PATH.read_text(encoding="utf-8"), created_by=user
    )
    claim = ClaimFactory(article=article, start=0, end=8, created_by=user)
    dead = f"http://127.0.0.1:{free_port()}/gone"  # nothing listens there

    with serve({"/update": Route(PAGE.encode())}) as site:
        log_in(page)
        page.goto(f"/p/{project.slug}/articles/{article.pk}/")
        card = page.locator(f"#claim-{claim.pk}")

        add_source(page, card, site.url("/update"))
        reachable = Source.objects.get(url=site.url("/update"))
        state = card.locator(f"#capture-{reachable.pk}")
        expect(state.locator("[data-captured]")).to_contain_text("Captured on", timeout=60_000)
        assert site.hits == ["/update"], worker.log_tail()

        add_source(page, card, dead)
        unreachable = Source.objects.get(url=dead)
        failed = card.locator(f"#capture-{unreachable.pk}")
        expect(failed.locator(".capture-failed")).to_contain_text("could not be fetched", timeout=60_000)
        page.screenshot(path=str(artifacts / "capture-desk.png"), full_page=True)
        with page.expect_response(lambda response: "/capture/again/" in response.url):
            failed.get_by_role("button", name="Try again").click()
        expect(failed.locator(".capture-failed")).to_contain_text("could not be fetched", timeout=60_000)
        assert Capture.objects.filter(source=unreachable).count() == 2  # a new attempt, kept beside the first

        # The capture page: the captured text, escaped, and a passage of it quoted as the excerpt.
        state.locator("[data-captured]").click()
        expect(page.locator("h1")).to_have_text("Captured copy")
        capture = Capture.objects.get(source=reachable)
        expect(page.locator("#capture-sha256")).to_have_text(capture.sha256)
        passage = "19 vessels waiting outside Odesa"
        start = capture.text.index(passage)
        page.evaluate(
            """([start, end]) => {
              const node = document.querySelector('#capture-text .seg').firstChild;
              const units = (n) => Array.from(node.data).slice(0, n).join('').length;
              const range = document.createRange();
              range.setStart(node, units(start));
              range.setEnd(node, units(end));
              const selection = window.getSelection();
              selection.removeAllRanges();
              selection.addRange(range);
            }""",
            [start, start + len(passage)],
        )
        page.get_by_role("button", name="Quote as excerpt").click()
        expect(page.locator("#capture-text .quoted")).to_have_text(passage)
        page.screenshot(path=str(artifacts / "capture-page.png"), full_page=True)
    reachable.refresh_from_db()
    capture.refresh_from_db()
    assert reachable.excerpt == passage
    assert (capture.excerpt_state, capture.excerpt_start) == (ExcerptState.SELECTED, start)
