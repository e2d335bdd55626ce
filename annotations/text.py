"""Offsets, normalisation and span context: pure functions, no Django.

Every offset in the workbench is a Python code-point index into the stored, normalised text
(NFC, ``\\n`` newlines), with ``end`` exclusive. Browsers count UTF-16 code units, so the
conversions between the two live here too and are tested against astral characters.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from .limits import QUOTE_CHARS

CONTEXT_CHARS = 32


class SpanError(ValueError):
    """A span that does not fit the text; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str


def normalise(text: str) -> str:
    """The one normal form stored for an article: NFC, ``\\n`` newlines, no trailing spaces.

    Leading and trailing blank lines are dropped too; inner blank lines (paragraph breaks) stay.
    """
    if "\r" in text:  # rare; two replace passes cost as much as the NFC check (10 µs on the seed)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    lines = [line.rstrip(" \t\u00a0") for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def context(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> tuple[str, str]:
    """The ``width`` characters before ``start`` and after ``end`` (fewer at the edges)."""
    return text[max(0, start - width) : start], text[end : end + width]


def check_span(text: str, start: int, end: int, quote: str | None = None) -> Span:
    """Validate a span against ``text`` and return it with its quote and context.

    ``quote`` is optional; when given it must equal ``text[start:end]`` exactly, which is how
    a client proves it computed its offsets over the same text as the server.
    """
    if isinstance(start, bool) or not isinstance(start, int):
        raise SpanError("start", "start must be a whole number.")
    if isinstance(end, bool) or not isinstance(end, int):
        raise SpanError("end", "end must be a whole number.")
    if start < 0:
        raise SpanError("start", "start must be 0 or more.")
    if end <= start:
        raise SpanError("end", "end must be greater than start.")
    if end > len(text):
        raise SpanError("end", f"end must be at most the text length ({len(text)}).")
    if end - start > QUOTE_CHARS:
        # Every claim (and entity mention) stores its quote: a span over a whole article would
        # copy the article into each row.
        raise SpanError("end", f"a span can cover at most {QUOTE_CHARS} characters; this one covers {end - start}.")
    exact = text[start:end]
    if quote is not None and quote != exact:
        raise SpanError("quote", f"quote does not match the text at {start}:{end} (the text there is {exact!r}).")
    prefix, suffix = context(text, start, end)
    return Span(start=start, end=end, quote=exact, prefix=prefix, suffix=suffix)


def utf16_to_codepoint(text: str, utf16_offset: int) -> int:
    """Convert a UTF-16 code-unit offset (what JavaScript counts) into a code-point offset."""
    if utf16_offset < 0:
        raise ValueError("offset must be 0 or more")
    units = 0
    for index, char in enumerate(text):
        if units >= utf16_offset:
            if units > utf16_offset:
                raise ValueError("offset falls inside a surrogate pair")
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    if units == utf16_offset:
        return len(text)
    if units > utf16_offset:
        raise ValueError("offset falls inside a surrogate pair")
    raise ValueError("offset is past the end of the text")


