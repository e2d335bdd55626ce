"""JSON Lines: one article per line, our own export format included, with its claims and sources.

Every field name the importer reads is in the three tables below, so following a change in the
export format means editing them and nothing else. A line is either the article's fields at the
top level or under ``"article"``; ``claims`` sits beside them. Unknown keys (schema versions,
other tools' fields) are ignored.

Our own export is read completely: people (usernames), versions, timestamps, corrections, anchor
state, comments, every entity mention (with the model that found it) and the links between claims
and mentions. What of it an import keeps is the writer's decision (imports/pipeline.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from .. import limits
from .. import text as textlib
from ..models import AnchorStatus, Claim, ClaimantType, ClaimComment, ClaimStatus, Source, Stance, Verdict
from .base import (
    ArticleRecord,
    ClaimRecord,
    CommentRecord,
    ImportProblem,
    MentionRecord,
    Metadata,
    Parser,
    SourceRecord,
    as_datetime,
    parse_when,
    title_from_text,
)

# record field -> keys accepted in a line, first found wins
ARTICLE_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline"),
    "text": ("text", "body", "content"),
    "url": ("url",),
    "publisher": ("publisher",),
    "published_at": ("published_at", "date"),
    "language": ("language", "lang"),
    "fetched_at": ("fetched_at",),
    "id": ("id",),
    "text_sha256": ("text_sha256",),
    "created_by": ("created_by",),
    "assignee": ("assignee",),
    "created_at": ("created_at",),
    "updated_at": ("updated_at",),
}
CLAIMS_KEY = "claims"
CLAIM_KEYS: dict[str, tuple[str, ...]] = {
    "start": ("start",),
    "end": ("end",),
    "quote": ("quote",),
    "prefix": ("prefix",),
    "suffix": ("suffix",),
    "claim_text": ("claim_text",),
    "claimant": ("claimant",),
    "claimant_type": ("claimant_type",),
    "status": ("status",),
    "verdict": ("verdict",),
    "rationale": ("rationale",),
    "id": ("id",),
    "created_by": ("created_by",),
    "reviewed_by": ("reviewed_by",),
    "version": ("version",),
    "created_at": ("created_at",),
    "updated_at": ("updated_at",),
    "corrected_at": ("corrected_at",),
    "correction_note": ("correction_note",),
    "retracted_at": ("retracted_at",),
    "retracted_by": ("retracted_by",),
    "retraction_note": ("retraction_note",),
    "approved_at": ("approved_at",),
    "anchor_status": ("anchor_status",),
    "anchor_confidence": ("anchor_confidence",),
    "previous_quote": ("previous_quote",),
    "mention_ids": ("mention_ids",),
    "same_as": ("same_as",),
}
MENTIONS_KEY = "mentions"
MENTION_KEYS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "start": ("start",),
    "end": ("end",),
    "text": ("text",),
    "label": ("label",),
    "model": ("model",),
    "corrected": ("corrected",),
    "original_label": ("original_label",),
}
COMMENTS_KEY = "comments"
COMMENT_KEYS: dict[str, tuple[str, ...]] = {
    "author": ("author",),
    "body": ("body",),
    "created_at": ("created_at",),
}
SOURCES_KEY = "sources"
SOURCE_KEYS: dict[str, tuple[str, ...]] = {
    "url": ("url",),
    "title": ("title",),
    "publisher": ("publisher",),
    "excerpt": ("excerpt",),
    "stance": ("stance",),
    "archived_url": ("archived_url",),
    "accessed_at": ("accessed_at",),
    "id": ("id",),
    "added_by": ("added_by",),
    "created_at": ("created_at",),
}


def _max_length(model: Any, name: str) -> int:
    """The model's limit for a field, so a line is refused (naming it) before the database would."""
    return int(model._meta.get_field(name).max_length)


