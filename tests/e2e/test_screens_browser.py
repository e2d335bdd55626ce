"""Screenshots of the main pages at a laptop's 1280×800 and a phone's 390×844, with the layout
checks that matter there: the first claim card in view without scrolling on the desk at
1280×800, and at 390 px nothing wider than the screen and "Log out" within reach."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotations import claims, extraction, review
from annotations.models import ExportJob, ExtractionRun
from tests.e2e.test_desk_browser import SENTENCE, log_in

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORTS = {"1280x800": (1280, 800), "390x844": (390, 844)}


@pytest.fixture
def worked_article(article, author, editor):
    """The seed article after extraction, with claims in several states and a source."""
    run = ExtractionRun.objects.create(article=article)
    extraction.run_extraction(article_id=article.pk, run_id=run.pk)
    start = article.text.index(SENTENCE)
    first = claims.create(article=article, by=author, start=start, end=start + len(SENTENCE), verdict="false")
    claims.add_source(
        claim=first,
        by=author,
        url="https://example.org/briefing",
        title="Briefing report",
        publisher="Example News",
        excerpt="Russia has the advantage, the general said.",
        archived_url="https://web.archive.org/web/2026/https://example.org/briefing",
        stance="refutes",
    )
    first = claims.move(claim=first, target="in_review", by=author)
    review.send_back(claim=first, by=editor, comment="Say which briefing, with its date.")
    other = article.text.index("Gromov also said")
    claims.create(article=article, by=author, start=other, end=other + 60, verdict="unverifiable")
    ExportJob.objects.create(
        project=article.project, format="csv", filters={"format": "csv", "include_unreviewed": True}
    )
    return article, first


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_main_pages_fit_the_screen(page, worked_article, artifacts, size):
    article, claim = worked_article
    width, height = VIEWPORTS[size]
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, "author")
    slug = article.project.slug
    pages = {
        "desk": f"/p/{slug}/articles/{article.pk}/",
        "review": f"/p/{slug}/claims/{claim.pk}/review/",
        "dashboard": f"/p/{slug}/dashboard/",
        "export": f"/p/{slug}/exports/",
    }
    for name, path in pages.items():
        page.goto(path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(artifacts / f"{name}-{size}.png"))
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} at {size} is {overflow}px wider than the screen"
        logout = page.get_by_role("button", name="Log out")
        expect(logout).to_be_visible()
        box = logout.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, f"Log out out of reach on {name}"
        if name == "desk" and size == "1280x800":
            card = page.locator(".claim-card").first
            expect(card).to_be_visible()
            top = card.bounding_box()
            # Its status line and the start of its quote are on screen without scrolling.
            assert top and top["y"] >= 0 and top["y"] + 60 <= height, f"first claim card at y={top}"
            expect(card.locator(".send-back-reason")).to_contain_text("Say which briefing")
        if name == "review":
            expect(page.locator("#claim-paragraph mark")).to_have_text(SENTENCE)
            expect(page.locator("#review-sources")).to_contain_text("Example News")
