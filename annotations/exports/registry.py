"""The export formats: each a small class registered by name, streaming rows from bundles.

A format says which data it needs (article text, sources, mentions), which claims it keeps
(``scope``), and how one article's bundle becomes rows of text. Framing (header, separator,
footer) lets a JSON array or a CSV header stream without holding the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from django.db.models import QuerySet

from .encoding import SOURCE_FIELDS, dumps, iso

__all__ = ["FORMATS", "ExportFormat", "dumps", "format_choices", "get_format", "iso", "register"]

if TYPE_CHECKING:
    from ..models import Claim, Project
    from .core import Bundle, ExportContext
    from .params import ExportParams

FORMATS: dict[str, type[ExportFormat]] = {}


def register(cls: type[ExportFormat]) -> type[ExportFormat]:
    FORMATS[cls.name] = cls
    return cls


def get_format(name: str) -> ExportFormat:
    """The format called ``name``; KeyError when there is none (parse_params reports it nicely)."""
    return FORMATS[name]()


def format_choices() -> list[tuple[str, str]]:
    return [(name, cls.label) for name, cls in FORMATS.items()]


class ExportFormat:
    name: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str]
    extension: ClassVar[str]
    content_type: ClassVar[str]
    schema_file: ClassVar[str]
    # Bumped whenever the shape of a row changes; written into every manifest.
    schema_version: ClassVar[str] = "1"
    # What one row is: "article" for JSONL, "claim" for the others.
    unit: ClassVar[str] = "claim"
    needs_text: ClassVar[bool] = False
    needs_sources: ClassVar[bool] = False
    needs_mentions: ClassVar[bool] = False
    needs_comments: ClassVar[bool] = False
    # Each source's finished captures (``source["captures"]``, oldest first; needs_sources too).
    needs_captures: ClassVar[bool] = False
    # Each claim's "same claim as" link (its target claim's id, or the fact check's fields).
    needs_links: ClassVar[bool] = False
    # The source columns the format writes (all of them, and who added each, by default).
    source_fields: ClassVar[tuple[str, ...]] = SOURCE_FIELDS
    # A full dump (include_unreviewed, no claim filter) keeps articles without claims.
    includes_empty_articles: ClassVar[bool] = False
    separator: ClassVar[str] = ""
    # Rows come from ``row_bytes`` as UTF-8 rather than from ``rows`` as text.
    encodes_rows: ClassVar[bool] = False

    def check(self, params: ExportParams) -> dict[str, str]:
        """Errors for parameters this format cannot honour, by field."""
        if params.bom:
            return {"bom": "bom (a UTF-8 byte order mark) only applies to the CSV format."}
        return {}

    def check_project(self, project: Project) -> dict[str, str]:
        """Errors for project settings the format needs and the project lacks, keyed by the setting."""
        return {}

    def scope(self, claims: QuerySet[Claim]) -> QuerySet[Claim]:
        """Claims the format leaves out whatever the filters say (e.g. verdicts it cannot express)."""
        return claims

    def header(self, ctx: ExportContext) -> str:
        return ""

    def rows(self, bundle: Bundle, ctx: ExportContext) -> Iterator[str]:
        raise NotImplementedError

    def row_bytes(self, bundle: Bundle, ctx: ExportContext) -> Iterator[bytes]:
        """The rows as UTF-8: what a format whose encoder writes bytes (orjson) overrides."""
        for row in self.rows(bundle, ctx):
            yield row.encode("utf-8")

    def footer(self, ctx: ExportContext, row_count: int) -> str:
        return ""

    def filename(self, project_slug: str, when: datetime, scope: str = "") -> str:
        middle = f"-{scope}" if scope else ""
        return f"{project_slug}-{self.name}{middle}-{when:%Y%m%d-%H%M%S}.{self.extension}"
