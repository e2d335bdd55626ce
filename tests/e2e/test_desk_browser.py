"""The reviewer's desk in a real browser: mark claims by dragging the mouse, verdicts from the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from annotations import articles, claims
from annotations.models import Claim, EntityMention, Verdict

pytestmark = pytest.mark.django_db(transaction=True)

SENTENCE = "Russia has the advantage, but we are doing everything we can"

# Where a code-point range of the stored text is on screen: the left edge of its first character
# and the right edge of its last one. Independent of desk.js, which maps the other way.
CHAR_BOXES = """([start, end]) => {
  const segs = Array.from(document.querySelectorAll('#article-text .seg'));
  function charRect(offset) {
    const seg = segs.find((s) => +s.dataset.start <= offset && offset < +s.dataset.end);
    const node = seg.firstChild;
    const before = Array.from(node.data).slice(0, offset - +seg.dataset.start).join('');
    const units = before.length;  // UTF-16 units before the character
    const width = node.data.codePointAt(units) > 0xffff ? 2 : 1;
    const range = document.createRange();
    range.setStart(node, units);
    range.setEnd(node, units + width);
    const r = range.getClientRects()[0];
    return {left: r.left, right: r.right, y: r.top + r.height / 2};
  }
  const first = charRect(start), last = charRect(end - 1);
  return {x1: first.left + 1, y1: first.y, x2: last.right - 1, y2: last.y};
}"""


def log_in(page, username: str = "author", password: str = "pw-for-tests-1") -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Projects")


def drag_select(page, start: int, end: int) -> None:
    """Select text[start:end] by pressing the mouse before its first character and dragging."""
    page.locator(f'#article-text .seg[data-start="{start}"], #article-text .seg').first.scroll_into_view_if_needed()
    page.evaluate(
        "([s]) => { const seg = Array.from(document.querySelectorAll('#article-text .seg'))"
        ".find((x) => +x.dataset.start <= s && s < +x.dataset.end); seg.scrollIntoView({block: 'center'}); }",
        [start],
    )
    box = page.evaluate(CHAR_BOXES, [start, end])
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=5)
    page.mouse.move(box["x2"], box["y2"], steps=10)
    page.mouse.up()


def mark_claim(
    page, start: int, end: int, *, claimant: str, verdict: str, screenshot: str = "", with_key: bool = False
) -> None:
    drag_select(page, start, end)
    popover = page.locator("#mark-popover [data-action=mark]")
    expect(popover).to_be_visible()
    if screenshot:
        page.screenshot(path=screenshot.replace(".png", "-popover.png"))
    if with_key:
        page.keyboard.press("c")
    else:
        popover.click()
    form = page.locator("#claim-form")
    expect(form).to_be_visible()
    form.locator("[name=claimant]").fill(claimant)
    form.locator("[name=verdict]").select_option(verdict)
    if screenshot:
        page.screenshot(path=screenshot)
    form.locator("button[type=submit]").click()
    expect(page.locator("#claim-form")).to_have_count(0)
    # The answer's cards and highlights are swapped in after the form goes (htmx settles them a
    # moment later): a click on a card before then can land on an element being replaced and be
    # lost (seen once in CI, on a loaded machine).
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def test_it_marks_a_claim_by_dragging_with_a_source_and_keeps_it_after_reload(page, author, article, artifacts):
    log_in(page)
    page.click("text=Newsroom")
    page.screenshot(path=str(artifacts / "article-list.png"))
    page.click("text=Seed article")
    expected_start = article.text.index(SENTENCE)
    expected_end = expected_start + len(SENTENCE)

    mark_claim(
        page,
        expected_start,
        expected_end,
        claimant="Gen. Oleksiy Gromov",
        verdict="unverifiable",
        screenshot=str(artifacts / "mark-claim.png"),
    )
    claim = Claim.objects.get(article=article)
    assert (claim.start, claim.end, claim.quote) == (expected_start, expected_end, SENTENCE)
    assert claim.claimant == "Gen. Oleksiy Gromov"
    assert claim.verdict == Verdict.UNVERIFIABLE
    assert claim.created_by == author

    card = page.locator(f"#claim-{claim.pk}")
    card.get_by_role("button", name="Add source").click()
    source_form = card.locator("form.source-form")
    source_form.locator("[name=url]").fill("https://www.cbc.ca/news/world/ukraine-russia-luhansk-1.6466814")
    source_form.locator("[name=title]").fill("CBC News report of the briefing")
    source_form.locator("[name=stance]").select_option("context")
    source_form.locator("button[type=submit]").click()
    expect(card.locator(".sources a").first).to_have_text("CBC News report of the briefing")
    assert claim.sources.get().stance == "context"

    # As if extraction had run: entity highlights inside, around and next to the claim.
    for name, label in [("Oleksiy Gromov", "PERSON"), ("Russia", "GPE"), ("Luhansk", "GPE"), ("Iskander", "PRODUCT")]:
        for match in re.finditer(re.escape(name), article.text):
            EntityMention.objects.create(
                article=article, start=match.start(), end=match.end(), text=name, label=label, model="test"
            )
    page.reload()
    highlighted = page.evaluate(
        """(id) => Array.from(document.querySelectorAll(`#article-text .seg[data-claims~="${id}"]`))
             .map((s) => [+s.dataset.start, +s.dataset.end, s.textContent])""",
        str(claim.pk),
    )
    assert highlighted[0][0] == expected_start and highlighted[-1][1] == expected_end
    assert "".join(text for _, _, text in highlighted) == SENTENCE
    expect(page.locator(f"#claim-{claim.pk} .badge.verdict-unverifiable")).to_have_text("Unverifiable")
    expect(page.locator(f"#claim-{claim.pk} .sources")).to_contain_text("CBC News report of the briefing")
    page.keyboard.press("j")
    page.screenshot(path=str(artifacts / "article.png"))
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=str(artifacts / "article-1440.png"))
    page.set_viewport_size({"width": 1024, "height": 768})
    page.screenshot(path=str(artifacts / "article-1024.png"))


EMOJI_TEXT = (
    "🎉🎉 Le café du coin said naïve things.\n"
    "Then 👍🏽 the café owner said prices rose 🚀 by 20% — déjà vu.\n"
    "\n"
    "A second paragraph, with 🇺🇦 flags and résumés."
)


@pytest.fixture
def emoji_article(project, author):
    return articles.create(project=project, title="Emoji and accents", text=EMOJI_TEXT, created_by=author)


@pytest.mark.parametrize(
    "quote",
    [
        "👍🏽 the café owner said prices rose 🚀",  # starts on an emoji with a skin-tone modifier
        "café owner said prices rose 🚀 by 20% — déjà vu",  # ends on an accent, emoji inside
        "naïve things.\nThen 👍🏽 the café",  # across paragraphs
        "vu.\n\nA second paragraph, with 🇺🇦",  # across an empty line, ends on a flag
    ],
)
def test_it_gives_exact_code_point_offsets_around_emoji_and_accents(page, author, emoji_article, quote):
    log_in(page)
    page.goto(f"/p/{emoji_article.project.slug}/articles/{emoji_article.pk}/")
    start = emoji_article.text.index(quote)
    mark_claim(page, start, start + len(quote), claimant="Someone", verdict="mixed", with_key=True)
    claim = Claim.objects.get(article=emoji_article)
    assert (claim.start, claim.end) == (emoji_article.text.index(quote), emoji_article.text.index(quote) + len(quote))
    assert claim.quote == quote
    page.reload()
    rendered = page.evaluate(
        """(id) => Array.from(document.querySelectorAll(`#article-text .seg[data-claims~="${id}"]`))
             .map((s) => s.textContent).join('\\n')""",
        str(claim.pk),
    )
    assert rendered.replace("\n", "") == quote.replace("\n", "")


def test_it_moves_between_claims_and_sets_verdicts_from_the_keyboard(page, author, article, artifacts):
    text = article.text
    marked = []
    for quote in ["Russia had the upper hand", SENTENCE, "Ukraine had observed Russia moving Iskander missile systems"]:
        start = text.index(quote)
        marked.append(claims.create(article=article, by=author, start=start, end=start + len(quote), quote=quote))
    log_in(page)
    page.goto(f"/p/{article.project.slug}/articles/{article.pk}/")
    page.keyboard.press("j")
    expect(page.locator(f"#claim-{marked[0].pk}")).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator(f"#claim-{marked[2].pk}")).to_be_focused()
    page.keyboard.press("k")
    second = page.locator(f"#claim-{marked[1].pk}")
    expect(second).to_be_focused()
    expect(page.locator(f'#article-text .seg.active[data-claims~="{marked[1].pk}"]').first).to_be_visible()

    page.keyboard.press("7")  # the 7th verdict: unverifiable
    expect(second.locator(".badge.verdict-unverifiable")).to_be_visible()
    assert Claim.objects.get(pk=marked[1].pk).verdict == Verdict.UNVERIFIABLE
    expect(page.locator(f"#claim-{marked[1].pk}")).to_be_focused()
    page.keyboard.press("1")
    expect(second.locator(".badge.verdict-true")).to_be_visible()
    assert Claim.objects.get(pk=marked[1].pk).verdict == Verdict.TRUE
    assert Claim.objects.get(pk=marked[0].pk).verdict == ""

    page.keyboard.press("e")
    expect(second.locator("form.panel-form [name=rationale]")).to_be_visible()
    second.locator("[name=rationale]").fill("Confirmed by the briefing transcript.")
    page.screenshot(path=str(artifacts / "edit-claim.png"))
    second.locator("[name=rationale]").press("Tab")
    page.keyboard.press("Escape")
    expect(second.locator("form.panel-form")).to_have_count(0)

    page.keyboard.press("?")
    expect(page.locator("dialog#shortcuts")).to_be_visible()
    page.screenshot(path=str(artifacts / "shortcuts.png"))
    page.keyboard.press("Escape")
    expect(page.locator("dialog#shortcuts")).to_be_hidden()


def test_it_moves_a_claim_by_reselecting_and_deletes_it_after_confirmation(page, author, article):
    old = "Russia had the upper hand"
    start = article.text.index(old)
    claim = claims.create(article=article, by=author, start=start, end=start + len(old))
    log_in(page)
    page.goto(f"/p/{article.project.slug}/articles/{article.pk}/")
    card = page.locator(f"#claim-{claim.pk}")
    card.get_by_role("button", name="Move span").click()
    new_start = article.text.index(SENTENCE)
    drag_select(page, new_start, new_start + len(SENTENCE))
    expect(page.locator("#mark-popover [data-action=move]")).to_be_visible()
    page.keyboard.press("m")
    expect(card.locator(".quote")).to_have_text(SENTENCE)
    claim.refresh_from_db()
    assert (claim.start, claim.end, claim.quote) == (new_start, new_start + len(SENTENCE), SENTENCE)
    assert page.locator(f'#article-text .seg[data-claims~="{claim.pk}"]').first.get_attribute("data-start") == str(
        new_start
    )

    card.get_by_role("button", name="Delete").click()
    confirm = card.locator("form.confirm")
    expect(confirm).to_contain_text("Delete this claim?")
    confirm.get_by_role("button", name="Delete claim").click()
    expect(page.locator(f"#claim-{claim.pk}")).to_have_count(0)
    expect(page.locator("#article-text .seg.claim")).to_have_count(0)
    assert not Claim.objects.filter(pk=claim.pk).exists()


def test_it_measures_a_triple_clicked_paragraph_and_element_level_selections(page, author, emoji_article):
    log_in(page)
    page.goto(f"/p/{emoji_article.project.slug}/articles/{emoji_article.pk}/")
    line = EMOJI_TEXT.split("\n")[1]
    page.locator("#article-text .para").nth(1).click(click_count=3)
    expect(page.locator("#mark-popover [data-action=mark]")).to_be_visible()
    start = emoji_article.text.index(line)
    assert page.evaluate("window.deskMeasureSelection()") == {"start": start, "end": start + len(line), "quote": line}
    # A selection whose ends sit on elements, not text: whole first paragraph through the empty line.
    measured = page.evaluate(
        """() => {
          const paras = document.querySelectorAll('#article-text .para');
          const range = document.createRange();
          range.setStart(paras[0], 0);
          range.setEnd(paras[2], 0);
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          return window.deskMeasureSelection();
        }"""
    )
    expected = EMOJI_TEXT.split("\n\n")[0]
    assert measured == {"start": 0, "end": len(expected), "quote": expected}
