"""The "same claim as …" line on the desk's cards, read with the claims in the same query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse

from ..models import Claim, ClaimLink, Membership


@dataclass(frozen=True)
class LinkView:
    """What a card shows of "same claim as …": the text and link only when the reader may see the target."""

    visible: bool
    text: str
    url: str
    verdict_label: str
    publisher: str
    is_claim: bool


def with_links(claims_qs: QuerySet[Claim], user: Any) -> QuerySet[Claim]:
    """The claims with their "same claim as" target and how many later claims repeat each: no extra query."""
    repeats = (
        ClaimLink.objects.filter(earlier_claim=OuterRef("pk"))
        .values("earlier_claim")
        .annotate(n=Count("pk"))
        .values("n")
    )
    member = Membership.objects.filter(user_id=user.pk)
    return claims_qs.select_related("same_as__earlier_claim__article__project", "same_as__fact_check").annotate(
        repeat_count=Subquery(repeats),
        same_as_visible=Exists(member.filter(project_id=OuterRef("same_as__earlier_claim__article__project_id")))
        | Exists(member.filter(project_id=OuterRef("same_as__fact_check__project_id"))),
    )


def link_view(claim: Claim) -> LinkView | None:
    try:
        link = claim.same_as
    except ClaimLink.DoesNotExist:
        return None
    visible = bool(getattr(claim, "same_as_visible", False))
    if link.earlier_claim is not None:
        earlier = link.earlier_claim
        project = earlier.article.project
        return LinkView(
            visible=visible,
            text=earlier.claim_text or earlier.quote,
            url=reverse("claim-workflow", args=[project.slug, earlier.pk]),
            verdict_label=earlier.get_verdict_display() if earlier.verdict else "",
            publisher=project.publisher_name or project.name,
            is_claim=True,
        )
    check = link.fact_check
    assert check is not None
    return LinkView(
        visible=visible,
        text=check.claim_reviewed,
        url=check.url,
        verdict_label=check.rating_label or (check.get_verdict_display() if check.verdict else ""),
        publisher=check.publisher_name,
        is_claim=False,
    )
