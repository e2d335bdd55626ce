"""Request body limits for every door at once: pages, the API, the admin.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE only guards form parsing, and DRF reads the stream itself,
so an API body of any size used to be read, parsed and stored. Here the declared length is
checked before anything reads the body. Without a Content-Length a WSGI request has no body
for Django (its stream is cut at the declared length), so the header is the whole story.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from .imports.base import human_bytes


def body_limit(request: HttpRequest) -> tuple[int, str]:
    """The most bytes this request may send, and the setting that says so."""
    if request.content_type == "multipart/form-data":
        return settings.REQUEST_MAX_UPLOAD_BYTES, "REQUEST_MAX_UPLOAD_BYTES"
    return settings.REQUEST_MAX_BODY_BYTES, "REQUEST_MAX_BODY_BYTES"


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return self._refuse(request, 400, f"Content-Length {raw[:40]!r} is not a number of bytes.")
        limit, name = body_limit(request)
        if length > limit:
            return self._refuse(
                request,
                413,
                f"The request body is {human_bytes(length)}; the limit is {human_bytes(limit)} ({name}).",
            )
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, status: int, message: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "body": [message]}, status=status)
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
