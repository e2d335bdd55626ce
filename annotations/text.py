"""Offsets, normalisation and span context: pure functions, no Django.

Every offset in the workbench is a Python code-point index into the stored, normalised text
(NFC, ``\\n`` newlines), with ``end`` exclusive. Browsers count UTF-16 code units, so the
conversions between the two live here too and are tested against astral characters.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

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


def segments(text: str, spans: list[tuple[int, int, str]]) -> list[list[Segment]]:
    """Split ``text`` into paragraphs (lines) of segments at every span boundary.

    Overlapping and nested spans need no special case: each segment carries the keys of every
    span that covers it, so the page can style it with all of them.
    """
    result: list[list[Segment]] = []
    for line_start, line_end in paragraphs(text):
        cuts = {line_start, line_end}
        for start, end, _key in spans:
            if start < line_end and end > line_start:
                cuts.add(max(start, line_start))
                cuts.add(min(end, line_end))
        ordered = sorted(cuts)
        line: list[Segment] = []
        for seg_start, seg_end in zip(ordered, ordered[1:], strict=False):
            keys = frozenset(key for start, end, key in spans if start < seg_end and end > seg_start)
            line.append(Segment(seg_start, seg_end, text[seg_start:seg_end], keys))
        result.append(line)
    return result
