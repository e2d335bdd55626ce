"""The pure offset module: the frame of reference for every span in the workbench."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations import text as textlib


def test_it_normalises_newlines_unicode_and_trailing_spaces():
    raw = "Cafe\u0301 opens  \r\nat noon\rtoday\t\n\n"
    assert textlib.normalise(raw) == "Café opens\nat noon\ntoday"


def test_it_keeps_inner_blank_lines_as_paragraph_breaks():
    assert textlib.normalise("one\n\ntwo\n") == "one\n\ntwo"


def test_it_is_idempotent():
    raw = "A\u0301 \r\n\r\nB  "
    once = textlib.normalise(raw)
    assert textlib.normalise(once) == once


def _normalise_plainly(text: str) -> str:
    """The rule with no shortcut: ``normalise`` skips the newline replacements when the text
    has no carriage return, and must give the same text."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(line.rstrip(" \t\u00a0") for line in text.split("\n")).strip("\n")


# Texts made of the characters the rule treats specially, so most examples hit an edge.
_EDGY_TEXT = st.lists(
    st.sampled_from(["a", "é", "e\u0301", " ", "\t", "\u00a0", "\n", "\r", "\r\n", "\u2028"]), max_size=40
).map("".join)


@given(_EDGY_TEXT)
def test_it_normalises_as_the_plain_rule(raw):
    assert textlib.normalise(raw) == _normalise_plainly(raw)


@pytest.mark.parametrize(
    "raw",
    ["plain\nlines", "ends in a space ", "ends in a tab\t", "nbsp\u00a0\nnext", "space \n\n", "\n\n  \n", "\r\n \r\n"],
)
def test_it_normalises_each_edge_as_the_plain_rule(raw):
    assert textlib.normalise(raw) == _normalise_plainly(raw)


def test_it_hashes_utf8():
    assert textlib.sha256("é") == "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c"
    assert textlib.sha256("a") == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"


def test_it_checks_a_span_and_returns_quote_and_context():
    text = "x" * 40 + "CLAIM" + "y" * 40
    span = textlib.check_span(text, 40, 45, "CLAIM")
    assert span.quote == "CLAIM"
    assert span.prefix == "x" * 32
    assert span.suffix == "y" * 32


def test_it_gives_short_context_at_the_edges():
    span = textlib.check_span("The end", 4, 7)
    assert (span.prefix, span.quote, span.suffix) == ("The ", "end", "")


@pytest.mark.parametrize(
    ("start", "end", "quote", "field", "message"),
    [
        (-1, 3, None, "start", "start must be 0 or more."),
        (3, 3, None, "end", "end must be greater than start."),
        (4, 2, None, "end", "end must be greater than start."),
        (0, 99, None, "end", "end must be at most the text length (7)."),
        (0, 3, "Thx", "quote", "quote does not match the text at 0:3 (the text there is 'The')."),
        ("0", 3, None, "start", "start must be a whole number."),
        (0, True, None, "end", "end must be a whole number."),
    ],
)
def test_it_rejects_bad_spans_naming_the_field(start, end, quote, field, message):
    with pytest.raises(textlib.SpanError) as caught:
        textlib.check_span("The end", start, end, quote)
    assert caught.value.field == field
    assert caught.value.message == message


def test_emoji_are_one_code_point_but_two_utf16_units():
    text = "Hi 👋 there"
    assert text.index("there") == 5
    assert textlib.codepoint_to_utf16(text, 5) == 6
    assert textlib.utf16_to_codepoint(text, 6) == 5
    span = textlib.check_span(text, 3, 4, "👋")
    assert span.quote == "👋"


def test_it_refuses_a_utf16_offset_inside_a_surrogate_pair():
    with pytest.raises(ValueError, match="surrogate"):
        textlib.utf16_to_codepoint("a👋b", 2)


def test_utf16_round_trip_over_every_position():
    text = "e\u0301 👩‍👩‍👧 Ünïcödé 𝔘 end"
    for offset in range(len(text) + 1):
        assert textlib.utf16_to_codepoint(text, textlib.codepoint_to_utf16(text, offset)) == offset


def test_combining_marks_count_once_after_nfc():
    text = textlib.normalise("Zoe\u0308 said")
    assert text == "Zoë said"
    assert textlib.check_span(text, 0, 3).quote == "Zoë"


def test_crlf_input_gives_the_same_offsets_as_lf_input():
    assert textlib.normalise("one\r\ntwo") == textlib.normalise("one\ntwo")
    text = textlib.normalise("one\r\ntwo")
    assert text[text.index("two") :] == "two"


def test_a_span_may_end_at_the_end_of_the_text():
    text = "Ends with the claim"
    span = textlib.check_span(text, 10, len(text))
    assert span.quote == "the claim"
    assert span.suffix == ""


def test_segments_split_overlapping_and_nested_spans():
    text = "abcdefghij"
    paragraphs = textlib.segments(text, [(1, 6, "claim:1"), (3, 5, "ent:PERSON"), (4, 8, "claim:2")])
    assert len(paragraphs) == 1
    got = [(s.text, s.claims, s.labels) for s in paragraphs[0]]
    assert got == [
        ("a", "", ""),
        ("bc", "1", ""),
        ("d", "1", "PERSON"),
        ("e", "1 2", "PERSON"),
        ("f", "1 2", ""),
        ("gh", "2", ""),
        ("ij", "", ""),
    ]
    assert "".join(s.text for s in paragraphs[0]) == text


def test_segments_break_at_paragraphs_and_keep_offsets():
    text = "one two\nthree"
    paragraphs = textlib.segments(text, [(4, 11, "claim:7")])
    assert [[(s.start, s.end, s.text, s.claims) for s in p] for p in paragraphs] == [
        [(0, 4, "one ", ""), (4, 7, "two", "7")],
        [(8, 11, "thr", "7"), (11, 13, "ee", "")],
    ]
