"""The review rules: which status changes exist and who may make them. Pure, no Django.

    unstarted ----------------> in_review -> approved
    unstarted -> in_progress -> in_review -> needs_changes -> in_progress / in_review

Approval is the four-eyes step: an editor (or admin) who is neither the claim's author nor
anyone who changed its text, verdict or rationale since it was last submitted; and at least
one source unless the verdict is ``not_checkable``.

A published (approved) claim changes only as an open correction: with a note, and it stays
approved only when the person correcting it could have approved it; otherwise it goes back to
review. It is never deleted, only retracted with a note by an editor.

Every door (desk, review page, API, importers, commands, admin) reaches these rules through
``annotations.claims``; the role sets are spelled here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

UNSTARTED, IN_PROGRESS, IN_REVIEW, NEEDS_CHANGES, APPROVED = (
    "unstarted",
    "in_progress",
    "in_review",
    "needs_changes",
    "approved",
)
REVIEWER, EDITOR, ADMIN = "reviewer", "editor", "admin"
MEMBER_ROLES = frozenset({REVIEWER, EDITOR, ADMIN})
EDITOR_ROLES = frozenset({EDITOR, ADMIN})
ADMIN_ROLES = frozenset({ADMIN})

# A new claim starts in one of these; review is a later step.
START_STATUSES = (UNSTARTED, IN_PROGRESS)
# What an import may bring on the importer's word alone (approval needs a second person).
IMPORT_STATUSES = (UNSTARTED, IN_PROGRESS, IN_REVIEW, NEEDS_CHANGES)
# Fields whose change is a change of what the claim says (the four-eyes rule looks at these).
SUBSTANCE_FIELDS = ("claim_text", "verdict", "rationale")
NOT_CHECKABLE = "not_checkable"

# (from, to) -> who may make the move: "editors" or "authors" (the claim's author or an editor).
TRANSITIONS: dict[tuple[str, str], str] = {
    (UNSTARTED, IN_PROGRESS): "authors",
    (UNSTARTED, IN_REVIEW): "authors",
    (IN_PROGRESS, IN_REVIEW): "authors",
    (IN_REVIEW, APPROVED): "editors",
    (IN_REVIEW, NEEDS_CHANGES): "editors",
    (NEEDS_CHANGES, IN_PROGRESS): "authors",
    (NEEDS_CHANGES, IN_REVIEW): "authors",
}

APPROVE_OWN = "You cannot approve a claim you wrote: another editor must approve it."
APPROVE_CHANGED = (
    "You changed this claim's text, verdict or rationale since it was submitted: another editor must approve it."
)
EDIT_REFUSED = "Only the reviewer who marked this claim, or an editor or admin of the project, can change it."
MEMBERS_ONLY = "Only members of the project can change a claim."
EDITORS_ONLY = "Only editors and admins of this project can do this."
ADMINS_ONLY = "Only admins of this project can change its members and settings."
CORRECTION_NOTE_NEEDED = "This claim is published (approved): say what you corrected and why."
PUBLISHED_NOT_DELETED = "This claim is published (approved): retract it with a note instead of deleting it."
NEEDS_SOURCE = "A claim needs at least one source before it can be approved."
KEEPS_SOURCE = "A published claim needs at least one source: add another before removing this one."


class TransitionError(Exception):
    """A refused change; ``message`` says why in words a reviewer understands."""

    def __init__(self, message: str, *, forbidden: bool = False, field: str = "status") -> None:
        super().__init__(message)
        self.message = message
        # True when the move exists but this person may not make it (HTTP 403, not 400).
        self.forbidden = forbidden
        self.field = field


@dataclass(frozen=True)
class ClaimFacts:
    status: str
    verdict: str
    source_count: int
    is_author: bool
    # The person acting changed the claim's substance since it was last submitted for review.
    changed_since_submitted: bool = False


def is_editor(role: str | None) -> bool:
    return role in EDITOR_ROLES


def is_admin(role: str | None) -> bool:
    return role in ADMIN_ROLES


def can_edit(role: str | None, *, is_author: bool) -> bool:
    """Editors and admins change any claim of their project; a reviewer changes the claims they made."""
    return role in EDITOR_ROLES or (role == REVIEWER and is_author)


def can_approve(role: str | None, *, is_author: bool, changed_since_submitted: bool = False) -> bool:
    """Who may be the second pair of eyes (the claim's own state is checked by ``check_transition``)."""
    return role in EDITOR_ROLES and not is_author and not changed_since_submitted


def allowed_targets(current: str) -> list[str]:
    return [to for (frm, to) in TRANSITIONS if frm == current]


def check_transition(facts: ClaimFacts, target: str, role: str | None) -> None:
    """Raise TransitionError unless ``role`` may move a claim described by ``facts`` to ``target``."""
    if target == facts.status:
        return
    who = TRANSITIONS.get((facts.status, target))
    if who is None:
        options = ", ".join(allowed_targets(facts.status)) or "none"
        raise TransitionError(f"A claim cannot go from {facts.status} to {target} (allowed from here: {options}).")
    if role not in MEMBER_ROLES:
        raise TransitionError(MEMBERS_ONLY, forbidden=True)
    if who == "editors" and role not in EDITOR_ROLES:
        raise TransitionError(f"Only an editor can move a claim to {target}.", forbidden=True)
    if who == "authors" and not can_edit(role, is_author=facts.is_author):
        raise TransitionError("Only the claim's author or an editor can change its status.", forbidden=True)
    if target == APPROVED:
        if facts.is_author:
            raise TransitionError(APPROVE_OWN, forbidden=True)
        if facts.changed_since_submitted:
            raise TransitionError(APPROVE_CHANGED, forbidden=True)
        check_publishable(verdict=facts.verdict, source_count=facts.source_count)


def check_publishable(*, verdict: str, source_count: int) -> None:
    """What an approved claim must have, at approval and after every correction."""
    if not verdict:
        raise TransitionError("A claim needs a verdict before it can be approved.", field="verdict")
    if source_count == 0 and verdict != NOT_CHECKABLE:
        raise TransitionError(NEEDS_SOURCE, field="sources")


def moves_for(facts: ClaimFacts, role: str | None) -> list[str]:
    """The status changes this person may make now: what the desk offers, nothing more."""
    moves = []
    for target in allowed_targets(facts.status):
        try:
            check_transition(facts, target, role)
        except TransitionError as refused:
            # A missing verdict or source is something to fix, not a right the person lacks:
            # offer the move, and the refusal then says what is missing.
            if refused.forbidden:
                continue
        moves.append(target)
    return moves


def correction_keeps_approval(role: str | None, *, is_author: bool) -> bool:
    """A change to a published claim stays published only if the one changing it could approve it."""
    return can_approve(role, is_author=is_author)
