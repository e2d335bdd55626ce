"""A Markdown file, reduced to the plain text a reader sees.

Optional front matter (``---`` lines around ``key: value`` pairs) gives the metadata; the first
``#`` heading is the title when no title is given. Markup is removed line by line so each
paragraph stays one line of the stored text.
"""

from __future__ import annotations

import re

from .base import ArticleRecord, Metadata, Parser, single_record

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_KEYS = {
    "title": "title",
    "url": "url",
    "link": "url",
    "publisher": "publisher",
    "source": "publisher",
    "date": "published_at",
    "published": "published_at",
    "published_at": "published_at",
    "language": "language",
    "lang": "language",
}
_INLINE = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images carry no article text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links keep their words
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"<[^>\n]+>"), ""),  # inline HTML tags; their text stays
]
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+")
_BLOCK_PREFIX = re.compile(r"^\s{0,3}(>\s?)+")


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    values: dict[str, str] = {}
    for line in match.group(1).split("\n"):
        key, sep, value = line.partition(":")
        field = _FRONT_KEYS.get(key.strip().lower())
        if sep and field:
            values[field] = value.strip().strip("\"'")
    return values, text[match.end() :]


def markdown_to_text(markdown: str, *, heading_is_title: bool = True) -> tuple[str, str]:
    """(plain text, first heading) of a Markdown document; a heading used as the title leaves the text."""
    lines: list[str] = []
    heading = ""
    in_fence = False

    def add(line: str) -> None:
        # Markdown treats any run of blank lines as one paragraph break.
        if line or (lines and lines[-1]):
            lines.append(line)

    for raw in markdown.split("\n"):
        if raw.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            add(raw)
            continue
        if _RULE.match(raw) or _LINK_DEFINITION.match(raw):
            continue
        line = _BLOCK_PREFIX.sub("", raw)
        match = _HEADING.match(line)
        if match:
            line = match.group(1)
        for pattern, replacement in _INLINE:
            line = pattern.sub(replacement, line)
        if match and not heading:
            heading = line.strip()
            if heading_is_title:
                continue
        if line.strip() or not raw.strip():
            add(line.strip())
    return "\n".join(lines), heading


class MarkdownParser(Parser):
    name = "md"
    label = "Markdown (.md)"
    extensions = (".md", ".markdown")
    content_types = ("text/markdown", "text/x-markdown")

    def parse_text(self, text: str, *, source: str, metadata: Metadata) -> list[ArticleRecord]:
        front, body = _front_matter(text.replace("\r\n", "\n"))
        plain, heading = markdown_to_text(body, heading_is_title=not (metadata.title or front.get("title")))
        guessed: dict[str, object] = {**front}
        guessed.setdefault("title", heading)
        return [single_record(plain, source=source, metadata=metadata, guessed=guessed)]
