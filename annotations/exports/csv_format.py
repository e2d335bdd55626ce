"""CSV: one claim per row, for spreadsheets; cells that a spreadsheet would run as a formula are defused.

A claim's sources share its row: ``source_urls``, ``source_titles`` and ``source_stances`` each
hold one line per source, in the same order (line N of each is source N). A line break inside a
title becomes a space; the exact values are in the JSONL export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from ..models import Verdict
from .core import Bundle, ExportContext
from .params import ExportParams
from .registry import ExportFormat, iso, register

COLUMNS = (
    "article_id",
    "article_title",
    "article_url",
    "article_publisher",
    "article_published_at",
    "claim_id",
    "start",
    "end",
    "quote",
    "claim_text",
    "claimant",
    "claimant_type",
    "status",
    "verdict",
    "verdict_label",
    "rationale",
    "created_by",
    "reviewed_by",
    "created_at",
    "updated_at",
    "approved_at",
    "corrected_at",
    "correction_note",
    "retracted_at",
    "retraction_note",
    "source_urls",
    "source_titles",
    "source_stances",
)
SOURCE_SEPARATOR = "\n"
# A spreadsheet treats a cell starting with one of these as a formula (or a DDE payload).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
VERDICT_LABELS = dict(Verdict.choices)


def neutralise(value: str) -> str:
    """A text cell that cannot start a formula: a leading apostrophe makes spreadsheets show it as text."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


@register
class CsvFormat(ExportFormat):
    name = "csv"
    label = "CSV (one claim per row)"
    description = (
        "Spreadsheet-friendly; sources' URLs, titles and stances one per line in three columns; "
        "formula-like cells prefixed with '."
    )
    extension = "csv"
    content_type = "text/csv; charset=utf-8"
    schema_file = "csv.schema.json"
    schema_version = "2"
    needs_sources = True
    source_fields = ("url", "title", "stance")

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        # RFC 4180: CRLF between records, quotes around fields holding commas, quotes or newlines.
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def check(self, params: ExportParams) -> dict[str, str]:
        return {}

    def _line(self, cells: list[Any]) -> str:
        self._writer.writerow(cells)
        line = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return line

    def header(self, ctx: ExportContext) -> str:
        return (BOM if ctx.params.bom else "") + self._line(list(COLUMNS))

    def rows(self, bundle: Bundle, ctx: ExportContext) -> Iterator[str]:
        a = bundle.article
        article_cells = [
            a["id"],
            neutralise(a["title"]),
            neutralise(a["url"]),
            neutralise(a["publisher"]),
            iso(a["published_at"]) or "",
        ]
        for c in bundle.claims:
            yield self._line(
                [
                    *article_cells,
                    c["id"],
                    c["start"],
                    c["end"],
                    neutralise(c["quote"]),
                    neutralise(c["claim_text"]),
                    neutralise(c["claimant"]),
                    c["claimant_type"],
                    c["status"],
                    c["verdict"],
                    VERDICT_LABELS.get(c["verdict"], ""),
                    neutralise(c["rationale"]),
                    neutralise(c["created_by_name"] or ""),
                    neutralise(c["reviewed_by_name"] or ""),
                    iso(c["created_at"]),
                    iso(c["updated_at"]),
                    iso(c["approved_at"]) or "",
                    iso(c["corrected_at"]) or "",
                    neutralise(c["correction_note"]),
                    iso(c["retracted_at"]) or "",
                    neutralise(c["retraction_note"]),
                    *_source_cells(c["sources"]),
                ]
            )


def _source_cells(sources: list[dict[str, Any]]) -> list[str]:
    """URLs, titles and stances, one line per source each, so line N of every cell is source N."""
    titles = [" ".join(s["title"].splitlines()) for s in sources]
    return [
        neutralise(SOURCE_SEPARATOR.join(s["url"] for s in sources)),
        neutralise(SOURCE_SEPARATOR.join(titles)),
        SOURCE_SEPARATOR.join(s["stance"] for s in sources),
    ]
