"""A plain-text file: the whole file is the article; the title is given or its first line."""

from __future__ import annotations

from .base import ArticleRecord, Metadata, Parser, single_record


class TxtParser(Parser):
    name = "txt"
    label = "Plain text (.txt)"
    extensions = (".txt", ".text")
    content_types = ("text/plain",)

    def parse_text(self, text: str, *, source: str, metadata: Metadata) -> list[ArticleRecord]:
        return [single_record(text, source=source, metadata=metadata)]
