"""An HTML page: its main text extracted with trafilatura; the markup is never rendered.

Extraction works on the parsed tree only: no scripts run, nothing is fetched (links, images and
frames stay unresolved), and the stored text is plain text, escaped wherever it is shown.
"""

from __future__ import annotations

import re

from .base import ArticleRecord, ImportProblem, Metadata, Parser, check_size, decode, single_record

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its first bytes (<meta charset> or http-equiv)."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


def extract(html: str, *, source: str) -> tuple[str, dict[str, object]]:
    """(main text, guessed metadata) of an HTML document."""
    import trafilatura
    from trafilatura.settings import Document

    document = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_recall=True,
        deduplicate=False,
    )
    text = getattr(document, "text", None) if isinstance(document, Document) else None
    if not isinstance(document, Document) or not text or not text.strip():
        raise ImportProblem("no article text was found in this HTML page.", source=source, field="file")
    guessed: dict[str, object] = {
        "title": document.title or "",
        "publisher": document.sitename or "",
        "published_at": document.date or "",
        "url": document.url or "",
        "language": (document.language or "")[:16],
    }
    return text, guessed


class HtmlParser(Parser):
    name = "html"
    label = "Web page (.html)"
    extensions = (".html", ".htm", ".xhtml")
    content_types = ("text/html", "application/xhtml+xml")

    def parse(self, data: bytes, *, source: str, metadata: Metadata, charset: str | None = None) -> list[ArticleRecord]:
        check_size(len(data), source)
        text = decode(data, source=source, declared=charset or declared_charset(data))
        return self.parse_text(text, source=source, metadata=metadata)

    def parse_text(self, text: str, *, source: str, metadata: Metadata) -> list[ArticleRecord]:
        body, guessed = extract(text, source=source)
        return [single_record(body, source=source, metadata=metadata, guessed=guessed)]
