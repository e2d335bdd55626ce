"""People correct entity mentions: relabel, remove, add by selection; corrections survive
re-extraction and the JSONL export marks them."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from annotations import articles, entities, extraction
from annotations.exports import ExportStream, parse_params
from annotations.models import EntityMention, ExtractionRun
from tests.test_exports import validate

pytestmark = pytest.mark.django_db


def extract(article) -> None:
    run = ExtractionRun.objects.create(article=article)
    assert extraction.run_extraction(article_id=article.pk, run_id=run.pk) is extraction.Outcome.DONE


def url(name, article) -> str:
    return reverse(name, args=[article.project.slug, article.pk])


@pytest.fixture
def extracted(article):
    extract(article)
    return article


def machine(article, label: str | None = None) -> EntityMention:
    found = EntityMention.objects.filter(article=article).exclude(model="")
    return (found.filter(label=label) if label else found).order_by("start").first()


# --- the owner module -------------------------------------------------------------------------


def test_a_relabelled_mention_keeps_the_models_label_and_survives_re_extraction(extracted, author):
    mention = machine(extracted, "PERSON") or machine(extracted)
    model_label = mention.label
    assert entities.relabel(article=extracted, mention_ids=[mention.pk], label="gpe", by=author) == 1
    mention.refresh_from_db()
    assert (mention.label, mention.original_label, mention.corrected_by) == ("GPE", model_label, author)

    extract(extracted)
    at_span = EntityMention.objects.filter(article=extracted, start=mention.start, end=mention.end)
    assert list(at_span.values_list("pk", "label")) == [(mention.pk, "GPE")]


def test_a_removed_mention_stays_removed_after_re_extraction(extracted, author):
    mention = machine(extracted)
    entities.remove(article=extracted, mention_ids=[mention.pk], by=author)
    assert not EntityMention.objects.filter(pk=mention.pk).exists()  # hidden everywhere
    assert EntityMention.all_mentions.get(pk=mention.pk).removed_at is not None

    extract(extracted)
    overlapping = EntityMention.objects.filter(article=extracted, start__lt=mention.end, end__gt=mention.start)
    assert not overlapping.exists()


def test_an_added_mention_survives_and_the_models_overlapping_one_is_dropped(extracted, editor):
    mention = machine(extracted)
    added = entities.add(
        article=extracted, start=mention.start, end=mention.end - 1, label="LOC", by=editor
    )  # overlaps the model's span
    assert (added.model, added.corrected_by, added.text) == (
        "",
        editor,
        extracted.text[mention.start : mention.end - 1],
    )

    extract(extracted)
    overlapping = EntityMention.objects.filter(article=extracted, start__lt=mention.end, end__gt=mention.start)
    assert list(overlapping.values_list("pk", flat=True)) == [added.pk]


def test_adding_checks_the_label_the_span_and_duplicates(extracted, author):
    mention = machine(extracted)
    with pytest.raises(ValidationError) as bad_label:
        entities.add(article=extracted, start=0, end=5, label="CITY", by=author)
    assert "label" in bad_label.value.message_dict
    with pytest.raises(ValidationError) as bad_quote:
        entities.add(article=extracted, start=0, end=5, quote="nope!", label="GPE", by=author)
    assert "quote" in bad_quote.value.message_dict
    with pytest.raises(ValidationError) as twice:
        entities.add(article=extracted, start=mention.start, end=mention.end, label="GPE", by=author)
    assert "start" in twice.value.message_dict


def test_only_members_correct(extracted, outsider):
    with pytest.raises(PermissionDenied):
        entities.relabel(article=extracted, mention_ids=[machine(extracted).pk], label="GPE", by=outsider)


def test_a_removed_persons_mention_is_deleted(article, author):
    added = entities.add(article=article, start=0, end=4, label="ORG", by=author)
    entities.remove(article=article, mention_ids=[added.pk], by=author)
    assert not EntityMention.all_mentions.filter(pk=added.pk).exists()


# --- the desk -----------------------------------------------------------------------------------


def test_the_desk_offers_corrections_and_marks_them(client_for, extracted, author):
    mention = machine(extracted)
    entities.relabel(article=extracted, mention_ids=[mention.pk], label="NORP", by=author)
    html = client_for(author).get(url("article-detail", extracted)).content.decode()
    assert f'action="{url("entity-correct", extracted)}"' in html
    assert 'class="badge corrected-by-person"' in html
    assert 'data-action="mark-entity"' in html


def test_relabel_and_remove_through_the_page(client_for, extracted, author):
    client = client_for(author)
    first, second = EntityMention.objects.filter(article=extracted).order_by("start")[:2]
    response = client.post(
        url("entity-correct", extracted), {"action": "relabel", "label": "GPE", "mention": [first.pk]}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#entity-details")
    first.refresh_from_db()
    assert first.label == "GPE"
    assert (
        client.post(url("entity-correct", extracted), {"action": "remove", "mention": [second.pk]}).status_code == 302
    )
    assert not EntityMention.objects.filter(pk=second.pk).exists()


def test_the_page_names_the_field_of_a_bad_correction(client_for, extracted, author):
    client = client_for(author)
    mention = machine(extracted)
    bad_label = client.post(
        url("entity-correct", extracted), {"action": "relabel", "label": "X", "mention": [mention.pk]}
    )
    assert bad_label.status_code == 400
    assert "label:" in bad_label.content.decode()
    unknown = client.post(url("entity-correct", extracted), {"action": "remove", "mention": ["999999"]})
    assert unknown.status_code == 400
    assert "mentions:" in unknown.content.decode()
    assert client.post(url("entity-correct", extracted), {"action": "drop", "mention": [mention.pk]}).status_code == 400


def test_a_mention_of_another_article_cannot_be_corrected(client_for, extracted, author, project):
    other = articles.create(project=project, title="Other", text="Kyiv is a city.", created_by=author)
    theirs = entities.add(article=other, start=0, end=4, label="GPE", by=author)
    response = client_for(author).post(url("entity-correct", extracted), {"action": "remove", "mention": [theirs.pk]})
    assert response.status_code == 400
    assert EntityMention.objects.filter(pk=theirs.pk).exists()


def test_add_by_selection_through_the_page(client_for, article, author):
    client = client_for(author)
    start = article.text.index("Russia")
    span = {"start": start, "end": start + 6, "quote": "Russia"}
    form = client.get(url("entity-add", article), span, HTTP_HX_REQUEST="true")
    assert form.status_code == 200
    assert 'id="entity-form"' in form.content.decode()
    response = client.post(url("entity-add", article), {**span, "label": "GPE"})
    assert response.status_code == 302
    added = EntityMention.objects.get(article=article, start=start)
    assert (added.label, added.model, added.corrected_by) == ("GPE", "", author)
    stale = client.post(url("entity-add", article), {**span, "quote": "Prussia", "label": "GPE"})
    assert stale.status_code == 400
    assert "quote" in stale.content.decode()


def test_outsiders_get_404_on_entity_pages(client_for, extracted, outsider):
    client = client_for(outsider)
    mention = machine(extracted)
    assert (
        client.post(url("entity-correct", extracted), {"action": "remove", "mention": [mention.pk]}).status_code == 404
    )
    assert (
        client.post(url("entity-add", extracted), {"start": 0, "end": 3, "quote": "x", "label": "GPE"}).status_code
        == 404
    )
    assert EntityMention.objects.filter(pk=mention.pk).exists()


# --- the JSONL export ---------------------------------------------------------------------------


def test_the_jsonl_export_marks_corrections(extracted, author):
    relabelled, removed = EntityMention.objects.filter(article=extracted).exclude(model="").order_by("start")[:2]
    model_label = relabelled.label
    entities.relabel(article=extracted, mention_ids=[relabelled.pk], label="LOC", by=author)
    entities.remove(article=extracted, mention_ids=[removed.pk], by=author)
    added = entities.add(article=extracted, start=0, end=3, label="ORG", by=author)
    params = parse_params(
        {"format": "jsonl", "include_unreviewed": "1", "include_mentions": "1"}, project=extracted.project
    )
    row = json.loads("".join(ExportStream(extracted.project, params).iter_text()).splitlines()[0])
    validate(row, "jsonl")
    by_id = {m["id"]: m for m in row["mentions"]}
    assert by_id[relabelled.pk] | {"id": 0} == {
        "id": 0,
        "start": relabelled.start,
        "end": relabelled.end,
        "text": relabelled.text,
        "label": "LOC",
        "model": relabelled.model,
        "corrected": True,
        "original_label": model_label,
    }
    assert by_id[added.pk]["corrected"] is True and by_id[added.pk]["model"] == ""
    assert removed.pk not in by_id
    untouched = [m for m in row["mentions"] if m["id"] not in (relabelled.pk, added.pk)]
    assert untouched and not any(m["corrected"] for m in untouched)
