"""Refusals from the owner modules (ValidationError, PermissionDenied) in words for a page."""

from __future__ import annotations

import json
from collections.abc import Callable

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse


def refusal_text(error: ValidationError | Exception, *, fields: bool = True) -> str:
    """One line naming each field and its message: what a page shows above the form.

    ``fields=False`` leaves the field names out, where the message sits on the control itself.
    """
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return "; ".join(
            (" ".join(texts) if name == "__all__" or not fields else f"{name}: {' '.join(texts)}")
            for name, texts in error.message_dict.items()
        )
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def add_to_form(form: forms.BaseForm, error: ValidationError) -> None:
    """Put each field's message on the form field of that name, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, texts in error.message_dict.items():
        form.add_error(name if name in form.fields else None, texts)


class HtmxRefusalMiddleware:
    """A refusal raised inside an htmx request answers with its reason, not Django's 403 page.

    The page's htmx config swaps 403 answers into the form or card that asked; a bare refusal
    (no form to show it in) says not to swap and hands the reason to desk.js as an event, which
    shows it as a toast.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.headers.get("HX-Request") != "true":
            return None
        if isinstance(exception, PermissionDenied):
            status = 403
        elif isinstance(exception, ValidationError):
            status = 400
        else:
            return None
        reason = refusal_text(exception) or "You may not make this change."
        response = HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")
        response["HX-Reswap"] = "none"
        response["HX-Trigger"] = json.dumps({"refused": reason})
        return response