class _Line:
    """Reads fields of one line, raising ImportProblem that names the line and the field path."""

    def __init__(self, source: str, number: int) -> None:
        self.source, self.number = source, number

    def problem(self, field: str, message: str) -> ImportProblem:
        return ImportProblem(f"{field}: {message}", source=self.source, line=self.number, field=field)

    def get(self, data: dict[str, Any], keys: tuple[str, ...]) -> Any:
        for key in keys:
            if key in data and data[key] is not None:
                return data[key]
        return None

    def string(
        self, data: dict[str, Any], keys: tuple[str, ...], path: str, default: str = "", limit: int | None = None
    ) -> str:
        value = self.get(data, keys)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.problem(path, f"must be a string, not {type(value).__name__}.")
        if "\x00" in value:
            # JSON can escape a NUL (\u0000) that the file check never sees; PostgreSQL refuses it.
            raise self.problem(path, "must not contain NUL characters.")
        if limit is not None and len(value) > limit:
            raise self.problem(path, f"has {len(value)} characters; the limit is {limit}.")
        return value

    def url(self, data: dict[str, Any], keys: tuple[str, ...], path: str, limit: int) -> str:
        value = self.string(data, keys, path, limit=limit)
        if value:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except ValidationError:
                raise self.problem(path, "must be an http(s) URL.") from None
        return value

    def integer(self, data: dict[str, Any], keys: tuple[str, ...], path: str) -> int:
        value = self.get(data, keys)
        if value is None:
            raise self.problem(path, "is missing.")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.problem(path, "must be a whole number.")
        return value

    def optional_integer(self, data: dict[str, Any], keys: tuple[str, ...], path: str, minimum: int = 0) -> int | None:
        if self.get(data, keys) is None:
            return None
        value = self.integer(data, keys, path)
        if value < minimum:
            raise self.problem(path, f"must be at least {minimum}.")
        return value

    def username(self, data: dict[str, Any], keys: tuple[str, ...], path: str) -> str | None:
        return self.string(data, keys, path).strip() or None

    def when(self, data: dict[str, Any], keys: tuple[str, ...], path: str) -> datetime | None:
        """An ISO date-time (a bare date is midnight UTC); absent or empty is None."""
        value = parse_when(self.get(data, keys), source=self.source, line=self.number, field_name=path)
        return as_datetime(value)

    def fraction(self, data: dict[str, Any], keys: tuple[str, ...], path: str) -> float | None:
        value = self.get(data, keys)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise self.problem(path, "must be a number from 0 to 1.")
        return float(value)

    def choice(self, data: dict[str, Any], keys: tuple[str, ...], path: str, allowed: list[str], default: str) -> str:
        value = self.string(data, keys, path, default)
        if value not in allowed:
            raise self.problem(path, f"{value!r} is not one of: {', '.join(v for v in allowed if v)}.")
        return value

    def objects(self, data: dict[str, Any], key: str, path: str) -> list[dict[str, Any]]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.problem(path, "must be a list of objects.")
        return value


