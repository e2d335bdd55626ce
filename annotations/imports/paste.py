"""Text pasted into a form, with its title and metadata typed beside it."""

from __future__ import annotations

from .base import ArticleRecord, Metadata, Parser, single_record


class PasteParser(Parser):
    name = "paste"
    label = "Pasted text"

    def parse_text(self, text: str, *, source: str, metadata: Metadata) -> list[ArticleRecord]:
        return [single_record(text, source=source, metadata=metadata)]
