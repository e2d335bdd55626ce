"""One mapping from the owner modules' refusals to API responses.

``annotations.claims`` and the other owner modules raise Django's ValidationError (a field and
its message) and PermissionDenied (the reason); every API view lets them through and this
handler turns them into DRF's 400 and 403 bodies, keeping the owner's words.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..claims import BulkRefused


def as_drf(error: Exception) -> Exception:
    if isinstance(error, DjangoValidationError):
        if hasattr(error, "error_dict"):
            return exceptions.ValidationError(error.message_dict)
        return exceptions.ValidationError({"non_field_errors": error.messages})
    if isinstance(error, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(error) or None)
    return error


def exception_handler(error: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(error, BulkRefused):
        # Per item, so a client can point at each bad claim: [{"index", "field", "message"}].
        status = 403 if error.forbidden else 400
        detail = "Nothing was written: " + (
            "an item asks for something your role does not allow." if error.forbidden else "some items are not valid."
        )
        return Response({"detail": detail, "errors": error.errors}, status=status)
    return drf_exception_handler(as_drf(error), context)
