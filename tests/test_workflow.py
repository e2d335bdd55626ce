"""The transition matrix: every role against every move, including the four-eyes rules."""

from __future__ import annotations

import itertools

import pytest

from annotations.workflow import (
    TRANSITIONS,
    ClaimFacts,
    TransitionError,
    allowed_targets,
    check_transition,
)

STATUSES = ["unstarted", "in_progress", "in_review", "needs_changes", "approved"]
ROLES = ["reviewer", "editor", "admin", None]


def facts(status: str, *, verdict: str = "false", sources: int = 1, is_author: bool = False) -> ClaimFacts:
    return ClaimFacts(status=status, verdict=verdict, source_count=sources, is_author=is_author)


def expected(frm: str, to: str, role: str | None, is_author: bool) -> bool:
    who = TRANSITIONS.get((frm, to))
    if who is None or role is None:
        return False
    editor = role in {"editor", "admin"}
    if who == "editors":
        return editor and not (to == "approved" and is_author)
    return editor or is_author


@pytest.mark.parametrize(
    ("frm", "to", "role", "is_author"),
    [
        (frm, to, role, is_author)
        for frm, to in itertools.permutations(STATUSES, 2)
        for role in ROLES
        for is_author in (True, False)
    ],
)
def test_the_transition_matrix(frm, to, role, is_author):
    claim = facts(frm, is_author=is_author)
    if expected(frm, to, role, is_author):
        check_transition(claim, to, role)
    else:
        with pytest.raises(TransitionError):
            check_transition(claim, to, role)


def test_the_workflow_has_exactly_the_documented_moves():
    assert set(TRANSITIONS) == {
        ("unstarted", "in_progress"),
        ("unstarted", "in_review"),
        ("in_progress", "in_review"),
        ("in_review", "approved"),
        ("in_review", "needs_changes"),
        ("needs_changes", "in_progress"),
        ("needs_changes", "in_review"),
    }
    assert allowed_targets("in_review") == ["approved", "needs_changes"]


def test_an_author_cannot_approve_their_own_claim_even_as_editor():
    with pytest.raises(TransitionError) as caught:
        check_transition(facts("in_review", is_author=True), "approved", "editor")
    assert caught.value.message == "You cannot approve a claim you wrote: another editor must approve it."
    assert caught.value.forbidden


def test_approval_needs_a_source():
    with pytest.raises(TransitionError) as caught:
        check_transition(facts("in_review", sources=0), "approved", "editor")
    assert caught.value.message == "A claim needs at least one source before it can be approved."
    assert not caught.value.forbidden


def test_not_checkable_claims_are_approved_without_a_source():
    check_transition(facts("in_review", verdict="not_checkable", sources=0), "approved", "editor")


def test_approval_needs_a_verdict():
    with pytest.raises(TransitionError, match="needs a verdict"):
        check_transition(facts("in_review", verdict=""), "approved", "admin")


def test_an_illegal_move_names_the_allowed_ones():
    with pytest.raises(TransitionError) as caught:
        check_transition(facts("unstarted"), "approved", "editor")
    assert caught.value.message == (
        "A claim cannot go from unstarted to approved (allowed from here: in_progress, in_review)."
    )


def test_staying_in_the_same_status_is_not_a_move():
    check_transition(facts("approved"), "approved", "reviewer")
