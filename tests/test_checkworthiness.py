"""Check-worthiness: the sentence features and the feature-only scorer (pure), and the learner."""

from __future__ import annotations

import pytest
from django.conf import settings

from annotations import checkworthiness as cw
from annotations import ner


@pytest.fixture(scope="module")
def nlp():
    return ner.load(settings.NER_MODEL, sentences=True, tags=True)


def sentences_of(nlp, text: str) -> list[tuple[str, dict[str, float]]]:
    found: list[cw.Sentence] = []
    ner.extract(
        nlp,
        text,
        max_chars=10**6,
        batch_chars=10**5,
        on_doc=lambda doc, offset: found.extend(cw.sentences(doc, offset)),
    )
    return [(text[s.start : s.end], s.features) for s in found]


def test_it_splits_sentences_at_line_breaks_with_exact_code_point_offsets(nlp):
    text = "Héllo 🌍 wörld, said Anna.\nThe rate rose to 5 percent in 2020. Really?\n\nNext line"
    found: list[cw.Sentence] = []
    ner.extract(nlp, text, max_chars=10**6, batch_chars=10**5, on_doc=lambda d, o: found.extend(cw.sentences(d, o)))
    quotes = [text[s.start : s.end] for s in found]
    assert quotes == ["Héllo 🌍 wörld, said Anna.", "The rate rose to 5 percent in 2020.", "Really?", "Next line"]


def test_it_keeps_offsets_right_across_pieces_of_a_long_text(nlp):
    text = "\n".join(f"Line {n} says unemployment fell by {n} percent." for n in range(50))
    found: list[cw.Sentence] = []
    ner.extract(nlp, text, max_chars=10**6, batch_chars=300, on_doc=lambda d, o: found.extend(cw.sentences(d, o)))
    assert [text[s.start : s.end] for s in found] == text.split("\n")


def test_figures_comparisons_and_attribution_raise_the_score(nlp):
    (factual, features), (plain, _) = sentences_of(
        nlp,
        "Unemployment fell to 4 percent in 2019, the lowest rate in 50 years, the Labor Department said.\n"
        "Thank you all.",
    )
    assert features["number"] == features["percent"] == features["date"] == 1.0
    assert features["superlative"] == 1.0 and features["attribution"] == 1.0 and features["organisation"] == 1.0
    assert cw.feature_score(features) > 0.8 > cw.feature_score(sentences_of(nlp, plain)[0][1])


def test_hedges_and_questions_lower_the_score(nlp):
    [(_, claim)] = sentences_of(nlp, "Crime rose by 20 percent in Chicago last year.")
    [(_, hedged)] = sentences_of(nlp, "Maybe crime rose by 20 percent in Chicago last year.")
    [(_, question)] = sentences_of(nlp, "Did crime rise by 20 percent in Chicago last year?")
    assert hedged["hedge"] == 1.0 and question["question"] == 1.0
    assert cw.feature_score(claim) > cw.feature_score(hedged)
    assert cw.feature_score(claim) > cw.feature_score(question)


def test_comparatives_come_from_pos_tags_and_from_words_without_a_tagger(nlp):
    [(_, tagged)] = sentences_of(nlp, "Taxes are higher than in France.")
    assert tagged["comparative"] == 1.0
    untagged_nlp = ner.load(settings.NER_MODEL, sentences=True, tags=False)
    [(_, untagged)] = sentences_of(untagged_nlp, "Taxes are higher than in France.")
    assert untagged["comparative"] == 1.0


def examples(n: int = 40) -> list[cw.Example]:
    rows = []
    for i in range(n):
        rows.append(cw.Example(f"The deficit grew by {i} billion dollars", {"number": 1.0, "money": 1.0}, True))
        rows.append(cw.Example(f"Thank you so much, friend number {i}", {"number": 1.0}, False))
    return rows


def test_the_learner_separates_what_it_was_taught_and_round_trips_through_json():
    trained = cw.train(examples())
    assert trained.size == 80 and trained.positives == 40
    stored = cw.Model.from_json(trained.model.to_json())
    assert stored == trained.model
    high, low = stored.scores(
        ["The deficit grew by a trillion dollars", "Thank you so much, friend"], [{"number": 1.0, "money": 1.0}, {}]
    )
    assert high > 0.5 > low


def test_a_stored_model_of_another_feature_version_is_ignored():
    data = cw.train(examples()).model.to_json()
    assert cw.Model.from_json({**data, "feature_version": "old"}) is None
    assert cw.Model.from_json({"hashed": "not a model"}) is None


def test_training_refuses_without_both_kinds_of_example():
    with pytest.raises(cw.NotEnoughDecisions, match="at least 5"):
        cw.train([e for e in examples() if e.label])


def test_sentence_boundaries_leave_the_entities_as_they_were(seed_text):
    plain = ner.load(settings.NER_MODEL)
    with_sentences = ner.load(settings.NER_MODEL, sentences=True)
    limits = {"max_chars": 10**6, "batch_chars": 10**5}
    assert ner.extract(plain, seed_text, **limits) == ner.extract(with_sentences, seed_text, **limits)
