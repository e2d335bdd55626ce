"""W3C Web Annotation (JSON-LD): one Annotation per claim, anchored by quote and by position.

Two shapes: an AnnotationCollection with one embedded AnnotationPage (``webannotation``), and
one Annotation per line (``webannotation-lines``). Every Annotation carries its own ``@context``,
so one taken out of the collection still stands on its own; both pass the MUST schemas of the
W3C test suite (tests/test_export_standards.py).

- Target: the article's URL when it has one (else a URN naming the article), with a
  TextQuoteSelector (exact, prefix, suffix) and a TextPositionSelector. Positions are Unicode
  code points over the stored (NFC-normalised) text, which is what the model counts; prefix and
  suffix are up to 32 code points cut back to whole grapheme clusters, so no flag or skin-tone
  emoji is split (the model: selections SHOULD NOT split a cluster).
- Bodies: the verdict's label (purpose ``assessing``), the rationale (``commenting``), and each
  source as a SpecificResource (purpose ``linking``) whose source is the URL, with the excerpt as
  a TextQuoteSelector, the access date and archived copy as a TimeState, and the stance.
- The context: anno.jsonld, then a small extension context. It defines ``assessing``, which
  the published anno.jsonld lacks (w3c/web-annotation#444; the model and vocabulary have it), and
  ``stance`` in the workbench's namespace (the model has no term for a source's stance).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import regex
from django.db.models import QuerySet
from django.utils.encoding import iri_to_uri

from .. import text as textlib
from ..models import Claim, Verdict
from .core import Bundle, ExportContext
from .registry import ExportFormat, dumps, iso, register

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
WORKBENCH_NS = "https://factcheck-workbench.invalid/ns#"
CONTEXT: list[Any] = [
    ANNO_CONTEXT,
    {"assessing": "oa:assessing", "wb": WORKBENCH_NS, "stance": "wb:stance"},
]
LABELS = dict(Verdict.choices)
_GRAPHEME = regex.compile(r"\X")


def article_iri(article: dict[str, Any]) -> str:
    # A URL with non-ASCII characters is an IRI; the model's ids are URIs, so it is %-encoded.
    return iri_to_uri(article["url"]) if article["url"] else f"urn:x-workbench:article:{article['id']}"


def collection_iri(project_slug: str) -> str:
    return f"urn:x-workbench:project:{project_slug}:annotations"


def _boundaries(text: str, lo: int, hi: int) -> list[int]:
    """Grapheme-cluster boundaries within text[lo:hi], as offsets into text.

    Clusters are found from ``lo`` on, so ``lo`` must itself be a boundary (0, or far enough
    back that the clusters have settled); the caller reads a margin before the window it needs.
    """
    return [match.end() for match in _GRAPHEME.finditer(text, lo, hi)]


def context_on_graphemes(text: str, start: int, end: int, width: int = textlib.CONTEXT_CHARS) -> tuple[str, str]:
    """Prefix and suffix of text[start:end], each at most ``width`` code points of whole clusters.

    The inner ends are the span's own; the outer ends move inward to the nearest cluster
    boundary. Clusters are read from ``width`` code points beyond each window, so they have
    settled by the time they reach it (no real cluster is that long; a longer one only shortens
    the context).
    """
    lo = max(0, start - 2 * width)
    prefix_start = next((b for b in [lo, *_boundaries(text, lo, start)] if b >= start - width), start)
    # Clusters are read past the window too: a cluster cut by the window's end is not a boundary.
    ends = _boundaries(text, end, min(len(text), end + 2 * width))
    suffix_end = max(b for b in [end, *ends] if b <= end + width)
    return text[prefix_start:start], text[end:suffix_end]


def _text_body(purpose: str, value: str, language: str = "") -> dict[str, str]:
    body = {"type": "TextualBody", "purpose": purpose, "value": value, "format": "text/plain"}
    if language:
        body["language"] = language
    return body


def _source_body(source: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = {"id": iri_to_uri(source["url"]), "type": "Text"}
    if source["title"]:
        resource["dcterms:title"] = source["title"]
    body: dict[str, Any] = {"type": "SpecificResource", "purpose": "linking", "source": resource}
    if source["excerpt"]:
        body["selector"] = {"type": "TextQuoteSelector", "exact": source["excerpt"]}
    # The source as it was when captured: our copy's time is the state the excerpt refers to.
    captured = source["captures"][-1]["fetched_at"] if source.get("captures") else None
    if captured or source["accessed_at"]:
        state: dict[str, Any] = {"type": "TimeState", "sourceDate": iso(captured or source["accessed_at"])}
        if source["archived_url"]:
            state["cached"] = iri_to_uri(source["archived_url"])
        body["state"] = state
    body["stance"] = source["stance"]
    return body


def annotation(article: dict[str, Any], claim: dict[str, Any]) -> dict[str, Any]:
    """One claim as a self-contained Annotation (with its @context)."""
    text = article["text"]
    prefix, suffix = context_on_graphemes(text, claim["start"], claim["end"])
    body: list[dict[str, Any]] = []
    if claim["verdict"]:
        body.append(_text_body("assessing", LABELS[claim["verdict"]], "en"))
    if claim["rationale"]:
        body.append(_text_body("commenting", claim["rationale"]))
    body += [_source_body(source) for source in claim["sources"]]
    quote: dict[str, Any] = {"type": "TextQuoteSelector", "exact": claim["quote"]}
    if prefix:
        quote["prefix"] = prefix
    if suffix:
        quote["suffix"] = suffix
    target: dict[str, Any] = {
        "source": article_iri(article),
        "selector": [quote, {"type": "TextPositionSelector", "start": claim["start"], "end": claim["end"]}],
    }
    if article["fetched_at"]:
        # The quote and positions are over the text as fetched then; the page may have changed since.
        target["state"] = {"type": "TimeState", "sourceDate": iso(article["fetched_at"])}
    result: dict[str, Any] = {
        "@context": CONTEXT,
        "id": f"urn:x-workbench:claim:{claim['id']}",
        "type": "Annotation",
        "motivation": "assessing",
        "created": iso(claim["created_at"]),
        "modified": iso(claim["updated_at"]),
    }
    if claim["created_by_name"]:
        result["creator"] = {"type": "Person", "nickname": claim["created_by_name"]}
    if body:
        result["body"] = body
    result["target"] = target
    return result


class _WebAnnotationBase(ExportFormat):
    content_type = "application/ld+json; charset=utf-8"
    schema_file = "webannotation.schema.json"
    schema_version = "2"
    needs_text = True  # prefix and suffix are cut on grapheme clusters of the full text
    needs_sources = True
    needs_captures = True
    source_fields = ("url", "title", "excerpt", "stance", "archived_url", "accessed_at")

    def scope(self, claims: QuerySet[Claim]) -> QuerySet[Claim]:
        # A retracted assessment is withdrawn: not published as an annotation (JSONL and CSV keep it).
        return claims.filter(retracted_at__isnull=True)


@register
class WebAnnotationFormat(_WebAnnotationBase):
    name = "webannotation"
    label = "W3C Web Annotation (JSON-LD collection)"
    description = "An AnnotationCollection; each claim an Annotation with TextQuote and TextPosition selectors."
    extension = "jsonld"
    separator = ",\n"

    def header(self, ctx: ExportContext) -> str:
        collection = collection_iri(ctx.project.slug)
        head = dumps(
            {
                "@context": CONTEXT,
                "id": collection,
                "type": "AnnotationCollection",
                "label": f"Claims of {ctx.project.name}",
            }
        )
        page = dumps({"id": f"{collection}:page:1", "type": "AnnotationPage", "partOf": collection, "startIndex": 0})
        # The count is only known at the end: "total" is written after the items.
        return head[:-1] + ',"first":' + page[:-1] + ',"items":[\n'

    def footer(self, ctx: ExportContext, row_count: int) -> str:
        return ("\n" if row_count else "") + "]}," + f'"total":{row_count}}}\n'

    def rows(self, bundle: Bundle, ctx: ExportContext) -> Iterator[str]:
        for claim in bundle.claims:
            yield dumps(annotation(bundle.article, claim))


@register
class WebAnnotationLinesFormat(_WebAnnotationBase):
    name = "webannotation-lines"
    label = "W3C Web Annotation (JSON-LD, one per line)"
    description = "One self-contained Annotation (with its own @context) per line."
    extension = "jsonl"
    content_type = "application/x-ndjson; charset=utf-8"

    def rows(self, bundle: Bundle, ctx: ExportContext) -> Iterator[str]:
        for claim in bundle.claims:
            yield dumps(annotation(bundle.article, claim)) + "\n"
