"""ner.py on the real spaCy model: entities of the seed article with exact code-point offsets."""

from __future__ import annotations

import pytest
from django.conf import settings

from annotations import ner


@pytest.fixture(scope="module")
def nlp():
    return ner.load(settings.NER_MODEL)


def extract(nlp, text: str, **limits: int) -> list[ner.Mention]:
    options = {"max_chars": settings.NER_MAX_TEXT_CHARS, "batch_chars": settings.NER_BATCH_CHARS, **limits}
    return ner.extract(nlp, text, **options)


def test_it_finds_the_people_places_and_organisations_of_the_seed_article(nlp, seed_text):
    mentions = extract(nlp, seed_text)
    found = {(m.label, m.text) for m in mentions}
    assert {("PERSON", "Oleksiy Gromov"), ("PERSON", "Serhiy Gaidai"), ("ORG", "Reuters"), ("GPE", "Luhansk")} <= found
    for m in mentions:
        assert seed_text[m.start : m.end] == m.text
    gromov = next(m for m in mentions if m.text == "Oleksiy Gromov")
    assert (gromov.start, gromov.end) == (seed_text.index("Oleksiy Gromov"), seed_text.index("Oleksiy Gromov") + 14)
    luhansk_offsets = [m.start for m in mentions if (m.label, m.text) == ("GPE", "Luhansk")]
    assert luhansk_offsets[0] == seed_text.index("Luhansk")


def test_it_counts_offsets_in_code_points_after_astral_characters(nlp):
    text = "𝐀𝐁 🙂 Yesterday Oleksiy Gromov met reporters from Reuters in Kyiv."
    mentions = extract(nlp, text)
    assert ("PERSON", "Oleksiy Gromov") in {(m.label, m.text) for m in mentions}
    for m in mentions:
        assert text[m.start : m.end] == m.text


def test_it_runs_only_ner_and_gets_the_same_entities_as_the_full_pipeline(nlp, seed_text):
    import spacy

    assert nlp.pipe_names == ["ner"]
    full = spacy.load(settings.NER_MODEL)
    assert len(full.pipe_names) > 1
    expected = [(e.start_char, e.end_char, e.label_, e.text) for e in full(seed_text).ents]
    assert [tuple(m) for m in extract(nlp, seed_text)] == expected


def test_it_loads_the_pipeline_once_per_process():
    assert ner.load(settings.NER_MODEL) is ner.load(settings.NER_MODEL)


def test_it_records_the_model_name_and_version(nlp):
    info = ner.model_info(nlp)
    assert info.name == settings.NER_MODEL
    assert info.version == "3.8.0"


def test_chunks_end_at_paragraph_breaks_and_join_back_to_the_text(seed_text):
    pieces = list(ner.chunks(seed_text, 1000))
    assert "".join(piece for _offset, piece in pieces) == seed_text
    assert all(len(piece) <= 1000 for _offset, piece in pieces)
    assert all(piece.endswith("\n") for _offset, piece in pieces[:-1])
    assert [offset for offset, _piece in pieces] == [sum(len(p) for _o, p in pieces[:i]) for i in range(len(pieces))]


def test_chunks_cut_a_paragraph_longer_than_the_batch_at_a_space():
    pieces = [piece for _offset, piece in ner.chunks("aaaa bbbb cccc", 6)]
    assert pieces == ["aaaa ", "bbbb ", "cccc"]
    assert [piece for _offset, piece in ner.chunks("abcdefgh", 3)] == ["abc", "def", "gh"]


def test_a_long_text_is_processed_in_batches_with_offsets_shifted_back(nlp, seed_text):
    text = seed_text + "\n" + seed_text
    # A batch fits one copy and its newline, so the text goes through the model in two pieces.
    batched = extract(nlp, text, batch_chars=len(seed_text) + 1)
    assert len(list(ner.chunks(text, len(seed_text) + 1))) == 2
    for m in batched:
        assert text[m.start : m.end] == m.text
    second = len(seed_text) + 1
    first_half = [tuple(m) for m in batched if m.end <= len(seed_text)]
    second_half = [(m.start - second, m.end - second, m.label, m.text) for m in batched if m.start >= second]
    # The first piece keeps its newline, which the model sees as one more token.
    assert first_half == [tuple(m) for m in extract(nlp, seed_text + "\n")]
    assert second_half == [tuple(m) for m in extract(nlp, seed_text)]


def test_a_text_over_the_limit_is_refused_with_a_clear_error(nlp):
    with pytest.raises(ner.TextTooLong, match="has 11 characters; entity extraction is limited to 10"):
        extract(nlp, "x" * 11, max_chars=10)
