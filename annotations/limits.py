"""The size limits of everything people can type or send, in one place.

Models take their ``max_length`` and check constraints from here, ModelForms and DRF
ModelSerializers take theirs from the models, and the importers read the same numbers (or the
model fields), so a page, the API, an importer and a command refuse the same input with the
same number. Limits that deployments tune (article size, upload size, request body size) are
settings; these are fixed by the schema and change only with a migration.

Pure (constants and one JSON helper): imported by models.py and text.py, so nothing here may
import Django.
"""

from __future__ import annotations

# --- free text, per field (characters) -------------------------------------------------------
TITLE_CHARS = 500
URL_CHARS = 2000
PUBLISHER_CHARS = 200
LANGUAGE_CHARS = 16
CLAIMANT_CHARS = 300
# A claim is a sentence or a short passage: its span (and so its quote and the claim text that
# defaults to it) stays well below a page, so one claim can never carry a whole article.
QUOTE_CHARS = 10_000
CLAIM_TEXT_CHARS = 10_000
RATIONALE_CHARS = 20_000
CORRECTION_NOTE_CHARS = 5_000
EXCERPT_CHARS = 10_000
COMMENT_CHARS = 10_000
PROJECT_DESCRIPTION_CHARS = 5_000
MENTION_LABEL_CHARS = 32
TOKEN_NAME_CHARS = 100
# Messages written by the system (a run's or job's error): cut, never refused.
ERROR_CHARS = 2000

# Claims in one bulk write (the API's POST /articles/{id}/claims/): one transaction, so one
# request's work and memory stay bounded.
BULK_CLAIMS_MAX = 10_000

# --- structure -------------------------------------------------------------------------------
# Nesting of a JSON document (an API body, a JSON Lines record). Our deepest legitimate shape is
# line -> claims -> claim -> sources -> source (5); the headroom is for clients' own wrappers.
# Python's parser recurses per level, so very deep input must be refused by a count, not left to
# the interpreter's recursion limit.
JSON_MAX_DEPTH = 32


def json_depth_exceeds(value: object, max_depth: int = JSON_MAX_DEPTH) -> bool:
    """True when parsed JSON nests objects or arrays deeper than ``max_depth``.

    Iterative, so checking hostile input cannot itself run out of stack.
    """
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
