"""The article text as the desk shows it: paragraphs of highlighted, escaped segments. Pure.

``text.segments`` defines the cut (a segment is a run of text covered by the same set of
spans); this module writes the same cut straight to HTML, without a ``Segment`` object or a
``kind:value`` key per span: at 400 paragraphs and 500 spans the objects and the key parsing
cost more than the page's whole claim panel. ``tests/test_highlights.py`` holds the output to
``text.segments`` over random spans.

Every piece of article text, and every label, goes through ``html.escape``: the text is
untrusted. Claim and suggestion ids are integers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from .text import paragraphs as text_lines

# Span kinds, in the order their attributes appear on a segment.
CLAIM, ENTITY, SUGGESTION = 0, 1, 2

# (start, end, kind, value): value is a claim's or suggestion's id, or an entity label.
HighlightSpan = tuple[int, int, int, "int | str"]


def paragraphs_html(
    text: str,
    spans: Iterable[HighlightSpan],
    verdicts: Sequence[tuple[int, str]],
    numbers: Sequence[int] | None = None,
    *,
    oob: bool = False,
) -> list[str]:
    """One ``<p class="para" id="para-<n>">`` per line of ``text`` (or per line number in ``numbers``).

    ``verdicts`` is every highlighted claim as (id, verdict) in text order: where claims
    overlap, the one that comes first gives the segment its colour. ``oob`` marks each
    paragraph for an out-of-band htmx swap (a claim write sends back only what it changed).
    """
    rank = {pk: (index, verdict) for index, (pk, verdict) in enumerate(verdicts)}
    all_lines = text_lines(text)
    wanted = range(len(all_lines)) if numbers is None else sorted(numbers)
    swap = ' hx-swap-oob="true"' if oob else ""
    ordered = sorted(spans)
    next_span = 0
    active: list[HighlightSpan] = []
    out: list[str] = []
    for number in wanted:
        line_start, line_end = all_lines[number]
        while next_span < len(ordered) and ordered[next_span][0] < line_end:
            active.append(ordered[next_span])
            next_span += 1
        active = [span for span in active if span[1] > line_start]
        here = [span for span in active if span[0] < line_end]
        head = f'<p class="para" id="para-{number}"{swap}>'
        if not here:
            if line_end > line_start:
                chunk = escape(text[line_start:line_end])
                attrs = f'data-start="{line_start}" data-end="{line_end}"'
                out.append(f'{head}<span class="seg" {attrs}>{chunk}</span></p>')
            else:
                out.append(f"{head}</p>")
            continue
        cuts = {line_start, line_end}
        for start, end, _kind, _value in here:
            cuts.add(start if start > line_start else line_start)
            cuts.add(end if end < line_end else line_end)
        bounds = sorted(cuts)
        parts = [head]
        for seg_start, seg_end in zip(bounds, bounds[1:], strict=False):
            claim_ids: list[int] = []
            labels: set[str] = set()
            suggested: list[int] = []
            for start, end, kind, value in here:
                if start < seg_end and end > seg_start:
                    if kind == CLAIM:
                        claim_ids.append(value)  # type: ignore[arg-type]
                    elif kind == ENTITY:
                        labels.add(value)  # type: ignore[arg-type]
                    else:
                        suggested.append(value)  # type: ignore[arg-type]
            classes = "seg"
            attrs = f' data-start="{seg_start}" data-end="{seg_end}"'
            if claim_ids:
                # Sorted as text, as the page always listed them (desk.js takes the first).
                ids = " ".join(sorted(str(pk) for pk in claim_ids))
                verdict = min(rank[pk] for pk in claim_ids)[1] or "none"
                classes += " claim multi" if len(claim_ids) > 1 else " claim"
                attrs += f' data-claims="{ids}" data-verdict="{escape(verdict)}"'
            if labels:
                classes += " ent"
                attrs += f' data-labels="{escape(" ".join(sorted(labels)))}"'
            if suggested:
                classes += " suggested"
                attrs += f' data-suggestions="{" ".join(sorted(str(pk) for pk in suggested))}"'
            parts.append(f'<span class="{classes}"{attrs}>{escape(text[seg_start:seg_end])}</span>')
        parts.append("</p>")
        out.append("".join(parts))
    return out
