"""ClaimReview (schema.org JSON-LD): what fact-check sites publish and aggregators read.

One ClaimReview per approved claim with a verdict that has a rating; the mapping is DESIGN.md's.
Every property and type is a schema.org term (tests expand the output against the schema.org
context and check each term against the vocabulary). The publisher comes from the project's
settings: an export that would lack a property Google requires (``url``) or the review's author
refuses, naming the setting, instead of writing reviews an aggregator drops.
"""

from __future__ import annotations

from collections.abc import Iterator
from string import Formatter
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.encoding import iri_to_uri

from ..models import Claim, ClaimantType, ClaimStatus, Verdict
from .core import Bundle, ExportContext
from .params import ExportParams
from .registry import ExportFormat, dumps, iso, register

if TYPE_CHECKING:
    from ..models import Project

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
# Where two verdicts share a value, or one has none, the rating says why (Rating.description):
# a reader of the number alone could not tell misleading from mostly false.
RATING_NOTES: dict[str, str] = {
    Verdict.MISLEADING: (
        "Misleading: the facts may be accurate, but the claim gives a false impression. Rated 2 of 5, "
        "the value Mostly false also has."
    ),
    Verdict.MOSTLY_FALSE: (
        "Mostly false: largely inaccurate. Rated 2 of 5, the value Misleading also has; the name tells them apart."
    ),
    Verdict.UNVERIFIABLE: "Unverifiable: the evidence available cannot settle it, so it has no value on the 1-5 scale.",
}
# Placeholders a review URL template may use.
URL_FIELDS = ("claim_id", "article_id", "project")
SETTINGS_PAGE = "the project's Members & settings page, Publisher"


def rating(verdict: str) -> dict[str, Any]:
    value = RATINGS[verdict]
    result: dict[str, Any] = {"@type": "Rating"}
    if value is not None:
        result.update(ratingValue=value, bestRating=5, worstRating=1)
    # Google requires alternateName (the rating as a phrase); name is the same human label.
    result.update(alternateName=LABELS[verdict], name=LABELS[verdict])
    if verdict in RATING_NOTES:
        result["description"] = RATING_NOTES[verdict]
    return result


def template_problem(template: str) -> str | None:
    """Why a review URL template cannot be used, or None when it can."""
    try:
        names = {name for _text, name, _spec, _conv in Formatter().parse(template) if name is not None}
    except ValueError as error:
        return f"the template is not valid ({error}); write placeholders as {{claim_id}}."
    unknown = sorted(names - set(URL_FIELDS))
    if unknown:
        return f"{{{unknown[0]}}} is not a placeholder; use {', '.join('{' + n + '}' for n in URL_FIELDS)}."
    if "claim_id" not in names:
        return "the template must contain {claim_id}, so that each review has its own URL."
    if not template.startswith(("https://", "http://")):
        return "the template must be an http(s) URL."
    return None


def review_url(project: Project, claim_id: int, article_id: int) -> str:
    return project.review_url_template.format(claim_id=claim_id, article_id=article_id, project=project.slug)


def _citation(source: dict[str, Any]) -> dict[str, Any]:
    """A source as the page the review cites, with its archived copies.

    ``archivedAt`` holds the archived URL typed with the source and the workbench's latest
    capture: a WebPage created at the capture's time, identified by the SHA-256 of the page as
    received (the copy itself is behind the workbench's login, so it has no public URL).
    """
    page: dict[str, Any] = {"@type": "WebPage", "url": iri_to_uri(source["url"])}
    if source["title"]:
        page["name"] = source["title"]
    archived: list[Any] = []
    if source["archived_url"]:
        archived.append(iri_to_uri(source["archived_url"]))
    if source["captures"]:
        latest = source["captures"][-1]
        archived.append(
            {"@type": "WebPage", "dateCreated": iso(latest["fetched_at"]), "identifier": f"sha256:{latest['sha256']}"}
        )
    if archived:
        page["archivedAt"] = archived
    return page


def _day(value: str | None) -> str | None:
    return value[:10] if value else None  # ISO 8601 text: its date is the first 10 characters


