"""Claim operations shared by the desk and the API: span checks and optimistic locking."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from annotations import claims, workflow
from annotations.models import Claim, Role

pytestmark = pytest.mark.django_db

QUOTE = "Russia has the advantage, but we are doing everything we can"


def make(article, author):
    start = article.text.index(QUOTE)
    return claims.create(article=article, by=author, start=start, end=start + len(QUOTE))


def test_it_creates_a_claim_with_quote_context_and_default_claim_text(article, author):
    start = article.text.index(QUOTE)
    claim = claims.create(article=article, by=author, start=start, end=start + len(QUOTE), quote=QUOTE)
    assert claim.quote == QUOTE
    assert claim.claim_text == QUOTE
    assert claim.prefix == article.text[start - 32 : start]
    assert claim.suffix == article.text[claim.end : claim.end + 32]
    assert claim.created_by == author


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start": 10, "end": 5}, "end"),
        ({"start": 0, "end": 10**6}, "end"),
        ({"start": 0, "end": 5, "quote": "nope!"}, "quote"),
        ({"start": 0, "end": 5, "verdict": "pants_on_fire"}, "verdict"),
        ({"start": 0, "end": 5, "status": "published"}, "status"),
    ],
)
def test_it_refuses_bad_input_naming_the_field_and_writes_nothing(article, author, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        claims.create(article=article, by=author, **kwargs)
    assert field in caught.value.message_dict
    assert not Claim.objects.exists()


def test_an_update_with_the_current_version_bumps_it(article, author):
    claim = make(article, author)
    updated = claims.update(claim=claim, by=author, expected_version=1, verdict="false", rationale="Because.")
    assert (updated.version, updated.verdict, updated.rationale) == (2, "false", "Because.")


def test_a_stale_update_is_refused_and_keeps_the_first_change(article, author):
    claim = make(article, author)
    claims.update(claim=claim, by=author, expected_version=1, verdict="false")
    with pytest.raises(claims.StaleVersion) as caught:
        claims.update(claim=claim, by=author, expected_version=1, verdict="true")
    assert caught.value.current.verdict == "false"
    assert caught.value.current.version == 2
    assert Claim.objects.get(pk=claim.pk).verdict == "false"


def test_reselecting_a_span_recomputes_quote_and_context(article, author):
    claim = make(article, author)
    start = article.text.index("Gen. Oleksiy Gromov")
    updated = claims.update(claim=claim, by=author, expected_version=1, start=start, end=start + 19)
    assert updated.quote == "Gen. Oleksiy Gromov"
    assert updated.prefix.endswith("everything we can,” ")


def test_who_may_edit_a_claim():
    assert workflow.can_edit(Role.REVIEWER, is_author=True)
    assert not workflow.can_edit(Role.REVIEWER, is_author=False)
    assert workflow.can_edit(Role.EDITOR, is_author=False)
    assert workflow.can_edit(Role.ADMIN, is_author=False)
    assert not workflow.can_edit(None, is_author=True)
