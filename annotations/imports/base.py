"""What every parser shares: the records it yields, the error it raises, decoding bytes to text.

No parser writes to the database. A parser turns one input into a list of records and raises
ImportProblem (naming the input, the line and the field) for anything it cannot use; the
pipeline checks every record before it writes any, so a bad line leaves nothing behind.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime

from .. import limits
from .. import text as textlib


class ImportProblem(Exception):
    """Input that cannot be imported. ``str()`` names the source and line for people."""

    def __init__(self, message: str, *, source: str = "", line: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.line = line
        self.field = field

    def __str__(self) -> str:
        where = [part for part in (self.source, f"line {self.line}" if self.line else "") if part]
        return ": ".join([*where, self.message])

    def located(self, *, source: str | None = None, line: int | None = None) -> ImportProblem:
        """The same problem with a source or line filled in where the raiser did not know it."""
        return ImportProblem(self.message, source=self.source or source or "", line=self.line or line, field=self.field)


# Records carry what a line says and nothing more. The optional fields below are what our own
# JSONL export writes (people by username, versions, timestamps, corrections, anchor state,
# comments); other inputs leave them at their defaults. Whether an import may keep each of them
# (an approver, a first-approval date) is the writer's decision under the review rules, not the
# parser's. ``id`` is the row's id in the project it was exported from: a reference, never reused.


@dataclass
class SourceRecord:
    url: str
    title: str = ""
    publisher: str = ""
    excerpt: str = ""
    stance: str = "context"
    archived_url: str = ""
    accessed_at: datetime | None = None
    id: int | None = None
    added_by: str | None = None  # a username
    created_at: datetime | None = None


@dataclass
class CommentRecord:
    body: str
    author: str | None = None  # a username
    created_at: datetime | None = None


@dataclass
class ClaimRecord:
    start: int
    end: int
    quote: str | None = None
    prefix: str = ""
    suffix: str = ""
    claim_text: str = ""
    claimant: str = ""
    status: str = "unstarted"
    verdict: str = ""
    rationale: str = ""
    sources: list[SourceRecord] = field(default_factory=list)
    id: int | None = None
    claimant_type: str = "person"
    created_by: str | None = None  # usernames
    reviewed_by: str | None = None
    version: int | None = None  # None: the line does not say
    created_at: datetime | None = None
    updated_at: datetime | None = None
    corrected_at: datetime | None = None
    correction_note: str = ""
    approved_at: datetime | None = None  # the first approval
    retracted_at: datetime | None = None
    retracted_by: str | None = None  # a username
    retraction_note: str = ""
    anchor_status: str = "anchored"
    anchor_confidence: float | None = None
    previous_quote: str = ""
    # Indexes into the article record's ``mentions`` of the mentions inside the claim's span, as
    # the line listed them (by id). Links follow from the spans, so this is a cross-check.
    mention_indexes: list[int] = field(default_factory=list)
    comments: list[CommentRecord] = field(default_factory=list)
    # "Same claim as": {"claim_id": an id of the exporting project} or {"fact_check": {...}} (our
    # JSONL export); claims.import_links resolves it once every claim of the input is written.
    same_as: dict[str, Any] | None = None


@dataclass
class MentionRecord:
    """An entity mention: ``model`` names the model that found it, empty when a person added it."""

    start: int
    end: int
    text: str
    label: str
    model: str = ""
    id: int | None = None
    # A person's correction (entities.py): kept through re-extraction after the import.
    corrected: bool = False
    original_label: str = ""


@dataclass
class ArticleRecord:
    title: str
    text: str
    url: str = ""
    publisher: str = ""
    published_at: datetime | date | None = None
    language: str = "en"
    fetched_at: datetime | None = None
    claims: list[ClaimRecord] = field(default_factory=list)
    mentions: list[MentionRecord] = field(default_factory=list)
    line: int | None = None
    id: int | None = None
    text_sha256: str = ""
    created_by: str | None = None  # usernames
    assignee: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def usernames(self) -> set[str]:
        """Every username the record names, so a writer can match them to members in one query."""
        names = {self.created_by, self.assignee}
        for claim in self.claims:
            names |= {claim.created_by, claim.reviewed_by, claim.retracted_by}
            names |= {source.added_by for source in claim.sources}
            names |= {comment.author for comment in claim.comments}
        return {name for name in names if name}


@dataclass(frozen=True)
class Metadata:
    """Values given alongside the input (form fields, command options).

    For one-document formats (paste, txt, md, html, url) they override what extraction guessed;
    for many-record formats (csv, jsonl) they fill what a record leaves blank.
    """

    title: str = ""
    url: str = ""
    publisher: str = ""
    published_at: str = ""
    language: str = ""


class Parser:
    """One input format. Subclasses set the class attributes and implement ``parse_text``."""

    name: ClassVar[str]
    label: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]] = ()
    content_types: ClassVar[tuple[str, ...]] = ()

    def parse(self, data: bytes, *, source: str, metadata: Metadata, charset: str | None = None) -> list[ArticleRecord]:
        check_size(len(data), source)
        return self.parse_text(decode(data, source=source, declared=charset), source=source, metadata=metadata)

    def parse_text(self, text: str, *, source: str, metadata: Metadata) -> list[ArticleRecord]:
        raise NotImplementedError


# --- size -----------------------------------------------------------------------------------------


def human_bytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


def check_size(size: int, source: str) -> None:
    limit = settings.IMPORT_MAX_FILE_BYTES
    if size > limit:
        raise ImportProblem(
            f"the file is {human_bytes(size)}; the limit is {human_bytes(limit)} (IMPORT_MAX_FILE_BYTES).",
            source=source,
            field="file",
        )


# --- decoding -------------------------------------------------------------------------------------

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_MAGIC = [
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or a Word/Excel/OpenDocument file)"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"{\\rtf", "an RTF document"),
]
# Legacy encodings people still send; anything else detection proposes is more likely a wrong
# guess than a real file, so it is refused rather than stored as mojibake.
COMMON_ENCODINGS = {
    "ascii", "utf_8", "cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "cp1251", "koi8_r",
    "koi8_u", "iso8859_5", "cp1253", "iso8859_7", "cp1254", "iso8859_9", "cp1255", "iso8859_8",
    "cp1256", "iso8859_6", "cp1257", "iso8859_13", "cp1258", "mac_roman", "shift_jis", "cp932",
    "euc_jp", "iso2022_jp", "gb2312", "gbk", "gb18030", "big5", "big5hkscs", "euc_kr", "cp949",
    "tis_620", "cp874",
}  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# UTF-8 read as cp1252 and saved again: "â€™" for "’", "Ã©" for "é", "Â°" for "°".
_CP1252_HIGH = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ\u00a0-\u00bf"
_DOUBLE_ENCODED = re.compile(f"â€[{_CP1252_HIGH}]|[ÂÃ][{_CP1252_HIGH}]")
# The control characters an ASCII text can hold, for bytes.translate.
_ASCII_CONTROL = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])


def _first_control(text: str) -> re.Match[str] | None:
    """``_CONTROL.search(text)``, answered without the regex for the usual ASCII text that has
    none: deleting them from its bytes and comparing lengths is C speed (5 ms instead of 36 ms
    for a 7 MB upload)."""
    if text.isascii():
        raw = text.encode("ascii")
        if len(raw.translate(None, _ASCII_CONTROL)) == len(raw):
            return None
    return _CONTROL.search(text)


def _double_encoded(text: str) -> re.Match[str] | None:
    """``_DOUBLE_ENCODED.search(text)``, without the regex when none of the letters every match
    starts with is there (a regex scan of a 7 MB upload took 105 ms; these take 3)."""
    if text.isascii() or not any(letter in text for letter in "âÂÃ"):
        return None
    return _DOUBLE_ENCODED.search(text)


def _normal_codec(name: str) -> str:
    try:
        return codecs.lookup(name).name.replace("-", "_")
    except LookupError:
        return name


def _codec_for_declared(name: str) -> str | None:
    try:
        codec = codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None
    # As browsers do (WHATWG Encoding): a page labelled latin-1 or ascii is really windows-1252.
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def decode(data: bytes, *, source: str, declared: str | None = None) -> str:
    """Bytes to text: a BOM, then strict UTF-8, then a declared charset, then detection.

    Refuses binary files and anything it cannot decode with confidence, so mojibake is never
    stored silently.
    """
    if not data.strip():
        raise ImportProblem("the file is empty.", source=source, field="file")
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise ImportProblem(f"this is {kind}, not text; it cannot be imported.", source=source, field="file")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data.decode(codec), source)
            except UnicodeDecodeError:
                raise ImportProblem(
                    f"the file starts with a {codec} mark but is not valid {codec}.", source=source, field="file"
                ) from None
    if b"\x00" in data[:8192]:
        raise ImportProblem(
            "this looks like a binary file (it contains NUL bytes), not text.", source=source, field="file"
        )
    try:
        return _checked(data.decode("utf-8"), source)
    except UnicodeDecodeError:
        pass
    if declared:
        declared_codec = _codec_for_declared(declared)
        if declared_codec:
            try:
                return _checked(data.decode(declared_codec), source)
            except UnicodeDecodeError:
                pass  # a wrong label is common: fall through to detection
    if _mostly_utf8(data):
        raise ImportProblem(
            f"the file is UTF-8 with invalid bytes ({_first_bad_byte(data)}); it was damaged or cut. "
            "Save it as UTF-8 again and import it again.",
            source=source,
            line=_first_bad_line(data),
            field="file",
        )
    return _checked(_detect(data, source), source)


# A well-formed multi-byte UTF-8 sequence (RFC 3629: no overlong forms, no surrogates).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def _mostly_utf8(data: bytes) -> bool:
    """Invalid UTF-8 whose other non-ASCII bytes are good UTF-8: damaged UTF-8, not a legacy file.

    Legacy single-byte text (cp1251 Russian, cp1252 French) forms a valid UTF-8 sequence only by
    accident ("Её" in cp1251), far more rarely than it has bytes that are not UTF-8 at all.
    """
    valid = len(_UTF8_SEQUENCE.findall(data))
    invalid = sum(1 for char in data.decode("utf-8", "surrogateescape") if "\udc80" <= char <= "\udcff")
    return valid >= invalid


def _first_bad_offset(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start
    return 0


def _first_bad_byte(data: bytes) -> str:
    offset = _first_bad_offset(data)
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"byte 0x{data[offset]:02X} at byte {column} of the line"


def _first_bad_line(data: bytes) -> int:
    return data.count(b"\n", 0, _first_bad_offset(data)) + 1


def _detect(data: bytes, source: str) -> str:
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio

    matches = [m for m in from_bytes(data) if m.chaos <= 0.2]
    refusal = ImportProblem(
        "the text encoding could not be recognised (it is not UTF-8 nor a common legacy encoding); "
        "save the file as UTF-8 and import it again.",
        source=source,
        field="file",
    )
    if not matches:
        raise refusal
    # Detection often ranks a Central European or Baltic code page first for plain Western text
    # (the bytes decode to letters either way). Like browsers, treat windows-1252 as the default
    # legacy encoding: it wins whenever its reading looks no messier than the best guess. Other
    # code pages (Polish cp1250, Cyrillic, Greek) read as cp1252 are full of symbols in words
    # and lose. Baltic or Turkish text can still pass as Western: no detector tells them apart.
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None and mess_ratio(western, 1.0) <= matches[0].chaos + 0.1:
        return western
    for match in matches:
        names = {_normal_codec(name) for name in match.could_be_from_charset}
        # Stray high bytes in English text (or random bytes) decode to a letter or two of some
        # code page; a text in that code page has words in it.
        if names & COMMON_ENCODINGS and _has_foreign_words(str(match)):
            return str(match)
    raise ImportProblem(
        f"the file is not UTF-8 ({_first_bad_byte(data)}) and does not read as text in a common legacy "
        "encoding; save it as UTF-8 and import it again.",
        source=source,
        line=_first_bad_line(data),
        field="file",
    )


_WORD = re.compile(r"\w+")


def _has_foreign_words(text: str, at_least: int = 3) -> bool:
    """Several different words with non-ASCII letters: a text in that code page, not stray bytes."""
    found: set[str] = set()
    for word in _WORD.finditer(text):
        if not word.group().isascii():
            found.add(word.group())
            if len(found) >= at_least:
                return True
    return False


def _checked(text: str, source: str) -> str:
    control = _first_control(text)
    if control:
        raise ImportProblem(
            f"the text contains control character U+{ord(control.group()):04X}: it is binary or wrongly encoded.",
            source=source,
            field="file",
        )
    if "\ufffd" in text:
        raise ImportProblem(
            "the text contains U+FFFD replacement characters: it was garbled before it reached us.",
            source=source,
            field="file",
        )
    found = _double_encoded(text)
    if found and _reverses_to_utf8(found.group()):
        raise ImportProblem(
            f"the text looks double-encoded (mojibake such as {found.group()!r}); fix the file's encoding and "
            "import it again.",
            source=source,
            field="file",
        )
    return text


def _reverses_to_utf8(fragment: str) -> bool:
    try:
        fragment.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return False
    return True


# --- record helpers -------------------------------------------------------------------------------

TITLE_MAX_CHARS = limits.TITLE_CHARS
_DERIVED_TITLE_CHARS = 200


def title_from_text(text: str) -> str:
    """A title from the first non-blank line, shortened at a word boundary."""
    for line in text.split("\n"):
        line = line.strip()
        if line:
            if len(line) <= _DERIVED_TITLE_CHARS:
                return line
            cut = line[:_DERIVED_TITLE_CHARS].rsplit(" ", 1)[0]
            return cut.rstrip(",;:") + "…"
    return ""


def parse_when(value: object, *, source: str, line: int | None, field_name: str) -> datetime | date | None:
    """An ISO date or date-time (strings from files and forms); empty is None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ImportProblem(
            f"{field_name} must be an ISO date such as 2022-05-26.", source=source, line=line, field=field_name
        )
    value = value.strip()
    try:
        parsed: datetime | date | None = parse_datetime(value) or parse_date(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ImportProblem(
            f"{field_name} {value!r} is not an ISO date such as 2022-05-26.", source=source, line=line, field=field_name
        )
    if isinstance(parsed, datetime) and parsed.tzinfo is None:
        from django.utils import timezone

        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    return parsed


def as_datetime(value: datetime | date | None) -> datetime | None:
    """A date as midnight UTC; date-times and None unchanged."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value


def _plain(line: str) -> str:
    return " ".join(line.split()).casefold().rstrip(".")


def without_headline(text: str, title: str) -> str:
    """The text without a first line that only repeats the title.

    Pasted articles and web pages usually start with their headline, which the desk already
    shows as the title: kept, it would read twice. Only an exact repeat (case and spacing
    aside) is dropped, and never the whole text.
    """
    first, _, rest = text.partition("\n")
    if title and _plain(first) == _plain(title) and rest.strip():
        return textlib.normalise(rest)
    return text


def single_record(
    text: str, *, source: str, metadata: Metadata, guessed: dict[str, object] | None = None
) -> ArticleRecord:
    """The record of a one-document format: given metadata beats what extraction guessed."""
    guessed = guessed or {}
    text = textlib.normalise(text)
    if not text:
        raise ImportProblem("there is no text to import.", source=source, field="text")
    published = metadata.published_at or guessed.get("published_at") or ""
    given_title = metadata.title or str(guessed.get("title") or "")
    return ArticleRecord(
        title=given_title or title_from_text(text),
        # A title made from the first line is not a headline: that line stays the text's.
        text=without_headline(text, given_title),
        url=metadata.url or str(guessed.get("url") or ""),
        publisher=metadata.publisher or str(guessed.get("publisher") or ""),
        published_at=parse_when(published, source=source, line=None, field_name="published_at"),
        language=metadata.language or str(guessed.get("language") or "") or "en",
    )