@register
class ClaimReviewFormat(ExportFormat):
    name = "claimreview"
    label = "ClaimReview (schema.org JSON-LD)"
    description = "One ClaimReview per approved claim with a rated verdict, as a JSON array."
    extension = "json"
    content_type = "application/ld+json; charset=utf-8"
    schema_file = "claimreview.schema.json"
    schema_version = "3"
    separator = ",\n"
    needs_sources = True
    needs_captures = True
    source_fields = ("url", "title", "archived_url")

    def check(self, params: ExportParams) -> dict[str, str]:
        errors = super().check(params)
        if params.include_unreviewed or any(s != ClaimStatus.APPROVED for s in params.status):
            errors["include_unreviewed"] = "ClaimReview publishes approved claims only."
        return errors

    def check_project(self, project: Project) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not project.publisher_name.strip():
            errors["publisher_name"] = (
                f"ClaimReview needs the publisher name (the review's author): set it on {SETTINGS_PAGE}."
            )
        if not project.publisher_url:
            errors["publisher_url"] = (
                f"ClaimReview needs the publisher URL (the author's url): set it on {SETTINGS_PAGE}."
            )
        if not project.review_url_template:
            errors["review_url_template"] = (
                "ClaimReview needs the review URL template (every review's url, which Google requires), "
                f"e.g. https://example.org/checks/{{claim_id}}: set it on {SETTINGS_PAGE}."
            )
        else:
            problem = template_problem(project.review_url_template)
            if problem:
                errors["review_url_template"] = f"review URL template: {problem}"
        return errors

    def scope(self, claims: QuerySet[Claim]) -> QuerySet[Claim]:
        # A retracted check is withdrawn: it is not published as a rating (JSONL and CSV keep it).
        return claims.filter(status=ClaimStatus.APPROVED, verdict__in=list(RATINGS), retracted_at__isnull=True)

    def header(self, ctx: ExportContext) -> str:
        return "[\n"

    def footer(self, ctx: ExportContext, row_count: int) -> str:
        return "\n]\n" if row_count else "]\n"

    def rows(self, bundle: Bundle, ctx: ExportContext) -> Iterator[str]:
        project = ctx.project
        a = bundle.article
        # URLs with non-ASCII characters are IRIs; schema.org's URL is a URI, so they are %-encoded.
        publisher: dict[str, Any] = {
            "@type": "Organization",
            "name": project.publisher_name,
            "url": iri_to_uri(project.publisher_url),
        }
        if project.publisher_logo_url:
            publisher["logo"] = iri_to_uri(project.publisher_logo_url)
        appearance: dict[str, Any] = {"@type": "CreativeWork", "headline": a["title"]}
        # An article without a URL cannot be linked: its appearance is described, not pointed to.
        if a["url"]:
            appearance["url"] = iri_to_uri(a["url"])
        if a["published_at"]:
            appearance["datePublished"] = _day(iso(a["published_at"]))  # the UTC day
        if a["publisher"]:
            appearance["publisher"] = {"@type": "Organization", "name": a["publisher"]}
        for c in bundle.claims:
            item: dict[str, Any] = {"@type": "Claim", "appearance": appearance}
            if c["claimant"]:
                kind = "Organization" if c["claimant_type"] == ClaimantType.ORGANIZATION else "Person"
                item["author"] = {"@type": kind, "name": c["claimant"]}
            if a["published_at"]:
                # When the claim entered public discourse: the day the article carrying it appeared.
                item["datePublished"] = appearance["datePublished"]
            review: dict[str, Any] = {
                "@context": "https://schema.org",
                "@type": "ClaimReview",
                "identifier": str(c["id"]),
                "url": review_url(project, c["id"], a["id"]),
                "claimReviewed": c["claim_text"] or c["quote"],
                "reviewRating": rating(c["verdict"]),
                "itemReviewed": item,
                "author": publisher,
                # Published when first approved; a claim approved before that was recorded has
                # its last change, the best date known.
                "datePublished": _day(iso(c["approved_at"]) or iso(c["updated_at"])),
            }
            if c["rationale"]:
                review["reviewBody"] = c["rationale"]
            if c["sources"]:
                review["citation"] = [_citation(s) for s in c["sources"]]
            if c["corrected_at"]:
                corrected = _day(iso(c["corrected_at"]))
                review["dateModified"] = corrected
                review["correction"] = {
                    "@type": "CorrectionComment",
                    "text": c["correction_note"],
                    "datePublished": corrected,
                }
            yield dumps(review)
