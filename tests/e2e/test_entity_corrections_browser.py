"""Entity corrections in a real browser: mark an entity the model missed by selecting it, then
relabel it from the entity list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotations.models import EntityMention
from tests.e2e.test_desk_browser import drag_select, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reviewer_marks_an_entity_by_selection_and_relabels_it(page, author, article):
    name = "Oleksiy Gromov"
    start = article.text.index(name)
    log_in(page, "author")
    page.goto(f"/p/{article.project.slug}/articles/{article.pk}/")
    drag_select(page, start, start + len(name))
    page.locator("#mark-popover [data-action=mark-entity]").click()
    form = page.locator("#entity-form")
    expect(form).to_contain_text(name)
    form.locator("[name=label]").select_option("ORG")
    form.get_by_role("button", name="Add entity").click()
    expect(page.locator(".messages")).to_contain_text(f"“{name}” marked as ORG.")
    mention = EntityMention.objects.get(article=article)
    assert (mention.start, mention.end, mention.label, mention.corrected_by) == (
        start,
        start + len(name),
        "ORG",
        author,
    )

    page.locator("#entity-details > summary").click()
    row = page.locator(".entity-row", has_text=name)
    expect(row.locator(".corrected-by-person")).to_be_visible()
    row.locator(".entity-fix > summary").click()
    row.locator("select[name=label]").select_option("PERSON")
    row.get_by_role("button", name="Relabel").click()
    expect(page.locator(".messages")).to_contain_text("1 mention relabelled.")
    mention.refresh_from_db()
    assert mention.label == "PERSON"
