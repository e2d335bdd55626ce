"""ClaimReview (schema.org JSON-LD): what fact-check sites publish and search engines read.

One ClaimReview per approved claim with a verdict that has a rating; the mapping is DESIGN.md's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from ..models import Claim, ClaimStatus, Verdict
from .core import Bundle, ExportContext
from .params import ExportParams
from .registry import ExportFormat, dumps, iso, register

# ratingValue on a 1 (worst) to 5 (best) scale; None: rated, but not on the scale.
RATINGS: dict[str, int | None] = {
    Verdict.TRUE: 5,
    Verdict.MOSTLY_TRUE: 4,
    Verdict.MIXED: 3,
    Verdict.MISLEADING: 2,
    Verdict.MOSTLY_FALSE: 2,
    Verdict.FALSE: 1,
    Verdict.UNVERIFIABLE: None,
}
NOT_EXPORTED = (Verdict.NOT_CHECKABLE,)
LABELS = dict(Verdict.choices)


def rating(verdict: str) -> dict[str, Any]:
    value = RATINGS[verdict]
    result: dict[str, Any] = {"@type": "Rating", "alternateName": LABELS[verdict]}
    if value is not None:
        result.update(ratingValue=value, bestRating=5, worstRating=1)
    return result


@register
class ClaimReviewFormat(ExportFormat):
    name = "claimreview"
    label = "ClaimReview (schema.org JSON-LD)"
    description = "One ClaimReview per approved claim with a rated verdict, as a JSON array."
    extension = "json"
    content_type = "application/ld+json; charset=utf-8"
    schema_file = "claimreview.schema.json"
    separator = ",\n"

    def check(self, params: ExportParams) -> dict[str, str]:
        errors = super().check(params)
        if params.include_unreviewed or any(s != ClaimStatus.APPROVED for s in params.status):
            errors["include_unreviewed"] = "ClaimReview publishes approved claims only."
        return errors

    def scope(self, claims: QuerySet[Claim]) -> QuerySet[Claim]:
        return claims.filter(status=ClaimStatus.APPROVED, verdict__in=list(RATINGS))

    def header(self, ctx: ExportContext) -> str:
        return "[\n"

    def footer(self, ctx: ExportContext, row_count: int) -> str:
        return "\n]\n" if row_count else "]\n"

    def rows(self, bundle: Bundle, ctx: ExportContext) -> Iterator[str]:
        a = bundle.article
        organisation: dict[str, Any] = {"@type": "Organization", "name": ctx.organisation_name}
        if ctx.organisation_url:
            organisation["url"] = ctx.organisation_url
        appearance: dict[str, Any] = {"@type": "CreativeWork", "headline": a["title"]}
        if a["url"]:
            appearance["url"] = a["url"]
        if a["publisher"]:
            appearance["publisher"] = {"@type": "Organization", "name": a["publisher"]}
        if a["published_at"]:
            appearance["datePublished"] = iso(a["published_at"])[:10]  # the UTC day
        for c in bundle.claims:
            item: dict[str, Any] = {"@type": "Claim", "appearance": appearance}
            if c["claimant"]:
                # Who made the claim is free text: it may be a person or an organisation.
                item["author"] = {"@type": "Person", "name": c["claimant"]}
            review: dict[str, Any] = {
                "@context": "https://schema.org",
                "@type": "ClaimReview",
                "identifier": str(c["id"]),
                "claimReviewed": c["claim_text"] or c["quote"],
                "reviewRating": rating(c["verdict"]),
                "itemReviewed": item,
                "author": organisation,
                "datePublished": iso(c["updated_at"])[:10],
            }
            url = _review_url(ctx, c["id"])
            if url:
                review["url"] = url
            if c["rationale"]:
                review["reviewBody"] = c["rationale"]
            yield dumps(review)


def _review_url(ctx: ExportContext, claim_id: int) -> str:
    if ctx.claimreview_url:
        return ctx.claimreview_url.format(claim_id=claim_id, project=ctx.project.slug)
    if ctx.organisation_url:
        return f"{ctx.organisation_url}#claim-{claim_id}"
    return ""
