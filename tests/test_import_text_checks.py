"""The fast paths of the import's text checks answer exactly as the regexes they stand for."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from annotations.imports import base

# Plain text with, now and then, the characters the checks look for.
_TRICKY = st.sampled_from(
    ["\x00", "\x0b", "\x1f", "\x7f", "\x85", "\x9f", "\t", "\n", "\x0c", "\r", "â€™", "Ã©", "Â°", "Â", "é"]
)
_TEXTS = st.lists(st.one_of(st.text(max_size=20), st.text(alphabet="abc xyz", max_size=20), _TRICKY), max_size=12).map(
    "".join
)


@given(_TEXTS)
def test_the_control_check_agrees_with_its_regex(text):
    fast, slow = base._first_control(text), base._CONTROL.search(text)
    assert (fast and fast.group(), fast and fast.start()) == (slow and slow.group(), slow and slow.start())


@given(_TEXTS)
def test_the_mojibake_check_agrees_with_its_regex(text):
    fast, slow = base._double_encoded(text), base._DOUBLE_ENCODED.search(text)
    assert (fast and fast.group()) == (slow and slow.group())


def test_examples_either_way():
    assert base._first_control("plain ascii\ttext\n") is None
    assert base._first_control("plain \x01 ascii").group() == "\x01"
    assert base._first_control("café \x85").group() == "\x85"
    assert base._double_encoded("plain ascii") is None
    assert base._double_encoded("café â€™ here").group() == "â€™"
