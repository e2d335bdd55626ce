"""A long article's claims in a real browser: stubs become full cards as they scroll in or get the focus."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from annotations import claims
from annotations.models import Claim, Verdict
from tests.e2e.test_desk_browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def many(article, author, settings) -> list[Claim]:
    settings.DESK_FULL_CARDS = 3
    settings.DESK_CARD_CHUNK = 4
    step = len(article.text) // 15
    return [claims.create(article=article, by=author, start=n * step, end=n * step + 12) for n in range(14)]


def test_stubs_fill_in_as_they_scroll_into_view(page, article, many):
    log_in(page)
    url = f"/p/{article.project.slug}/articles/{article.pk}/"
    # As the server sends it: 3 full cards and 11 stubs (the page starts filling those near the
    # viewport at once, so the count in the live page is already lower).
    assert page.request.get(url).text().count('class="claim-card stub') == 11
    page.goto(url)
    page.locator(f"#claim-{many[-1].pk}").scroll_into_view_if_needed()
    expect(page.locator(".claim-card.stub")).to_have_count(0)
    expect(page.locator(f"#claim-{many[-1].pk} form.quick")).to_have_count(1)
    expect(page.locator(".claim-card")).to_have_count(14)


def test_a_highlight_of_a_stub_focuses_its_full_card_and_the_keys_work(page, article, many):
    log_in(page)
    page.goto(f"/p/{article.project.slug}/articles/{article.pk}/")
    target = many[9]
    page.locator(f'#article-text .seg[data-claims~="{target.pk}"]').first.click()
    card = page.locator(f"#claim-{target.pk}")
    expect(card).not_to_have_class(re.compile(r"\bstub\b"))
    expect(card.locator("form.quick")).to_have_count(1)
    expect(card).to_be_focused()
    page.keyboard.press("1")
    expect(card.locator(".badge.verdict-true")).to_be_visible()
    assert Claim.objects.get(pk=target.pk).verdict == Verdict.TRUE
    # j walks on from there, filling the next stub as it goes.
    page.keyboard.press("j")
    following = page.locator(f"#claim-{many[10].pk}")
    expect(following).to_be_focused()
    expect(following.locator("form.quick")).to_have_count(1)
