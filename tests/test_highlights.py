"""The desk's highlighted text (annotations.highlights) against the segments of annotations.text."""

from __future__ import annotations

import random
from html import escape

from annotations import highlights
from annotations import text as textlib


def _reference(text: str, spans: list[highlights.HighlightSpan], verdicts: list[tuple[int, str]]) -> list[str]:
    """The page's paragraphs as they were written from ``text.segments``, one Segment at a time."""
    kinds = {highlights.CLAIM: "claim", highlights.ENTITY: "ent", highlights.SUGGESTION: "sugg"}
    keyed = [(start, end, f"{kinds[kind]}:{value}") for start, end, kind, value in spans]
    rank = {str(pk): (index, verdict) for index, (pk, verdict) in enumerate(verdicts)}
    out = []
    for number, paragraph in enumerate(textlib.segments(text, keyed)):
        html = [f'<p class="para" id="para-{number}">']
        for seg in paragraph:
            ids = seg.values("claim")
            classes, attrs = "seg", f' data-start="{seg.start}" data-end="{seg.end}"'
            if ids:
                verdict = min(rank[i] for i in ids)[1]
                classes += " claim multi" if len(ids) > 1 else " claim"
                attrs += f' data-claims="{seg.claims}" data-verdict="{escape(verdict or "none")}"'
            if seg.labels:
                classes += " ent"
                attrs += f' data-labels="{escape(seg.labels)}"'
            if seg.values("sugg"):
                classes += " suggested"
                attrs += f' data-suggestions="{" ".join(seg.values("sugg"))}"'
            html.append(f'<span class="{classes}"{attrs}>{escape(seg.text)}</span>')
        out.append("".join(html) + "</p>")
    return out


def test_it_writes_the_segments_of_overlapping_spans_escaped():
    text = 'a <b>"x"</b> & y\n\nsecond line'
    spans: list[highlights.HighlightSpan] = [
        (0, 9, highlights.CLAIM, 12),
        (2, 14, highlights.CLAIM, 9),
        (3, 4, highlights.ENTITY, '<PER"'),
        (3, 20, highlights.SUGGESTION, 5),
    ]
    got = highlights.paragraphs_html(text, spans, [(12, "false"), (9, "")])
    assert got == _reference(text, spans, [(12, "false"), (9, "")])
    assert got[0].startswith('<p class="para" id="para-0"><span class="seg claim" data-start="0" data-end="2"')
    # Ids sort as text (desk.js takes the first); the claim that comes first in the text colours.
    assert 'class="seg claim multi ent suggested" data-start="3" data-end="4" data-claims="12 9"' in got[0]
    assert 'data-verdict="false" data-labels="&lt;PER&quot;"' in got[0]
    assert ">&lt;</span>" in got[0] and ">/b&gt; &amp;</span>" in got[0] and "<b" not in got[0] and "</b" not in got[0]
    assert got[1] == '<p class="para" id="para-1"></p>'


def test_it_matches_the_segments_over_random_spans():
    rng = random.Random(14)
    words = ["Kharkiv", "said", "<i>", "&amp;", "40", "towns", "\n", "'q'", "café", "👍🏽"]
    for _ in range(200):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 40))).strip("\n") or "x"
        spans: list[highlights.HighlightSpan] = []
        for pk in range(rng.randint(0, 12)):
            start = rng.randrange(len(text))
            end = rng.randint(start + 1, min(len(text), start + 30))
            kind = rng.choice([highlights.CLAIM, highlights.ENTITY, highlights.SUGGESTION])
            spans.append((start, end, kind, rng.choice(["GPE", "PER", "ORG"]) if kind == highlights.ENTITY else pk + 1))
        in_text_order = sorted((start, end, value) for start, end, kind, value in spans if kind == highlights.CLAIM)
        verdicts = [(int(value), rng.choice(["", "true", "false"])) for _start, _end, value in in_text_order]
        assert highlights.paragraphs_html(text, spans, verdicts) == _reference(text, spans, verdicts)


def test_it_writes_only_the_asked_paragraphs_for_an_out_of_band_swap():
    text = "one two\nthree\nfour"
    got = highlights.paragraphs_html(text, [(4, 11, highlights.CLAIM, 7)], [(7, "true")], [1], oob=True)
    assert got == [
        '<p class="para" id="para-1" hx-swap-oob="true"><span class="seg claim" data-start="8" data-end="11"'
        ' data-claims="7" data-verdict="true">thr</span><span class="seg" data-start="11" data-end="13">ee</span></p>'
    ]
