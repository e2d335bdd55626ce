"""JSONL: the lossless format, one article per line with its text, claims, sources and mentions.

``parse_jsonl`` reads the format back into plain records; the import side (ingestion) reuses it,
and the export tests use it to prove the round trip loses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from .core import Bundle, ExportContext
from .registry import ExportFormat, dumps, iso, register

SCHEMA_PATH = Path(__file__).resolve().parent.parent.parent / "docs" / "schemas" / "jsonl.schema.json"


MENTION_KEYS = ("id", "start", "end", "text", "label", "model")


@register
class JsonlFormat(ExportFormat):
    name = "jsonl"
    label = "JSONL (lossless, one article per line)"
    description = "Every field of each article, its claims (with sources and linked entity mentions) and mentions."
    extension = "jsonl"
    content_type = "application/x-ndjson; charset=utf-8"
    schema_file = "jsonl.schema.json"
    unit = "article"
    needs_text = True
    needs_sources = True
    needs_mentions = True
    includes_empty_articles = True

    def rows(self, bundle: Bundle, ctx: ExportContext) -> Iterator[str]:
        a = bundle.article
        yield dumps(
            {
                "id": a["id"],
                "title": a["title"],
                "url": a["url"],
                "publisher": a["publisher"],
                "published_at": iso(a["published_at"]),
                "language": a["language"],
                "text": a["text"],
                "text_sha256": a["text_sha256"],
                "created_by": a["created_by_name"],
                "created_at": iso(a["created_at"]),
                "updated_at": iso(a["updated_at"]),
                "claims": [_claim(c) for c in bundle.claims],
                "mentions": [_mention(m) for m in bundle.mentions],
            }
        ) + "\n"


def _mention(m: dict[str, Any]) -> dict[str, Any]:
    return {key: m[key] for key in MENTION_KEYS}


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
        "status": c["status"],
        "verdict": c["verdict"] or None,
        "rationale": c["rationale"],
        "created_by": c["created_by_name"],
        "reviewed_by": c["reviewed_by_name"],
        "version": c["version"],
        "created_at": iso(c["created_at"]),
        "updated_at": iso(c["updated_at"]),
        "sources": [
            {
                "id": s["id"],
                "url": s["url"],
                "title": s["title"],
                "publisher": s["publisher"],
                "excerpt": s["excerpt"],
                "stance": s["stance"],
                "archived_url": s["archived_url"],
                "accessed_at": iso(s["accessed_at"]),
                "added_by": s["added_by_name"],
                "created_at": iso(s["created_at"]),
            }
            for s in c["sources"]
        ],
        # Mentions inside the claim's span, by id into the article's "mentions".
        "mention_ids": [m["id"] for m in c.get("mentions", ())],
    }


# --- reading it back ---------------------------------------------------------------------------


class JsonlError(ValueError):
    """A line that is not valid export JSONL; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass
class MentionRecord:
    id: int | None
    start: int
    end: int
    text: str
    label: str
    model: str = ""


@dataclass
class SourceRecord:
    id: int | None
    url: str
    title: str = ""
    publisher: str = ""
    excerpt: str = ""
    stance: str = "context"
    archived_url: str = ""
    accessed_at: datetime | None = None
    added_by: str | None = None
    created_at: datetime | None = None


@dataclass
class ClaimRecord:
    id: int | None
    start: int
    end: int
    quote: str
    prefix: str = ""
    suffix: str = ""
    claim_text: str = ""
    claimant: str = ""
    status: str = "unstarted"
    verdict: str = ""  # "" when the claim has none, as stored in the database
    rationale: str = ""
    created_by: str | None = None
    reviewed_by: str | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sources: list[SourceRecord] = field(default_factory=list)
    mention_ids: list[int] = field(default_factory=list)


@dataclass
class ArticleRecord:
    id: int | None
    title: str
    text: str
    url: str = ""
    publisher: str = ""
    published_at: datetime | None = None
    language: str = "en"
    text_sha256: str = ""
    created_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    claims: list[ClaimRecord] = field(default_factory=list)
    mentions: list[MentionRecord] = field(default_factory=list)
    line: int = 0


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


_ARTICLE_PARSED = {"claims", "mentions", "published_at", "created_at", "updated_at"}


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def parse_line(raw: str | bytes, line: int = 1, *, validate: bool = True) -> ArticleRecord:
    """One JSONL line as an ArticleRecord; raises JsonlError naming the line and the problem."""
    import jsonschema

    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise JsonlError(line, f"not JSON ({error})") from None
    if validate:
        problem = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema()).iter_errors(data))
        if problem is not None:
            where = "/".join(str(part) for part in problem.absolute_path) or "the line"
            raise JsonlError(line, f"{where}: {problem.message}")
    claims = [
        ClaimRecord(
            **{k: v for k, v in c.items() if k not in {"sources", "verdict", "created_at", "updated_at"}},
            verdict=c.get("verdict") or "",
            created_at=_when(c.get("created_at")),
            updated_at=_when(c.get("updated_at")),
            sources=[
                SourceRecord(
                    **{k: v for k, v in s.items() if k not in {"accessed_at", "created_at"}},
                    accessed_at=_when(s.get("accessed_at")),
                    created_at=_when(s.get("created_at")),
                )
                for s in c.get("sources", [])
            ],
        )
        for c in data.get("claims", [])
    ]
    mentions = [MentionRecord(**m) for m in data.get("mentions", [])]
    text = data["text"]
    for claim in claims:
        if text[claim.start : claim.end] != claim.quote:
            raise JsonlError(line, f"claim {claim.id}: quote does not match the text at {claim.start}:{claim.end}")
    return ArticleRecord(
        **{k: v for k, v in data.items() if k not in _ARTICLE_PARSED},
        published_at=_when(data.get("published_at")),
        created_at=_when(data.get("created_at")),
        updated_at=_when(data.get("updated_at")),
        claims=claims,
        mentions=mentions,
        line=line,
    )


def parse_jsonl(lines: Iterable[str | bytes], *, validate: bool = True) -> Iterator[ArticleRecord]:
    """Articles from export JSONL (a file object or any iterable of lines); blank lines are skipped."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        yield parse_line(raw, number, validate=validate)
