"""CSV (or TSV): one article per row, columns mapped by their header names."""

from __future__ import annotations

import csv
import io

from django.conf import settings

from .. import text as textlib
from .base import ArticleRecord, ImportProblem, Metadata, Parser, parse_when, title_from_text

# record field -> header names accepted for it (compared case-insensitively)
COLUMNS: dict[str, tuple[str, ...]] = {
    "text": ("text", "body", "content", "article", "article_text"),
    "title": ("title", "headline"),
    "url": ("url", "link"),
    "publisher": ("publisher", "source", "outlet"),
    "published_at": ("published_at", "published", "date", "publication_date"),
    "language": ("language", "lang"),
}


def _map_header(header: list[str], source: str) -> dict[str, int]:
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    mapping: dict[str, int] = {}
    for field, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in names:
                mapping[field] = names.index(alias)
                break
    if "text" not in mapping:
        found = ", ".join(repr(name) for name in header if name.strip()) or "none"
        raise ImportProblem(
            f"no text column: name one of {', '.join(COLUMNS['text'])} in the header line (found: {found}).",
            source=source,
            line=1,
            field="text",
        )
    return mapping


class CsvParser(Parser):
    name = "csv"
    label = "CSV (.csv, .tsv) with a header line"
    extensions = (".csv", ".tsv")
    content_types = ("text/csv", "text/tab-separated-values")

    def parse_text(self, text: str, *, source: str, metadata: Metadata) -> list[ArticleRecord]:
        # The default field limit (128 KiB) is below an article's; raise it to ours.
        csv.field_size_limit(max(csv.field_size_limit(), settings.MAX_ARTICLE_CHARS * 4 + 1))
        first_line = text.split("\n", 1)[0]
        delimiter = "\t" if source.lower().endswith(".tsv") or ("\t" in first_line and "," not in first_line) else ","
        if delimiter == "," and first_line.count(";") > first_line.count(","):
            delimiter = ";"
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        try:
            header = next(reader)
        except (StopIteration, csv.Error) as error:
            raise ImportProblem(
                f"the header line cannot be read ({error}).", source=source, line=1, field="file"
            ) from None
        mapping = _map_header(header, source)
        records: list[ArticleRecord] = []
        while True:
            number = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                raise ImportProblem(
                    f"this row is not valid CSV ({error}).", source=source, line=number, field="file"
                ) from None
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise ImportProblem(
                    f"the row has {len(row)} values but the header names {len(header)} columns.",
                    source=source,
                    line=number,
                    field="file",
                )

            def cell(field: str, row: list[str] = row) -> str:
                index = mapping.get(field)
                return row[index].strip() if index is not None and index < len(row) else ""

            body = textlib.normalise(cell("text"))
            if not body:
                raise ImportProblem("the text column is empty.", source=source, line=number, field="text")
            records.append(
                ArticleRecord(
                    title=cell("title") or metadata.title or title_from_text(body),
                    text=body,
                    url=cell("url") or metadata.url,
                    publisher=cell("publisher") or metadata.publisher,
                    published_at=parse_when(
                        cell("published_at") or metadata.published_at or None,
                        source=source,
                        line=number,
                        field_name="published_at",
                    ),
                    language=cell("language") or metadata.language or "en",
                    line=number,
                )
            )
        if not records:
            raise ImportProblem("the file has a header line but no articles.", source=source, field="file")
        return records
