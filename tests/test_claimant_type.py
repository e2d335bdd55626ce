"""Whether the claimant is a person or an organisation: set on the desk and through the API, exported."""

from __future__ import annotations

from django.urls import reverse

from annotations import claims
from annotations.models import Claim

SENTENCE = "Russia has the advantage, but we are doing everything we can"


def make_claim(article, author) -> Claim:
    start = article.text.index(SENTENCE)
    return claims.create(article=article, by=author, start=start, end=start + len(SENTENCE),
                         claimant="Ukraine’s armed forces")  # fmt: skip


def test_it_sets_the_claimant_type_on_the_desk(client_for, author, article):
    claim = make_claim(article, author)
    url = reverse("claim-edit", args=[article.project.slug, article.pk, claim.pk])
    client = client_for(author)
    assert 'name="claimant_type"' in client.get(url).content.decode()
    data = {"claim_text": claim.claim_text, "claimant": claim.claimant, "verdict": "", "status": "unstarted",
            "rationale": "", "version": claim.version}  # fmt: skip
    assert client.post(url, {**data, "claimant_type": "organization"}).status_code == 200
    claim.refresh_from_db()
    assert (claim.claimant_type, claim.version) == ("organization", 2)
    assert client.post(url, {**data, "version": 2, "rationale": "Said on Thursday."}).status_code == 200
    claim.refresh_from_db()
    assert claim.claimant_type == "organization"  # a form without the field leaves it alone


def test_it_sets_the_claimant_type_through_the_api(api_client_for, author, article):
    claim = make_claim(article, author)
    client = api_client_for(author)
    response = client.patch(f"/api/v1/claims/{claim.pk}/", {"claimant_type": "organization"}, format="json",
                            HTTP_IF_MATCH='"1"')  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["claimant_type"] == "organization"
    claim.refresh_from_db()
    assert claim.claimant_type == "organization"
    bad = client.patch(f"/api/v1/claims/{claim.pk}/", {"claimant_type": "robot"}, format="json", HTTP_IF_MATCH='"2"')
    assert bad.status_code == 400 and "claimant_type" in bad.json()