def codepoint_to_utf16(text: str, offset: int) -> int:
    """Convert a code-point offset into a UTF-16 code-unit offset."""
    if not 0 <= offset <= len(text):
        raise ValueError("offset is outside the text")
    return offset + sum(1 for char in text[:offset] if ord(char) > 0xFFFF)


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line of ``text``: the unit the article page renders as a paragraph."""
    result: list[tuple[int, int]] = []
    position = 0
    for line in text.split("\n"):
        result.append((position, position + len(line)))
        position += len(line) + 1
    return result


@dataclass(frozen=True)
class Segment:
    """A run of text covered by the same set of spans (``keys``): the unit of highlighting."""

    start: int
    end: int
    text: str
    keys: frozenset[str]

    def values(self, kind: str) -> list[str]:
        """Sorted values of the keys written ``kind:value`` (e.g. ``claim:12``, ``ent:PERSON``)."""
        marker = f"{kind}:"
        return sorted(key[len(marker) :] for key in self.keys if key.startswith(marker))

    @property
    def claims(self) -> str:
        return " ".join(self.values("claim"))

    @property
    def labels(self) -> str:
        return " ".join(self.values("ent"))


def paragraph_around(text: str, start: int, end: int) -> tuple[str, str, str]:
    """The paragraph(s) holding ``text[start:end]``, as (before, the span, after).

    A claim may cross a paragraph break; then every paragraph it touches is shown whole.
    """
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", end)
    last = len(text) if last == -1 else last
    return text[first:start], text[start:end], text[end:last]


def segments(
    text: str, spans: list[tuple[int, int, str]], lines: list[tuple[int, int]] | None = None
) -> list[list[Segment]]:
    """Split ``text`` into paragraphs (lines) of segments at every span boundary.

    Overlapping and nested spans need no special case: each segment carries the keys of every
    span that covers it, so the page can style it with all of them. ``lines`` limits the work to
    some paragraphs (the desk re-renders only those a write touched).

    One sweep over spans sorted by start: each paragraph looks only at the spans that reach
    into it, so 500 claims and 500 mentions on a 400-paragraph article cost thousands of steps,
    not the millions of comparing every span with every paragraph and segment.
    """
    ordered_spans = sorted(spans)
    next_span = 0
    active: list[tuple[int, int, str]] = []
    result: list[list[Segment]] = []
    for line_start, line_end in paragraphs(text) if lines is None else sorted(lines):
        while next_span < len(ordered_spans) and ordered_spans[next_span][0] < line_end:
            active.append(ordered_spans[next_span])
            next_span += 1
        active = [span for span in active if span[1] > line_start]
        here = [span for span in active if span[0] < line_end]
        cuts = {line_start, line_end}
        for start, end, _key in here:
            cuts.add(max(start, line_start))
            cuts.add(min(end, line_end))
        ordered = sorted(cuts)
        line: list[Segment] = []
        for seg_start, seg_end in zip(ordered, ordered[1:], strict=False):
            keys = frozenset(key for start, end, key in here if start < seg_end and end > seg_start)
            line.append(Segment(seg_start, seg_end, text[seg_start:seg_end], keys))
        result.append(line)
    return result


# --- re-anchoring spans after the text is revised -----------------------------------------------
# When an editor corrects an article, every claim's offsets refer to the old text. A span is
# placed again from what it stored (quote, prefix, suffix, old start): an exact occurrence of the
# quote first, chosen by context and by distance from where the edit moved the old position;
# then a fuzzy match. Each placement carries a confidence in [0, 1]; callers flag low ones for a
# person instead of trusting them.

REANCHOR_MIN_CONFIDENCE = 0.8
# Character-level diffs of changed blocks bigger than this fall back to a proportional guess:
# the guess only seeds the search, so precision there is not worth quadratic time.
_CHAR_DIFF_MAX = 20_000
# How far around the expected position the fuzzy search looks before trying the whole text.
_FUZZY_WINDOW = 2_000
_FUZZY_WHOLE_TEXT_MAX = 200_000
_MAX_OCCURRENCES = 1_000


@dataclass(frozen=True)
class Anchor:
    """Where a span landed in the new text, how sure we are, and how it was found."""

    start: int
    end: int
    confidence: float
    method: str  # "exact", "fuzzy" or "lost"

    def is_confident(self, threshold: float = REANCHOR_MIN_CONFIDENCE) -> bool:
        return self.confidence >= threshold


def _line_starts(text: str) -> list[int]:
    """Start offset of each line, plus a sentinel one past a virtual final newline."""
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    starts.append(len(text) + 1)
    return starts


class OffsetMap:
    """Maps offsets in an old text to the matching offsets in a new one.

    A line diff finds the unchanged paragraphs cheaply; inside a changed block a character diff
    (for blocks of reasonable size) places an offset precisely, so an insertion earlier in the
    same paragraph still moves the expected position by exactly its length.
    """

    def __init__(self, old: str, new: str) -> None:
        from rapidfuzz.distance import Indel

        self.old, self.new = old, new
        old_lines, new_lines = old.split("\n"), new.split("\n")
        old_starts, new_starts = _line_starts(old), _line_starts(new)
        self._blocks: list[tuple[str, int, int, int, int]] = []
        for op in Indel.opcodes(old_lines, new_lines):
            tag = "equal" if op.tag == "equal" else "change"
            block = (tag, old_starts[op.src_start], old_starts[op.src_end], new_starts[op.dest_start],
                     new_starts[op.dest_end])  # fmt: skip
            if tag == "change" and self._blocks and self._blocks[-1][0] == "change":
                # A line edit comes out as a deletion next to an insertion; one block lets the
                # character diff see both sides of it.
                previous = self._blocks.pop()
                block = ("change", previous[1], block[2], previous[3], block[4])
            self._blocks.append(block)
        self._char_ops: dict[int, list[tuple[str, int, int, int, int]]] = {}

    def map(self, offset: int) -> int:
        for index, (tag, old_start, old_end, new_start, _new_end) in enumerate(self._blocks):
            if old_start <= offset < old_end or (offset == old_end and index == len(self._blocks) - 1):
                if tag == "equal":
                    return min(new_start + (offset - old_start), len(self.new))
                return min(self._map_in_block(index, offset - old_start), len(self.new))
        return len(self.new)

    def unchanged_origin(self, start: int, end: int) -> int | None:
        """Where ``new[start:end]`` was in the old text, if it lies in lines the revision left alone."""
        for tag, old_start, _old_end, new_start, new_end in self._blocks:
            if tag == "equal" and new_start <= start and end <= new_end:
                return old_start + (start - new_start)
        return None

    def _map_in_block(self, index: int, relative: int) -> int:
        from rapidfuzz.distance import Indel

        _tag, old_start, old_end, new_start, new_end = self._blocks[index]
        old_len, new_len = old_end - old_start, new_end - new_start
        if old_len > _CHAR_DIFF_MAX or new_len > _CHAR_DIFF_MAX:
            return new_start + (relative * new_len // old_len if old_len else 0)
        if index not in self._char_ops:
            # The "+ \n" stands for each block's final newline (the sentinel in _line_starts).
            old_sub = (self.old + "\n")[old_start:old_end]
            new_sub = (self.new + "\n")[new_start:new_end]
            self._char_ops[index] = [
                (op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end) for op in Indel.opcodes(old_sub, new_sub)
            ]
        for tag, src_start, src_end, dest_start, dest_end in self._char_ops[index]:
            if src_start <= relative < src_end:
                if tag == "equal":
                    return new_start + dest_start + (relative - src_start)
                return new_start + dest_start + min(relative - src_start, dest_end - dest_start)
        return new_end


def _similarity(a: str, b: str) -> float:
    from rapidfuzz import fuzz

    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    return fuzz.ratio(a, b) / 100.0


def context_similarity(text: str, start: int, end: int, prefix: str, suffix: str) -> float:
    """How well the text around ``start:end`` matches a stored prefix and suffix, in [0, 1].

    The better side counts double: an edit right next to a span changes one side only, and
    should not make an otherwise certain placement look doubtful.
    """
    before = text[max(0, start - len(prefix)) : start] if prefix else text[max(0, start - 1) : start]
    after = text[end : end + len(suffix)] if suffix else text[end : end + 1]
    sides = sorted((_similarity(prefix, before), _similarity(suffix, after)))
    return (sides[0] + 2 * sides[1]) / 3


def _occurrences(text: str, quote: str) -> list[int]:
    found: list[int] = []
    position = text.find(quote)
    while position != -1 and len(found) < _MAX_OCCURRENCES:
        found.append(position)
        position = text.find(quote, position + 1)
    return found


def _proximity(position: int, expected: int, scale: int) -> float:
    return 1.0 / (1.0 + abs(position - expected) / scale)


def _exact_anchor(text: str, quote: str, prefix: str, suffix: str, expected: int) -> Anchor | None:
    positions = _occurrences(text, quote)
    if not positions:
        return None
    scale = max(len(quote), 200)
    scored = sorted(
        (
            (
                0.7 * context_similarity(text, p, p + len(quote), prefix, suffix)
                + 0.3 * _proximity(p, expected, scale),
                p,
            )
            for p in positions
        ),
        reverse=True,
    )
    best_score, best = scored[0]
    context = context_similarity(text, best, best + len(quote), prefix, suffix)
    # A long quote found exactly once is good evidence on its own; a short or repeated one is
    # only as good as the context around it.
    specificity = min(1.0, len(quote) / 60) if len(positions) == 1 else 0.0
    confidence = 0.5 + 0.5 * max(context, specificity)
    if len(scored) > 1 and best_score - scored[1][0] < 0.02:
        # Two places fit about equally well: picking one would be a guess.
        confidence = min(confidence, 0.6)
    return Anchor(best, best + len(quote), round(confidence, 4), "exact")


def _refine(text: str, quote: str, start: int, end: int) -> tuple[int, int, float]:
    """Move the ends of a rough alignment to where the span best matches the quote."""
    from rapidfuzz import fuzz

    reach = min(max(len(quote) // 3, 4), 200)
    best = (start, end, fuzz.ratio(quote, text[start:end]))
    for _round in range(2):
        s, e, score = best
        for candidate in range(max(s + 1, e - reach), min(len(text), e + reach) + 1):
            value = fuzz.ratio(quote, text[s:candidate])
            if value > score:
                e, score = candidate, value
        for candidate in range(max(0, s - reach), min(e - 1, s + reach) + 1):
            value = fuzz.ratio(quote, text[candidate:e])
            if value > score:
                s, score = candidate, value
        if (s, e, score) == best:
            break
        best = (s, e, score)
    return best[0], best[1], best[2] / 100.0


def _fuzzy_candidates(text: str, quote: str, prefix: str, suffix: str, expected: int) -> list[tuple[int, int]]:
    from rapidfuzz import fuzz

    candidates: list[tuple[int, int]] = []
    # The unchanged context on both sides brackets a span whose inside was edited.
    window_start = max(0, expected - _FUZZY_WINDOW)
    window_end = min(len(text), expected + len(quote) + _FUZZY_WINDOW)
    if len(prefix) >= 8 and len(suffix) >= 8:
        position = text.find(prefix, max(0, window_start - len(prefix)), window_end)
        while position != -1 and len(candidates) < 20:
            inner_start = position + len(prefix)
            closing = text.find(suffix, inner_start + 1, inner_start + 2 * len(quote) + 64 + len(suffix))
            if closing > inner_start:
                candidates.append((inner_start, closing))
            position = text.find(prefix, position + 1, window_end)
    windows = [(window_start, window_end)]
    if (window_start, window_end) != (0, len(text)) and len(text) <= _FUZZY_WHOLE_TEXT_MAX:
        windows.append((0, len(text)))
    for low, high in windows:
        alignment = fuzz.partial_ratio_alignment(quote, text[low:high])
        if alignment is not None and alignment.dest_end > alignment.dest_start:
            candidates.append((low + alignment.dest_start, low + alignment.dest_end))
    return candidates


def _fuzzy_anchor(text: str, quote: str, prefix: str, suffix: str, expected: int) -> Anchor | None:
    best: Anchor | None = None
    for rough_start, rough_end in _fuzzy_candidates(text, quote, prefix, suffix, expected):
        start, end, similarity = _refine(text, quote, rough_start, rough_end)
        if end <= start:
            continue
        context = context_similarity(text, start, end, prefix, suffix)
        # The same evidence as an exact match (context, or a quote long enough to be specific),
        # scaled by how much of the quote survived.
        specificity = min(1.0, len(quote) / 60)
        confidence = min(0.99, similarity * (0.5 + 0.5 * max(context, specificity)))
        if best is None or confidence > best.confidence:
            best = Anchor(start, end, round(confidence, 4), "fuzzy")
    return best


# A placement on text that was already there, elsewhere, before the revision is another copy of
# the passage, not the span moved: it can be offered as a guess, never trusted.
_OTHER_COPY_CONFIDENCE = 0.5


def reanchor(
    new_text: str,
    *,
    quote: str,
    prefix: str,
    suffix: str,
    expected_start: int,
    threshold: float = REANCHOR_MIN_CONFIDENCE,
    old_start: int | None = None,
    offsets: OffsetMap | None = None,
) -> Anchor:
    """Place a span (known by its quote and context) in ``new_text``, near ``expected_start``.

    Always returns a valid, non-empty span with a confidence; below ``threshold`` the span is
    only the best guess and the caller must flag it rather than trust it. With ``offsets`` (old
    to new) and ``old_start``, a placement on unchanged text that came from elsewhere in the old
    text is not trusted.
    """
    if not new_text:
        raise ValueError("cannot anchor a span in an empty text")
    expected_start = min(max(expected_start, 0), len(new_text))

    def judged(anchor: Anchor | None) -> Anchor | None:
        if anchor is None or offsets is None or old_start is None:
            return anchor
        origin = offsets.unchanged_origin(anchor.start, anchor.end)
        if origin is not None and origin != old_start and anchor.confidence > _OTHER_COPY_CONFIDENCE:
            return Anchor(anchor.start, anchor.end, _OTHER_COPY_CONFIDENCE, anchor.method)
        return anchor

    exact = judged(_exact_anchor(new_text, quote, prefix, suffix, expected_start)) if quote else None
    if exact is not None and exact.confidence >= threshold:
        return exact
    fuzzy = judged(_fuzzy_anchor(new_text, quote, prefix, suffix, expected_start)) if quote else None
    found = [anchor for anchor in (exact, fuzzy) if anchor is not None]
    if found:
        return max(found, key=lambda anchor: anchor.confidence)
    start = min(expected_start, len(new_text) - 1)
    return Anchor(start, min(len(new_text), start + max(len(quote), 1)), 0.0, "lost")


@dataclass(frozen=True)
class StoredSpan:
    """What a span remembers of the text it was made on."""

    start: int
    end: int
    quote: str
    prefix: str
    suffix: str


def reanchor_all(
    old_text: str, new_text: str, spans: list[StoredSpan], threshold: float = REANCHOR_MIN_CONFIDENCE
) -> list[Anchor]:
    """Re-anchor many spans of one revision; the old-to-new offset map is computed once."""
    offsets = OffsetMap(old_text, new_text)
    return [
        reanchor(
            new_text,
            quote=span.quote,
            prefix=span.prefix,
            suffix=span.suffix,
            expected_start=offsets.map(span.start),
            threshold=threshold,
            old_start=span.start,
            offsets=offsets,
        )
        for span in spans
    ]


def _collapsed(text: str) -> tuple[str, list[int]]:
    """``text`` with every run of whitespace as one space, and each kept character's offset."""
    chars: list[str] = []
    where: list[int] = []
    previous_space = False
    for index, char in enumerate(text):
        if char.isspace():
            if previous_space:
                continue
            chars.append(" ")
            previous_space = True
        else:
            chars.append(char)
            previous_space = False
        where.append(index)
    return "".join(chars), where


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` occurs in ``text`` (first occurrence; code points, end exclusive), or None.

    An exact match first; then one that differs only in whitespace, since a person typing or
    pasting an excerpt from a page rarely keeps its line breaks. The offsets are always of the
    stored text, so ``text[start:end]`` is what the page said.
    """
    needle = normalise(quote).strip()
    if not needle:
        return None
    at = text.find(needle)
    if at >= 0:
        return at, at + len(needle)
    hay, where = _collapsed(text)
    wanted, _ = _collapsed(needle)
    at = hay.find(wanted)
    if at < 0:
        return None
    return where[at], where[at + len(wanted) - 1] + 1
