"""FEVER-style JSONL: claim, label and evidence, the shape fact-verification models train on.

Labels per DESIGN.md; ``mixed`` and ``not_checkable`` have no FEVER label and are left out, as
are claims without a verdict.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from ..models import Claim, Verdict
from .core import Bundle, ExportContext
from .registry import ExportFormat, dumps, register

LABELS: dict[str, str] = {
    Verdict.TRUE: "SUPPORTS",
    Verdict.MOSTLY_TRUE: "SUPPORTS",
    Verdict.MOSTLY_FALSE: "REFUTES",
    Verdict.FALSE: "REFUTES",
    Verdict.MISLEADING: "REFUTES",
    Verdict.UNVERIFIABLE: "NOT ENOUGH INFO",
}


@register
class FeverFormat(ExportFormat):
    name = "fever"
    label = "FEVER-style JSONL (claim, label, evidence)"
    description = "One claim per line labelled SUPPORTS, REFUTES or NOT ENOUGH INFO, with its evidence."
    extension = "jsonl"
    content_type = "application/x-ndjson; charset=utf-8"
    schema_file = "fever.schema.json"
    needs_sources = True
    source_fields = ("url", "title", "excerpt", "stance")

    def scope(self, claims: QuerySet[Claim]) -> QuerySet[Claim]:
        return claims.filter(verdict__in=list(LABELS))

    def rows(self, bundle: Bundle, ctx: ExportContext) -> Iterator[str]:
        a = bundle.article
        for c in bundle.claims:
            label = LABELS[c["verdict"]]
            yield dumps(
                {
                    "id": c["id"],
                    "verifiable": "NOT VERIFIABLE" if label == "NOT ENOUGH INFO" else "VERIFIABLE",
                    "claim": c["claim_text"] or c["quote"],
                    "label": label,
                    "verdict": c["verdict"],
                    "evidence": [
                        {"url": s["url"], "title": s["title"], "excerpt": s["excerpt"], "stance": s["stance"]}
                        for s in c["sources"]
                    ],
                    "article": {"id": a["id"], "title": a["title"], "url": a["url"]},
                    "quote": c["quote"],
                    "start": c["start"],
                    "end": c["end"],
                }
            ) + "\n"
