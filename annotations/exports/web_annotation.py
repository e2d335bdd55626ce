"""W3C Web Annotation (JSON-LD): one Annotation per claim, anchored by quote and by position.

Positions are Unicode code points over the stored (NFC-normalised) article text, which is what
the Web Annotation model's TextPositionSelector counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..models import Verdict
from .core import Bundle, ExportContext
from .registry import ExportFormat, dumps, iso, register

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
LABELS = dict(Verdict.choices)


def article_iri(article: dict[str, Any]) -> str:
    return article["url"] or f"urn:x-workbench:article:{article['id']}"


@register
class WebAnnotationFormat(ExportFormat):
    name = "webannotation"
    label = "W3C Web Annotation (JSON-LD)"
    description = "An AnnotationCollection; each claim an Annotation with TextQuote and TextPosition selectors."
    extension = "jsonld"
    content_type = "application/ld+json; charset=utf-8"
    schema_file = "webannotation.schema.json"
    separator = ",\n"

    def header(self, ctx: ExportContext) -> str:
        head = dumps(
            {
                "@context": CONTEXT,
                "id": f"urn:x-workbench:project:{ctx.project.slug}:annotations",
                "type": "AnnotationCollection",
                "label": f"Claims of {ctx.project.name}",
            }
        )
        # The count is only known at the end: "total" is written after the items.
        return head[:-1] + ',"first":{"type":"AnnotationPage","items":[\n'

    def footer(self, ctx: ExportContext, row_count: int) -> str:
        return ("\n" if row_count else "") + "]}," + f'"total":{row_count}}}\n'

    def rows(self, bundle: Bundle, ctx: ExportContext) -> Iterator[str]:
        a = bundle.article
        source = article_iri(a)
        for c in bundle.claims:
            body: list[dict[str, Any]] = []
            if c["verdict"]:
                body.append(_text_body("assessing", LABELS[c["verdict"]]))
            if c["rationale"]:
                body.append(_text_body("commenting", c["rationale"]))
            annotation: dict[str, Any] = {
                "id": f"urn:x-workbench:claim:{c['id']}",
                "type": "Annotation",
                "motivation": "assessing",
                "created": iso(c["created_at"]),
                "modified": iso(c["updated_at"]),
            }
            if c["created_by_name"]:
                annotation["creator"] = {"type": "Person", "nickname": c["created_by_name"]}
            if body:
                annotation["body"] = body
            annotation["target"] = {
                "source": source,
                "selector": [
                    {"type": "TextQuoteSelector", "exact": c["quote"], "prefix": c["prefix"], "suffix": c["suffix"]},
                    {"type": "TextPositionSelector", "start": c["start"], "end": c["end"]},
                ],
            }
            yield dumps(annotation)


def _text_body(purpose: str, value: str) -> dict[str, str]:
    return {"type": "TextualBody", "purpose": purpose, "value": value, "format": "text/plain"}
