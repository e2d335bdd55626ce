"""The seed article with a claim in each of the eight verdicts: the data every export must carry.

Rows are made with factories and the ORM (not through the write services) so that the fixture
holds every state an export meets: approvals by an editor, a correction, a claim flagged by a
text revision, comments, machine and person mentions, sources with and without excerpts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from annotations.models import Article, Claim, ClaimComment, EntityMention, Project, Source, Verdict
from tests.factories import ClaimFactory

# verdict -> (the claim's quote in the seed article, claimant, claimant type, source stance, excerpt)
SEED_CLAIMS: dict[str, tuple[str, str, str, str, str]] = {
    Verdict.TRUE: ("25 Russian battalions attempted to surround the Ukrainian forces", "Vadym Denisenko", "person",
                   "supports", "Twenty-five battalion tactical groups were seen. They moved on the city."),
    Verdict.MOSTLY_TRUE: ("A full-strength battalion has around 800 troops", "CBC News", "organization",
                          "supports", "A battalion tactical group numbers 600 to 1,000 soldiers."),
    Verdict.MIXED: ("more than 40 towns in the region had been shelled in the past 24 hours", "Ukraine’s armed forces",
                    "organization", "context", "Shelling was reported in 31 towns."),
    Verdict.MISLEADING: ("Russia has the advantage, but we are doing everything we can", "Gen. Oleksiy Gromov",
                         "person", "refutes", "The front line did not move that week."),
    Verdict.MOSTLY_FALSE: ("47 civilian sites, including 38 homes and a school", "Ukraine’s armed forces",
                           "organization", "refutes", "Officials counted 29 sites! Most were farm buildings."),
    Verdict.FALSE: ("At least four civilians were killed", "the regional governor", "person", "refutes",
                    "No deaths were recorded in the city that day."),
    Verdict.UNVERIFIABLE: ("Russia moving Iskander missile systems to Belarus’s western Brest region",
                           "Gen. Oleksiy Gromov", "person", "context", ""),
    Verdict.NOT_CHECKABLE: ("new missile strikes on west Ukraine", "Gromov", "person", "context", ""),
}  # fmt: skip

PUBLISHER = {
    "publisher_name": "Luhansk Checks",
    "publisher_url": "https://checks.example/",
    "publisher_logo_url": "https://checks.example/logo.png",
    "review_url_template": "https://checks.example/checks/{claim_id}",
}


def seed_every_verdict(project: Project, article: Article, *, author: Any, editor: Any) -> dict[str, Claim]:
    """One approved claim per verdict on the seed article, each with a source; returns them by verdict."""
    for name, value in PUBLISHER.items():
        setattr(project, name, value)
    project.save()
    Article.objects.filter(pk=article.pk).update(
        url="https://www.cbc.ca/news/world/ukraine-luhansk-1.6467180",
        fetched_at=datetime(2022, 5, 27, 8, 0, tzinfo=UTC),
        published_at=datetime(2022, 5, 26, tzinfo=UTC),
        assignee=author,
    )
    article.refresh_from_db()
    claims: dict[str, Claim] = {}
    for verdict, (quote, claimant, kind, stance, excerpt) in SEED_CLAIMS.items():
        start = article.text.index(quote)
        claim = ClaimFactory(
            article=article, start=start, end=start + len(quote), claim_text=quote, claimant=claimant,
            claimant_type=kind, status="approved", verdict=verdict, rationale=f"Checked: {verdict}.",
            created_by=author, reviewed_by=editor,
        )  # fmt: skip
        Source.objects.create(
            claim=claim, url=f"https://evidence.example/{verdict}", title=f"Evidence for {verdict}",
            publisher="Evidence Desk", excerpt=excerpt, stance=stance, added_by=author,
            accessed_at=datetime(2022, 5, 27, 9, 0, tzinfo=UTC), archived_url=f"https://archive.example/{verdict}",
        )  # fmt: skip
        claims[verdict] = claim
    corrected = claims[Verdict.FALSE]
    Claim.objects.filter(pk=corrected.pk).update(
        corrected_at=datetime(2022, 6, 2, 12, 0, tzinfo=UTC),
        correction_note="The regional governor's count was revised.",
        version=3,
    )
    Claim.objects.filter(pk=claims[Verdict.MIXED].pk).update(
        anchor_status="needs_attention", anchor_confidence=0.62, previous_quote="more than 40 towns"
    )
    ClaimComment.objects.create(claim=claims[Verdict.MISLEADING], author=editor, body="Which week is meant?")
    ClaimComment.objects.create(claim=claims[Verdict.MISLEADING], author=author, body="The week of 23 May.")
    true_claim = claims[Verdict.TRUE]
    EntityMention.objects.create(
        article=article, start=true_claim.start, end=true_claim.start + 2, text=article.text[true_claim.start :
        true_claim.start + 2], label="CARDINAL", model="en_core_web_sm 3.8.0",
    )  # fmt: skip
    at = article.text.index("Denisenko")
    EntityMention.objects.create(article=article, start=at, end=at + 9, text="Denisenko", label="PERSON", model="")
    return {verdict: Claim.objects.get(pk=claim.pk) for verdict, claim in claims.items()}
