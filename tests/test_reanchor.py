"""Re-anchoring claims when an article's text is corrected: the pure placement and the revision service."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from annotations import articles
from annotations import claims as claimlib
from annotations import text as textlib
from annotations.models import AnchorStatus, ArticleRevision, Claim, EntityMention, ExtractionRun

CLAIM = "Russia has the advantage, but we are doing everything we can"


def stored(text: str, quote: str, occurrence: int = 0) -> textlib.StoredSpan:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    span = textlib.check_span(text, start, start + len(quote))
    return textlib.StoredSpan(span.start, span.end, span.quote, span.prefix, span.suffix)


def place(old: str, new: str, span: textlib.StoredSpan) -> textlib.Anchor:
    return textlib.reanchor_all(old, new, [span])[0]


@pytest.fixture
def seed(seed_text) -> str:
    return textlib.normalise(seed_text)


# --- the pure placement ---------------------------------------------------------------------------


def test_an_insertion_before_the_claim_moves_it_by_the_inserted_length(seed):
    new = "Editor's note: this story has been updated.\n" + seed
    anchor = place(seed, new, stored(seed, CLAIM))
    assert (anchor.method, anchor.confidence) == ("exact", 1.0)
    assert anchor.start == seed.index(CLAIM) + len("Editor's note: this story has been updated.\n")
    assert new[anchor.start : anchor.end] == CLAIM


def test_an_insertion_just_before_the_claim_in_its_own_paragraph_keeps_it_confident(seed):
    new = seed.replace("“" + CLAIM, "“Frankly, and off the record: " + CLAIM)
    anchor = place(seed, new, stored(seed, CLAIM))
    assert new[anchor.start : anchor.end] == CLAIM
    assert anchor.is_confident()


def test_an_edit_inside_the_claim_finds_the_edited_span(seed):
    new = seed.replace("Russia has the advantage, but", "Russia has a clear advantage, but")
    anchor = place(seed, new, stored(seed, CLAIM))
    assert anchor.method == "fuzzy"
    assert new[anchor.start : anchor.end] == "Russia has a clear advantage, but we are doing everything we can"
    assert anchor.is_confident()


def test_a_deleted_sentence_is_not_confidently_placed(seed):
    sentence = "“Russia has the advantage, but we are doing everything we can,” Gen. Oleksiy Gromov said.\n"
    assert sentence in seed
    anchor = place(seed, seed.replace(sentence, ""), stored(seed, CLAIM))
    assert not anchor.is_confident()
    assert anchor.confidence < 0.6


def test_a_short_claim_whose_sentence_was_deleted_is_not_trusted_to_a_match_elsewhere(seed):
    line = next(line for line in seed.split("\n") if line.startswith("Gromov also said"))
    span = stored(seed, "Iskander missile systems")
    new = seed.replace(line + "\n", "") + "\nAnalysts doubt that any Iskander missile systems were moved at all."
    anchor = place(seed, new, span)
    assert new[anchor.start : anchor.end] == "Iskander missile systems", "the best guess is the other mention"
    assert not anchor.is_confident()


def test_a_copy_that_was_already_elsewhere_does_not_inherit_a_claim_whose_passage_was_deleted():
    sentence = "The port has been closed since March, the minister said on Monday."
    old = f"Intro.\n{sentence}\nMiddle paragraph.\n{sentence}\nEnd."
    span = stored(old, sentence)  # the first copy
    new = old.replace(f"Intro.\n{sentence}\n", "Intro.\n")
    anchor = place(old, new, span)
    assert new[anchor.start : anchor.end] == sentence, "the other copy is still the best guess to show"
    assert not anchor.is_confident()
    # Without the old-to-new map the same placement would look certain: the map is what tells.
    alone = textlib.reanchor(new, quote=span.quote, prefix=span.prefix, suffix=span.suffix, expected_start=7)
    assert alone.is_confident()


def test_a_duplicated_sentence_keeps_the_claim_on_its_own_copy(seed):
    lines = seed.split("\n")
    original = lines.index(next(line for line in lines if CLAIM in line))
    # The same sentence repeated earlier, as a pull quote at the top.
    new = "\n".join([lines[original], *lines])
    anchor = place(seed, new, stored(seed, CLAIM))
    assert new.count(CLAIM) == 2
    assert anchor.start == new.index(CLAIM, new.index(CLAIM) + 1), "must stay on the original, not the pull quote"
    assert anchor.is_confident()


def test_a_duplicated_sentence_later_in_the_text_does_not_attract_the_claim(seed):
    lines = seed.split("\n")
    original = lines.index(next(line for line in lines if CLAIM in line))
    new = "\n".join([*lines[: original + 3], lines[original], *lines[original + 3 :]])
    anchor = place(seed, new, stored(seed, CLAIM))
    assert anchor.start == new.index(CLAIM) == seed.index(CLAIM)
    assert anchor.is_confident()


def test_a_sentence_repeated_right_after_itself_keeps_the_claim_on_one_of_the_copies():
    old = "Intro.\nThe same line.\nOutro."
    new = "Intro.\nThe same line.\nThe same line.\nOutro."
    anchor = place(old, new, stored(old, "same line"))
    assert anchor.start in (new.index("same line"), new.rindex("same line"))
    assert new[anchor.start : anchor.end] == "same line"


def test_two_equally_good_places_are_not_trusted():
    new = "A: the claim. A: the claim. B."
    # A span known only by its quote, about as far from both copies: picking one would be a guess.
    anchor = textlib.reanchor(new, quote="the claim", prefix="", suffix="", expected_start=10)
    assert new[anchor.start : anchor.end] == "the claim"
    assert not anchor.is_confident()


def test_every_anchor_is_a_valid_span_of_the_new_text():
    old = "A claim about 25 battalions near Severodonetsk."
    for new in ["x", "Totally different.", "A claim about 25", "25 battalions"]:
        anchor = place(old, new, stored(old, "25 battalions near Severodonetsk"))
        assert 0 <= anchor.start < anchor.end <= len(new)


def test_the_offset_map_follows_line_and_character_edits():
    old = "one two three\nfour five\nsix"
    new = "zero\none TWO three\nfour five\nsix"
    offsets = textlib.OffsetMap(old, new)
    assert offsets.map(old.index("three")) == new.index("three")
    assert offsets.map(old.index("four")) == new.index("four")
    assert offsets.map(len(old)) == len(new)


# --- the revision service -------------------------------------------------------------------------


@pytest.fixture
def claims(article, author):
    def make(quote: str, **fields) -> Claim:
        start = article.text.index(quote)
        return claimlib.create(article=article, by=author, start=start, end=start + len(quote), **fields)

    return make


@pytest.mark.django_db
def test_revising_keeps_the_old_text_and_reanchors_every_claim(article, editor, claims):
    moved = claims(CLAIM, verdict="mostly_true")
    old_text = article.text
    new_text = "Editor's note: corrected the casualty figure.\n" + old_text
    result = articles.revise(article=article, new_text=new_text, user=editor)

    revision = ArticleRevision.objects.get(article=article)
    assert (revision.text, revision.text_sha256, revision.created_by) == (old_text, textlib.sha256(old_text), editor)
    article.refresh_from_db()
    assert article.text == new_text and article.text_sha256 == textlib.sha256(new_text)
    moved.refresh_from_db()
    assert article.text[moved.start : moved.end] == moved.quote == CLAIM
    assert moved.prefix == textlib.context(article.text, moved.start, moved.end)[0]
    assert (moved.anchor_status, moved.anchor_confidence, moved.version) == (AnchorStatus.ANCHORED, 1.0, 2)
    assert moved.verdict == "mostly_true"
    assert result.placed == [moved] and result.needs_attention == []
    # The move is in the claim's history, by the editor who corrected the text.
    latest = moved.history.order_by("-history_date", "-history_id").first()
    assert (latest.history_user, latest.start, latest.version) == (editor, moved.start, 2)
    assert latest.history_change_reason == "article text revised"


@pytest.mark.django_db
def test_a_claim_in_a_deleted_sentence_is_flagged_with_its_old_quote_never_dropped(article, editor, claims):
    kept = claims("At least four civilians were killed")
    lost = claims(CLAIM)
    sentence = next(line for line in article.text.split("\n") if CLAIM in line)
    result = articles.revise(article=article, new_text=article.text.replace(sentence + "\n", ""), user=editor)

    assert [c.pk for c in result.needs_attention] == [lost.pk]
    lost.refresh_from_db()
    kept.refresh_from_db()
    assert lost.anchor_status == AnchorStatus.NEEDS_ATTENTION
    assert lost.previous_quote == CLAIM
    assert lost.anchor_confidence < 0.8
    assert lost.article.text[lost.start : lost.end] == lost.quote, "the best guess is still a valid span"
    assert kept.anchor_status == AnchorStatus.ANCHORED and kept.quote == "At least four civilians were killed"
    assert list(Claim.objects.needs_attention()) == [lost]


@pytest.mark.django_db
def test_a_flagged_claim_is_looked_for_by_its_old_quote_in_the_next_revision(article, editor, claims):
    lost = claims(CLAIM)
    original = article.text
    sentence = next(line for line in original.split("\n") if CLAIM in line)
    articles.revise(article=article, new_text=original.replace(sentence + "\n", ""), user=editor)
    articles.revise(article=article, new_text=original, user=editor)
    lost.refresh_from_db()
    assert (lost.anchor_status, lost.quote, lost.previous_quote) == (AnchorStatus.ANCHORED, CLAIM, "")
    assert lost.start == original.index(CLAIM)
    assert ArticleRevision.objects.filter(article=article).count() == 2


@pytest.mark.django_db
def test_revising_reruns_extraction_and_drops_stale_machine_mentions(article, editor):
    gromov = article.text.index("Oleksiy Gromov")
    EntityMention.objects.create(article=article, start=gromov, end=gromov + 14, text="Oleksiy Gromov", label="PERSON",
                                 model="en_core_web_sm")  # fmt: skip
    person = EntityMention.objects.create(article=article, start=gromov, end=gromov + 14, text="Oleksiy Gromov",
                                          label="PERSON", model="")  # fmt: skip
    runs_before = ExtractionRun.objects.filter(article=article).count()
    articles.revise(article=article, new_text="New first line.\n" + article.text, user=editor)
    assert ExtractionRun.objects.filter(article=article, status="queued").count() == runs_before + 1
    assert list(EntityMention.objects.filter(article=article)) == [person]
    person.refresh_from_db()
    assert person.start == gromov + len("New first line.\n")


@pytest.mark.django_db
def test_an_unchanged_text_writes_no_revision(article, editor, claims):
    claim = claims(CLAIM)
    result = articles.revise(article=article, new_text=article.text + "\n\n", user=editor)
    assert not result.changed
    assert ArticleRevision.objects.count() == 0
    claim.refresh_from_db()
    assert claim.version == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("new_text", "message"),
    [("  \n ", "The article text is empty."), ("x" * 30, "The text has 30 characters; the limit is 20.")],
)
def test_a_bad_revision_is_refused_naming_the_text_and_writes_nothing(article, editor, settings, new_text, message):
    settings.MAX_ARTICLE_CHARS = 20
    with pytest.raises(ValidationError) as invalid:
        articles.revise(article=article, new_text=new_text, user=editor)
    assert invalid.value.message_dict == {"text": [message]}
    assert ArticleRevision.objects.count() == 0


@pytest.mark.django_db
def test_a_revision_based_on_an_old_text_is_refused(article, editor):
    stale_sha = article.text_sha256
    articles.revise(article=article, new_text="First correction.\n" + article.text, user=editor)
    with pytest.raises(articles.StaleText):
        articles.revise(article=article, new_text="Second.", user=editor, expected_sha256=stale_sha)
    assert ArticleRevision.objects.count() == 1


@pytest.mark.django_db
def test_placing_a_flagged_claim_clears_the_flag(article, editor, claims):
    lost = claims(CLAIM)
    sentence = next(line for line in article.text.split("\n") if CLAIM in line)
    articles.revise(article=article, new_text=article.text.replace(sentence, "Gromov conceded the point."),
                            user=editor)  # fmt: skip
    lost.refresh_from_db()
    assert lost.anchor_status == AnchorStatus.NEEDS_ATTENTION
    start = lost.article.text.index("Gromov conceded the point")
    placed = claimlib.place(claim=lost, by=editor, start=start, end=start + 25)
    assert (placed.anchor_status, placed.previous_quote, placed.quote) == ("anchored", "", "Gromov conceded the point")
    assert placed.version == lost.version + 1