def _claim(line: _Line, data: dict[str, Any], index: int, text: str, mention_index: dict[int, int]) -> ClaimRecord:
    path = f"{CLAIMS_KEY}[{index}]"
    start = line.integer(data, CLAIM_KEYS["start"], f"{path}.start")
    end = line.integer(data, CLAIM_KEYS["end"], f"{path}.end")
    quote = line.get(data, CLAIM_KEYS["quote"])
    if quote is not None and not isinstance(quote, str):
        raise line.problem(f"{path}.quote", "must be a string.")
    prefix = line.string(data, CLAIM_KEYS["prefix"], f"{path}.prefix")
    suffix = line.string(data, CLAIM_KEYS["suffix"], f"{path}.suffix")
    try:
        span = textlib.check_span(text, start, end, quote)
    except textlib.SpanError as error:
        if not quote:
            raise line.problem(f"{path}.{error.field}", error.message) from None
        # Offsets from another tool may count differently; the quote and its context still
        # place the claim when they do so without doubt.
        anchor = textlib.reanchor(text, quote=quote, prefix=prefix, suffix=suffix, expected_start=start)
        if anchor.method != "exact" or not anchor.is_confident(settings.REANCHOR_MIN_CONFIDENCE):
            raise line.problem(f"{path}.{error.field}", error.message) from None
        span = textlib.check_span(text, anchor.start, anchor.end, quote)
    sources = [
        _source(line, item, f"{path}.{SOURCES_KEY}[{number}]")
        for number, item in enumerate(line.objects(data, SOURCES_KEY, f"{path}.{SOURCES_KEY}"))
    ]
    return ClaimRecord(
        start=span.start,
        end=span.end,
        quote=span.quote,
        prefix=span.prefix,
        suffix=span.suffix,
        claim_text=line.string(
            data, CLAIM_KEYS["claim_text"], f"{path}.claim_text", limit=_max_length(Claim, "claim_text")
        ),
        claimant=line.string(data, CLAIM_KEYS["claimant"], f"{path}.claimant", limit=_max_length(Claim, "claimant")),
        claimant_type=line.choice(
            data, CLAIM_KEYS["claimant_type"], f"{path}.claimant_type", ClaimantType.values, ClaimantType.PERSON
        ),
        status=line.choice(data, CLAIM_KEYS["status"], f"{path}.status", ClaimStatus.values, ClaimStatus.UNSTARTED),
        verdict=line.choice(data, CLAIM_KEYS["verdict"], f"{path}.verdict", [*Verdict.values, ""], ""),
        rationale=line.string(
            data, CLAIM_KEYS["rationale"], f"{path}.rationale", limit=_max_length(Claim, "rationale")
        ),
        sources=sources,
        id=line.optional_integer(data, CLAIM_KEYS["id"], f"{path}.id"),
        created_by=line.username(data, CLAIM_KEYS["created_by"], f"{path}.created_by"),
        reviewed_by=line.username(data, CLAIM_KEYS["reviewed_by"], f"{path}.reviewed_by"),
        version=line.optional_integer(data, CLAIM_KEYS["version"], f"{path}.version", minimum=1),
        created_at=line.when(data, CLAIM_KEYS["created_at"], f"{path}.created_at"),
        updated_at=line.when(data, CLAIM_KEYS["updated_at"], f"{path}.updated_at"),
        corrected_at=line.when(data, CLAIM_KEYS["corrected_at"], f"{path}.corrected_at"),
        correction_note=line.string(
            data, CLAIM_KEYS["correction_note"], f"{path}.correction_note", limit=_max_length(Claim, "correction_note")
        ),
        retracted_at=line.when(data, CLAIM_KEYS["retracted_at"], f"{path}.retracted_at"),
        retracted_by=line.username(data, CLAIM_KEYS["retracted_by"], f"{path}.retracted_by"),
        retraction_note=line.string(
            data, CLAIM_KEYS["retraction_note"], f"{path}.retraction_note", limit=_max_length(Claim, "retraction_note")
        ),
        approved_at=line.when(data, CLAIM_KEYS["approved_at"], f"{path}.approved_at"),
        anchor_status=line.choice(
            data, CLAIM_KEYS["anchor_status"], f"{path}.anchor_status", AnchorStatus.values, AnchorStatus.ANCHORED
        ),
        anchor_confidence=line.fraction(data, CLAIM_KEYS["anchor_confidence"], f"{path}.anchor_confidence"),
        previous_quote=line.string(
            data, CLAIM_KEYS["previous_quote"], f"{path}.previous_quote", limit=_max_length(Claim, "previous_quote")
        ),
        mention_indexes=_mention_indexes(line, data, f"{path}.mention_ids", mention_index),
        comments=[
            _comment(line, item, f"{path}.{COMMENTS_KEY}[{number}]")
            for number, item in enumerate(line.objects(data, COMMENTS_KEY, f"{path}.{COMMENTS_KEY}"))
        ],
        same_as=_same_as(line, data, f"{path}.same_as"),
    )


