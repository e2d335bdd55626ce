"""OpenAPI post-processing: every operation documents the errors every endpoint can answer."""

from __future__ import annotations

from typing import Any

_WRITE_METHODS = {"post", "put", "patch"}
_DESCRIPTIONS = {
    "400": "Invalid input: field-level messages.",
    "401": "Not logged in and no valid token.",
    "403": "Your role in the project does not allow this.",
    "404": "Not found (or not in your projects).",
}


def add_common_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Add 401/403/404 (and 400 on writes) where a view's own schema did not list them.

    Views written as plain APIViews (exports, imports) answer these through DRF's exception
    handling like the viewsets do; listing them keeps the schema honest for clients and for
    the schemathesis run that checks every status code against it.
    """
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["401", "403", "404", *(["400"] if method in _WRITE_METHODS else [])]
            for code in codes:
                operation["responses"].setdefault(code, {"description": _DESCRIPTIONS[code], "content": error})
    return result
