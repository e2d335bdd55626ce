"""FEVER JSONL: claim, label and evidence in the shape the official FEVER scorer reads.

Labels per DESIGN.md; ``mixed`` and ``not_checkable`` have no FEVER label and are left out, as
are claims without a verdict. FEVER evidence is a list of evidence sets, each a list of
``[annotation_id, evidence_id, page, sentence_id]`` that together support the label. Here:

- each source with an excerpt is one evidence set: ``page`` is the source URL, and the excerpt,
  split into sentences, gives the sentence ids (numbered within the row, per page, in order);
  ``annotation_id`` is the claim id, ``evidence_id`` the source id;
- a source whose stance contradicts the label (a "supports" source on a REFUTES claim) is not
  evidence for it; "context" sources are;
- SUPPORTS and REFUTES need evidence, so a claim without an excerpt to show for it is left out
  (FEVER cannot say "verified, evidence unknown"); NOT ENOUGH INFO carries FEVER's
  ``[[[annotation_id, null, null, null]]]``.

The ``workbench`` object carries what FEVER has no place for: the verdict, the article and the
claim's place in it, every source with stance and title, and the text of each evidence sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from ..models import Claim, Source, Stance, Verdict
from .core import Bundle, ExportContext
from .registry import ExportFormat, dumps, register

SUPPORTS, REFUTES, NEI = "SUPPORTS", "REFUTES", "NOT ENOUGH INFO"
LABELS: dict[str, str] = {
    Verdict.TRUE: SUPPORTS,
    Verdict.MOSTLY_TRUE: SUPPORTS,
    Verdict.MOSTLY_FALSE: REFUTES,
    Verdict.FALSE: REFUTES,
    Verdict.MISLEADING: REFUTES,
    Verdict.UNVERIFIABLE: NEI,
}
# The stances that count as evidence for a label.
EVIDENCE_STANCES: dict[str, tuple[str, ...]] = {
    SUPPORTS: (Stance.SUPPORTS, Stance.CONTEXT),
    REFUTES: (Stance.REFUTES, Stance.CONTEXT),
}
# A sentence ends at . ! ? or … (with any closing quotes or brackets) before white space, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*\s+|\n+")


def sentences(excerpt: str) -> list[str]:
    """The sentences of an excerpt, in order, without surrounding white space."""
    parts: list[str] = []
    last = 0
    for match in _SENTENCE_END.finditer(excerpt):
        parts.append(excerpt[last : match.start() + len(match.group().rstrip())])
        last = match.end()
    parts.append(excerpt[last:])
    return [part.strip() for part in parts if part.strip()]


def _verdicts(label: str) -> list[str]:
    return [verdict for verdict, mapped in LABELS.items() if mapped == label]


@register
class FeverFormat(ExportFormat):
    name = "fever"
    label = "FEVER JSONL (claim, label, evidence sets; official scorer format)"
    description = (
        "One claim per line labelled SUPPORTS, REFUTES or NOT ENOUGH INFO, with FEVER evidence sets "
        "(page = source URL, sentences of its excerpt)."
    )
    extension = "jsonl"
    content_type = "application/x-ndjson; charset=utf-8"
    schema_file = "fever.schema.json"
    schema_version = "2"
    needs_sources = True
    source_fields = ("url", "title", "excerpt", "stance")

    def scope(self, claims: QuerySet[Claim]) -> QuerySet[Claim]:
        def has_evidence(label: str) -> Exists:
            evidence = Source.objects.filter(claim_id=OuterRef("pk"), stance__in=EVIDENCE_STANCES[label])
            return Exists(evidence.exclude(excerpt=""))

        # A retracted claim is no gold label (JSONL and CSV keep it).
        return claims.filter(retracted_at__isnull=True).filter(
            Q(verdict__in=_verdicts(NEI))
            | Q(has_evidence(SUPPORTS), verdict__in=_verdicts(SUPPORTS))
            | Q(has_evidence(REFUTES), verdict__in=_verdicts(REFUTES))
        )

    def rows(self, bundle: Bundle, ctx: ExportContext) -> Iterator[str]:
        a = bundle.article
        for c in bundle.claims:
            label = LABELS[c["verdict"]]
            texts: list[dict[str, Any]] = []
            if label == NEI:
                evidence: list[list[list[Any]]] = [[[c["id"], None, None, None]]]
            else:
                evidence = self._evidence_sets(c, label, texts)
                if not evidence:
                    continue  # excerpts of white space only: nothing to show for the label
            yield (
                dumps(
                    {
                        "id": c["id"],
                        "verifiable": "NOT VERIFIABLE" if label == NEI else "VERIFIABLE",
                        "label": label,
                        "claim": c["claim_text"] or c["quote"],
                        "evidence": evidence,
                        "workbench": {
                            "verdict": c["verdict"],
                            "article": {"id": a["id"], "title": a["title"], "url": a["url"]},
                            "quote": c["quote"],
                            "start": c["start"],
                            "end": c["end"],
                            "sources": [
                                {
                                    "id": s["id"],
                                    "url": s["url"],
                                    "title": s["title"],
                                    "stance": s["stance"],
                                    "excerpt": s["excerpt"],
                                }
                                for s in c["sources"]
                            ],  # fmt: skip
                            "sentences": texts,
                        },
                    }
                )
                + "\n"
            )

    @staticmethod
    def _evidence_sets(claim: dict[str, Any], label: str, texts: list[dict[str, Any]]) -> list[list[list[Any]]]:
        sets: list[list[list[Any]]] = []
        next_id: dict[str, int] = {}  # per page: two sources of one URL never share a sentence id
        for source in claim["sources"]:
            if source["stance"] not in EVIDENCE_STANCES[label]:
                continue
            page = source["url"]
            group: list[list[Any]] = []
            for sentence in sentences(source["excerpt"]):
                sentence_id = next_id.get(page, 0)
                next_id[page] = sentence_id + 1
                group.append([claim["id"], source["id"], page, sentence_id])
                texts.append({"page": page, "sentence_id": sentence_id, "text": sentence, "source_id": source["id"]})
            if group:
                sets.append(group)
        return sets