def _same_as(line: _Line, data: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The claim's "same claim as" link as our export writes it; checked here so errors name the line."""
    value = line.get(data, CLAIM_KEYS["same_as"])
    if value is None:
        return None
    if isinstance(value, dict) and set(value) == {"claim_id"}:
        if isinstance(value["claim_id"], int) and not isinstance(value["claim_id"], bool):
            return value
        raise line.problem(f"{path}.claim_id", "must be a claim id.")
    if isinstance(value, dict) and set(value) == {"fact_check"} and isinstance(value["fact_check"], dict):
        check = value["fact_check"]
        text = check.get("claim_reviewed")
        if not isinstance(text, str) or not text.strip():
            raise line.problem(f"{path}.fact_check.claim_reviewed", "is missing or empty.")
        for name in ("url", "publisher", "rating", "verdict", "date_published"):
            if check.get(name) is not None and not isinstance(check[name], str):
                raise line.problem(f"{path}.fact_check.{name}", "must be a string.")
        return value
    raise line.problem(path, 'must be {"claim_id": id} or {"fact_check": {...}}.')


def _mention_indexes(line: _Line, data: dict[str, Any], path: str, mention_index: dict[int, int]) -> list[int]:
    ids = line.get(data, CLAIM_KEYS["mention_ids"])
    if ids is None:
        return []
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise line.problem(path, "must be a list of mention ids.")
    unknown = [i for i in ids if i not in mention_index]
    if unknown:
        raise line.problem(path, f"{unknown[0]} is not the id of a mention on this line.")
    return [mention_index[i] for i in ids]


def _comment(line: _Line, data: dict[str, Any], path: str) -> CommentRecord:
    # Imported comments are bulk-inserted: this is the check that names the line, not the database's.
    body = line.string(data, COMMENT_KEYS["body"], f"{path}.body", limit=_max_length(ClaimComment, "body"))
    if not body.strip():
        raise line.problem(f"{path}.body", "is missing or empty.")
    return CommentRecord(
        body=body,
        author=line.username(data, COMMENT_KEYS["author"], f"{path}.author"),
        created_at=line.when(data, COMMENT_KEYS["created_at"], f"{path}.created_at"),
    )


def _mentions(line: _Line, data: dict[str, Any], text: str) -> list[MentionRecord]:
    """Every mention of the line: a person's (``model`` empty) and the machine's, with its model."""
    found: list[MentionRecord] = []
    for index, item in enumerate(line.objects(data, MENTIONS_KEY, MENTIONS_KEY)):
        path = f"{MENTIONS_KEY}[{index}]"
        start = line.integer(item, MENTION_KEYS["start"], f"{path}.start")
        end = line.integer(item, MENTION_KEYS["end"], f"{path}.end")
        try:
            span = textlib.check_span(text, start, end, line.string(item, MENTION_KEYS["text"], f"{path}.text") or None)
        except textlib.SpanError as error:
            raise line.problem(f"{path}.{'text' if error.field == 'quote' else error.field}", error.message) from None
        label = line.string(item, MENTION_KEYS["label"], f"{path}.label")
        if not label:
            raise line.problem(f"{path}.label", "is missing.")
        found.append(
            MentionRecord(
                span.start,
                span.end,
                span.quote,
                label[:32],
                model=line.string(item, MENTION_KEYS["model"], f"{path}.model")[:200],
                id=line.optional_integer(item, MENTION_KEYS["id"], f"{path}.id"),
                corrected=item.get("corrected") is True,
                original_label=line.string(item, MENTION_KEYS["original_label"], f"{path}.original_label")[:32],
            )
        )
    return found


def _source(line: _Line, data: dict[str, Any], path: str) -> SourceRecord:
    url = line.url(data, SOURCE_KEYS["url"], f"{path}.url", _max_length(Source, "url"))
    if not url:
        raise line.problem(f"{path}.url", "is missing.")
    return SourceRecord(
        url=url,
        title=line.string(data, SOURCE_KEYS["title"], f"{path}.title", limit=_max_length(Source, "title")),
        publisher=line.string(
            data, SOURCE_KEYS["publisher"], f"{path}.publisher", limit=_max_length(Source, "publisher")
        ),
        excerpt=line.string(data, SOURCE_KEYS["excerpt"], f"{path}.excerpt", limit=_max_length(Source, "excerpt")),
        stance=line.choice(data, SOURCE_KEYS["stance"], f"{path}.stance", Stance.values, Stance.CONTEXT),
        archived_url=line.url(
            data, SOURCE_KEYS["archived_url"], f"{path}.archived_url", _max_length(Source, "archived_url")
        ),
        accessed_at=line.when(data, SOURCE_KEYS["accessed_at"], f"{path}.accessed_at"),
        id=line.optional_integer(data, SOURCE_KEYS["id"], f"{path}.id"),
        added_by=line.username(data, SOURCE_KEYS["added_by"], f"{path}.added_by"),
        created_at=line.when(data, SOURCE_KEYS["created_at"], f"{path}.created_at"),
    )


def parse_line(raw: str, *, source: str, number: int, metadata: Metadata) -> ArticleRecord:
    line = _Line(source, number)
    too_deep = ImportProblem(
        f"the JSON nests deeper than {limits.JSON_MAX_DEPTH} levels.", source=source, line=number, field="file"
    )
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ImportProblem(
            f"not valid JSON ({error.msg} at column {error.colno}).", source=source, line=number, field="file"
        ) from None
    except RecursionError:
        # The parser recurses once per level: far deeper input fails inside it, before our count.
        raise too_deep from None
    if limits.json_depth_exceeds(data):
        raise too_deep
    if not isinstance(data, dict):
        raise ImportProblem("each line must be a JSON object.", source=source, line=number, field="file")
    nested = data.get("article")
    article: dict[str, Any] = nested if isinstance(nested, dict) else data
    raw_text = line.string(article, ARTICLE_KEYS["text"], "text")
    text = textlib.normalise(raw_text)
    if not text:
        raise line.problem("text", "is missing or empty.")
    published = line.get(article, ARTICLE_KEYS["published_at"]) or metadata.published_at or None
    mentions = _mentions(line, data if MENTIONS_KEY in data else article, text)
    # Claims name mentions by the ids of the exporting project; records by position.
    mention_index = {m.id: number for number, m in enumerate(mentions) if m.id is not None}
    if len(mention_index) != sum(m.id is not None for m in mentions):
        raise line.problem(MENTIONS_KEY, "two mentions have the same id.")
    claims_holder = data if CLAIMS_KEY in data else article
    claims = [
        _claim(line, item, index, text, mention_index)
        for index, item in enumerate(line.objects(claims_holder, CLAIMS_KEY, CLAIMS_KEY))
    ]
    return ArticleRecord(
        title=line.string(article, ARTICLE_KEYS["title"], "title") or metadata.title or title_from_text(text),
        text=text,
        url=line.string(article, ARTICLE_KEYS["url"], "url") or metadata.url,
        publisher=line.string(article, ARTICLE_KEYS["publisher"], "publisher") or metadata.publisher,
        published_at=parse_when(published, source=source, line=number, field_name="published_at"),
        language=line.string(article, ARTICLE_KEYS["language"], "language") or metadata.language or "en",
        fetched_at=line.when(article, ARTICLE_KEYS["fetched_at"], "fetched_at"),
        claims=claims,
        mentions=mentions,
        line=number,
        id=line.optional_integer(article, ARTICLE_KEYS["id"], "id"),
        text_sha256=line.string(article, ARTICLE_KEYS["text_sha256"], "text_sha256"),
        created_by=line.username(article, ARTICLE_KEYS["created_by"], "created_by"),
        assignee=line.username(article, ARTICLE_KEYS["assignee"], "assignee"),
        created_at=line.when(article, ARTICLE_KEYS["created_at"], "created_at"),
        updated_at=line.when(article, ARTICLE_KEYS["updated_at"], "updated_at"),
    )


class JsonLinesParser(Parser):
    name = "jsonl"
    label = "JSON Lines (.jsonl), our export format included"
    extensions = (".jsonl", ".ndjson")
    content_types = ("application/jsonl", "application/x-ndjson", "application/jsonlines")

    def parse_text(self, text: str, *, source: str, metadata: Metadata) -> list[ArticleRecord]:
        records: list[ArticleRecord] = []
        # splitlines() would also split on U+2028 inside JSON strings; JSON Lines uses \n only.
        for number, raw in enumerate(text.split("\n"), start=1):
            if raw.strip():
                records.append(parse_line(raw.rstrip("\r"), source=source, number=number, metadata=metadata))
        if not records:
            raise ImportProblem("the file holds no articles.", source=source, field="file")
        return records
