"""The import formats by name, and how an input finds its parser (explicit name, file name, content type)."""

from __future__ import annotations

from pathlib import PurePath

from .base import ImportProblem, Parser
from .csv import CsvParser
from .html import HtmlParser
from .jsonl import JsonLinesParser
from .md import MarkdownParser
from .paste import PasteParser
from .txt import TxtParser

PARSERS: dict[str, type[Parser]] = {
    parser.name: parser for parser in (PasteParser, TxtParser, MarkdownParser, HtmlParser, JsonLinesParser, CsvParser)
}
# URLs are fetched (url.py) and then parsed by content type with one of the parsers above.
URL_FORMAT = "url"
FILE_FORMATS = [name for name in PARSERS if name != "paste"]


def get_parser(name: str) -> Parser:
    try:
        return PARSERS[name]()
    except KeyError:
        raise ImportProblem(
            f"{name!r} is not an import format; use one of: {', '.join(FILE_FORMATS)}.", field="format"
        ) from None


def parser_for_filename(filename: str) -> Parser:
    suffix = PurePath(filename).suffix.lower()
    for parser in PARSERS.values():
        if suffix in parser.extensions:
            return parser()
    known = ", ".join(ext for parser in PARSERS.values() for ext in parser.extensions)
    raise ImportProblem(
        f"files ending in {suffix or '(no extension)'!r} cannot be imported; use one of: {known}.",
        source=filename,
        field="file",
    )


def parser_for_content_type(content_type: str) -> Parser | None:
    for parser in PARSERS.values():
        if content_type.lower() in parser.content_types:
            return parser()
    return None
