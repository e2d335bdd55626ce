"""JSONL: the lossless format, one article per line with its text, claims, sources, comments and mentions.

People are written by username, every timestamp as ISO 8601 with its offset. ``parse_jsonl``
reads the format back, strictly (the schema, and quotes exactly at their offsets), into the
records every importer shares (``annotations.imports.base``); the import side uses the same
field tables, so what is written here is what an import can keep.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from ..imports.base import ArticleRecord, ImportProblem, Metadata
from .core import Bundle, ExportContext
from .encoding import dumps_bytes, dumps_line
from .registry import ExportFormat, iso, register

SCHEMA_PATH = Path(__file__).resolve().parent.parent.parent / "docs" / "schemas" / "jsonl.schema.json"


MENTION_KEYS = ("id", "start", "end", "text", "label", "model")
# What may differ when a file is exported, imported into another project and exported again: the
# ids, which the target project hands out anew (mention_ids hold mention ids). Everything else
# comes back identical; tests/test_jsonl_roundtrip.py holds the writer to that.
# A source's captures are what the exporting server fetched: an import does not take them (a
# capture read from a file proves nothing) and captures each page anew, so they differ too.
ROUND_TRIP_VOLATILE = (
    "id",
    "claims[].id",
    "claims[].sources[].id",
    "claims[].sources[].captures",
    "claims[].mention_ids",
    "mentions[].id",
    "claims[].same_as.claim_id",
)


@register
class JsonlFormat(ExportFormat):
    name = "jsonl"
    label = "JSONL (lossless, one article per line)"
    description = (
        "Every field of each article, its claims (with sources, comments and linked entity mentions) and mentions."
    )
    extension = "jsonl"
    content_type = "application/x-ndjson; charset=utf-8"
    schema_file = "jsonl.schema.json"
    schema_version = "3"
    unit = "article"
    needs_text = True
    needs_sources = True
    needs_mentions = True
    needs_comments = True
    needs_captures = True
    needs_links = True
    includes_empty_articles = True

    encodes_rows = True

    def rows(self, bundle: Bundle, ctx: ExportContext) -> Iterator[str]:
        for row in self.row_bytes(bundle, ctx):
            yield row.decode("utf-8")

    def row_bytes(self, bundle: Bundle, ctx: ExportContext) -> Iterator[bytes]:
        if bundle.part == 0 and bundle.last:
            yield dumps_line(self._record(bundle, [_claim(c) for c in bundle.claims], bundle.mentions))
        else:
            yield from self._part_bytes(bundle)

    @staticmethod
    def _record(bundle: Bundle, claims: list[dict[str, Any]], mentions: list[dict[str, Any]]) -> dict[str, Any]:
        a = bundle.article
        record: dict[str, Any] = {
            "id": a["id"],
            "title": a["title"],
            "url": a["url"],
            "publisher": a["publisher"],
            "published_at": iso(a["published_at"]),
            "language": a["language"],
            "fetched_at": iso(a["fetched_at"]),
            "text": a["text"],
            "text_sha256": a["text_sha256"],
            "created_by": a["created_by_name"],
            "assignee": a["assignee_name"],
            "created_at": iso(a["created_at"]),
            "updated_at": iso(a["updated_at"]),
            "claims": claims,
            "mentions": [_mention(m) for m in mentions],
        }
        if bundle.suggestions is not None:
            record["suggestions"] = bundle.suggestions
        return record

    def _part_bytes(self, bundle: Bundle) -> Iterator[bytes]:
        """One part of an article's line: its opening (part 0), claims, its close (the last part).

        The pieces are the bytes orjson writes for the whole record, cut around the claims list.
        Its key is the first place ``"claims":[],"mentions":`` can occur: the fields before it
        are strings and numbers, and a quote inside a JSON string is always escaped.
        """
        claims = b",".join(dumps_bytes(_claim(c)) for c in bundle.claims)
        if bundle.part == 0:
            opening = dumps_bytes(self._record(bundle, [], []))
            yield opening[: opening.index(_CLAIMS_THEN_MENTIONS) + len(b'"claims":[')]
        elif claims:
            yield b","  # after the claims of the earlier parts, which are never empty
        yield claims
        if bundle.last:
            closing = dumps_line(self._record(bundle, [], bundle.mentions))
            yield closing[closing.index(_CLAIMS_THEN_MENTIONS) + len(b'"claims":[') :]


_CLAIMS_THEN_MENTIONS = b'"claims":[],"mentions":'


def _mention(m: dict[str, Any]) -> dict[str, Any]:
    # A person's decision (a mention added, or the model's relabelled) is marked as such, with
    # the model's label it replaced: training data can tell gold corrections from predictions.
    return {
        **{key: m[key] for key in MENTION_KEYS},
        "corrected": m["corrected_at"] is not None or not m["model"],
        "original_label": m["original_label"],
    }


# Below, datetimes are written as the core hands them over: ISO 8601 text already (no call per value).


def _capture(capture: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": capture["id"],
        "fetched_at": capture["fetched_at"],
        "url": capture["url"],
        "final_url": capture["final_url"],
        "http_status": capture["http_status"],
        "content_type": capture["content_type"],
        "title": capture["title"],
        "sha256": capture["sha256"],
        "bytes": capture["body_bytes"],
        "excerpt_state": capture["excerpt_state"],
        "excerpt_start": capture["excerpt_start"],
        "excerpt_end": capture["excerpt_end"],
    }


def _claim(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "start": c["start"],
        "end": c["end"],
        "quote": c["quote"],
        "prefix": c["prefix"],
        "suffix": c["suffix"],
        "claim_text": c["claim_text"],
        "claimant": c["claimant"],
        "claimant_type": c["claimant_type"],
        "status": c["status"],
        "verdict": c["verdict"] or None,
        "rationale": c["rationale"],
        "created_by": c["created_by_name"],
        "reviewed_by": c["reviewed_by_name"],
        "version": c["version"],
        "created_at": c["created_at"],
        "updated_at": c["updated_at"],
        "approved_at": c["approved_at"],
        "corrected_at": c["corrected_at"],
        "correction_note": c["correction_note"],
        "retracted_at": c["retracted_at"],
        "retracted_by": c["retracted_by_name"],
        "retraction_note": c["retraction_note"],
        "anchor_status": c["anchor_status"],
        "anchor_confidence": c["anchor_confidence"],
        "previous_quote": c["previous_quote"],
        "sources": [
            {
                "id": s["id"],
                "url": s["url"],
                "title": s["title"],
                "publisher": s["publisher"],
                "excerpt": s["excerpt"],
                "stance": s["stance"],
                "archived_url": s["archived_url"],
                "accessed_at": s["accessed_at"],
                "added_by": s["added_by_name"],
                "created_at": s["created_at"],
                "captures": [_capture(capture) for capture in s["captures"]],
            }
            for s in c["sources"]
        ],
        "comments": [
            {"author": m["author_name"], "body": m["body"], "created_at": m["created_at"]} for m in c["comments"]
        ],
        # Mentions inside the claim's span, by id into the article's "mentions".
        "mention_ids": [m["id"] for m in c.get("mentions", ())],
        "same_as": _same_as(c),
    }


def _same_as(c: dict[str, Any]) -> dict[str, Any] | None:
    """ "Same claim as": the earlier claim by id (this project's ids, as every id here), or the
    fact check by what identifies it anywhere (its review URL, publisher and claim)."""
    if c.get("same_as_claim_id"):
        return {"claim_id": c["same_as_claim_id"]}
    if c.get("same_as_check_text"):
        day = c["same_as_check_date"]
        return {
            "fact_check": {
                "url": c["same_as_check_url"],
                "claim_reviewed": c["same_as_check_text"],
                "publisher": c["same_as_check_publisher"],
                "rating": c["same_as_check_rating"],
                "verdict": c["same_as_check_verdict"] or None,
                "date_published": day.isoformat() if hasattr(day, "isoformat") else day,
            }
        }
    return None


# --- reading it back ---------------------------------------------------------------------------


class JsonlError(ValueError):
    """A line that is not valid export JSONL; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def parse_line(raw: str | bytes, line: int = 1, *, validate: bool = True) -> ArticleRecord:
    """One line of our export as an ArticleRecord; raises JsonlError naming the line and the problem."""
    import jsonschema

    from ..imports.jsonl import parse_line as read_line

    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise JsonlError(line, f"not JSON ({error})") from None
    if validate:
        problem = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema()).iter_errors(data))
        if problem is not None:
            where = "/".join(str(part) for part in problem.absolute_path) or "the line"
            raise JsonlError(line, f"{where}: {problem.message}")
    if isinstance(data, dict) and isinstance(data.get("text"), str):
        # Our own export places every claim exactly: unlike other tools' files, a quote that is
        # not at its offsets is an error here, never re-anchored.
        for claim in data.get("claims") or ():
            start, end = claim.get("start"), claim.get("end")
            if isinstance(start, int) and isinstance(end, int) and data["text"][start:end] != claim.get("quote"):
                raise JsonlError(line, f"claim {claim.get('id')}: quote does not match the text at {start}:{end}")
    try:
        return read_line(text, source="", number=line, metadata=Metadata())
    except ImportProblem as problem:
        raise JsonlError(line, problem.message) from None


def parse_jsonl(lines: Iterable[str | bytes], *, validate: bool = True) -> Iterator[ArticleRecord]:
    """Articles from export JSONL (a file object or any iterable of lines); blank lines are skipped."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        yield parse_line(raw, number, validate=validate)
