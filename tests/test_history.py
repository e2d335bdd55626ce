"""Workflow moves through claims.py, history of every change, open corrections."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotations import claims
from annotations.models import Claim, ClaimStatus, Source
from tests.factories import ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(article, author):
    start = article.text.index("Russia has the advantage")
    return claims.create(article=article, by=author, start=start, end=start + 24, verdict="false")


def test_it_walks_the_whole_workflow_with_four_eyes(claim, author, editor):
    claim = claims.move(claim=claim, target=ClaimStatus.IN_PROGRESS, by=author)
    claim = claims.move(claim=claim, target=ClaimStatus.IN_REVIEW, by=author)
    with pytest.raises(ValidationError, match="at least one source"):
        claims.move(claim=claim, target=ClaimStatus.APPROVED, by=editor)
    SourceFactory(claim=claim)
    claim = claims.move(claim=claim, target=ClaimStatus.APPROVED, by=editor)
    assert (claim.status, claim.reviewed_by, claim.version) == ("approved", editor, 4)


def test_a_reviewer_cannot_approve_and_an_illegal_move_is_refused(claim, author, other_reviewer, editor):
    with pytest.raises(ValidationError, match="cannot go from unstarted to approved"):
        claims.move(claim=claim, target=ClaimStatus.APPROVED, by=author)
    with pytest.raises(PermissionDenied, match="author or an editor"):
        claims.move(claim=claim, target=ClaimStatus.IN_PROGRESS, by=other_reviewer)
    claims.move(claim=claim, target=ClaimStatus.IN_PROGRESS, by=author)
    claims.move(claim=claim, target=ClaimStatus.IN_REVIEW, by=author)
    with pytest.raises(PermissionDenied, match="Only an editor"):
        claims.move(claim=claim, target=ClaimStatus.APPROVED, by=author)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


def test_a_move_with_a_stale_version_is_refused(claim, author):
    with pytest.raises(claims.StaleVersion):
        claims.move(claim=claim, target=ClaimStatus.IN_PROGRESS, by=author, expected_version=claim.version + 1)


def test_history_records_each_change_with_user_and_values(claim, author, editor):
    claims.update(claim=claim, expected_version=1, by=author, verdict="mostly_false")
    claims.update(claim=claim, expected_version=2, by=editor, rationale="Map shows otherwise.")
    records = list(claim.history.order_by("history_date", "history_id"))
    assert [r.history_type for r in records] == ["+", "~", "~"]
    assert [r.history_user for r in records[1:]] == [author, editor]
    delta = records[1].diff_against(records[0])
    assert [(c.field, c.old, c.new) for c in delta.changes if c.field == "verdict"] == [
        ("verdict", "false", "mostly_false")
    ]


def test_status_changes_through_update_follow_the_workflow(claim, author, other_reviewer):
    with pytest.raises(ValidationError) as caught:
        claims.update(claim=claim, expected_version=1, by=author, status="approved")
    assert "cannot go from unstarted to approved" in caught.value.message_dict["status"][0]
    with pytest.raises(PermissionDenied, match="or an editor"):
        claims.update(claim=claim, expected_version=1, by=other_reviewer, status="in_progress")
    updated = claims.update(claim=claim, expected_version=1, by=author, status="in_progress")
    assert updated.status == "in_progress"


def test_changing_an_approved_claim_is_an_open_correction(claim, author, editor):
    SourceFactory(claim=claim)
    for status in ("in_progress", "in_review"):
        claim = claims.move(claim=claim, target=status, by=author)
    claim = claims.move(claim=claim, target="approved", by=editor)
    with pytest.raises(ValidationError) as caught:
        claims.update(claim=claim, expected_version=claim.version, by=editor, verdict="mixed")
    assert caught.value.message_dict["correction_note"] == [
        "This claim is published (approved): say what you corrected and why."
    ]
    assert Claim.objects.get(pk=claim.pk).verdict == "false"
    corrected = claims.update(
        claim=claim,
        expected_version=claim.version,
        by=editor,
        verdict="mixed",
        correction_note="New casualty figures from the UN.",
    )
    assert corrected.corrected_at is not None
    assert corrected.correction_note == "New casualty figures from the UN."
    assert corrected.status == "approved"


def test_source_changes_are_kept_in_history(author):
    source = SourceFactory(claim=ClaimFactory(created_by=author), title="First title")
    source.title = "Better title"
    source.save()
    source_id = source.pk
    source.delete()
    records = list(Source.history.filter(id=source_id).order_by("history_date", "history_id"))
    assert [(r.history_type, r.title) for r in records] == [
        ("+", "First title"),
        ("~", "Better title"),
        ("-", "Better title"),
    ]
