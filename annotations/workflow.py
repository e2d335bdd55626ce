"""The claim workflow: which status changes exist and who may make them. Pure, no Django.

    unstarted -> in_progress -> in_review -> approved
                                in_review -> needs_changes -> in_progress

Approval is the four-eyes step: an editor (or admin) who is not the claim's author, and at
least one source unless the verdict is ``not_checkable``.
"""

from __future__ import annotations

from dataclasses import dataclass

UNSTARTED, IN_PROGRESS, IN_REVIEW, NEEDS_CHANGES, APPROVED = (
    "unstarted", "in_progress", "in_review", "needs_changes", "approved",
)
REVIEWER, EDITOR, ADMIN = "reviewer", "editor", "admin"
EDITOR_ROLES = frozenset({EDITOR, ADMIN})

# (from, to) -> who may make the move: "editors" or "authors" (the claim's author or an editor).
TRANSITIONS: dict[tuple[str, str], str] = {
    (UNSTARTED, IN_PROGRESS): "authors",
    (IN_PROGRESS, IN_REVIEW): "authors",
    (IN_REVIEW, APPROVED): "editors",
    (IN_REVIEW, NEEDS_CHANGES): "editors",
    (NEEDS_CHANGES, IN_PROGRESS): "authors",
}


class TransitionError(Exception):
    """An illegal status change; ``message`` says why in words a reviewer understands."""

    def __init__(self, message: str, *, forbidden: bool = False) -> None:
        super().__init__(message)
        self.message = message
        # True when the move exists but this person may not make it (HTTP 403, not 400).
        self.forbidden = forbidden


class StaleClaim(Exception):
    """The claim changed since the caller read it (its version moved on)."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"the claim is now at version {current_version}; reload and try again")
        self.current_version = current_version


@dataclass(frozen=True)
class ClaimFacts:
    status: str
    verdict: str
    source_count: int
    is_author: bool


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
    if role is None:
        raise TransitionError("Only members of the project can change a claim.", forbidden=True)
    if who == "editors" and role not in EDITOR_ROLES:
        raise TransitionError(f"Only an editor can move a claim to {target}.", forbidden=True)
    if who == "authors" and role not in EDITOR_ROLES and not facts.is_author:
        raise TransitionError("Only the claim's author or an editor can change its status.", forbidden=True)
    if target == APPROVED:
        if facts.is_author:
            raise TransitionError(
                "You cannot approve a claim you wrote: another editor must approve it.", forbidden=True
            )
        if not facts.verdict:
            raise TransitionError("A claim needs a verdict before it can be approved.")
        if facts.source_count == 0 and facts.verdict != "not_checkable":
            raise TransitionError("A claim needs at least one source before it can be approved.")
