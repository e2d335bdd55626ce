"""Request body limits for every door at once (pages, the API, the admin), and the API's token fast path.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE only guards form parsing, and DRF reads the stream itself,
so an API body of any size used to be read, parsed and stored. Here the declared length is
checked before anything reads the body. Without a Content-Length a WSGI request has no body
for Django (its stream is cut at the declared length), so the header is the whole story.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import middleware as messages_middleware
from django.contrib.sessions import middleware as sessions_middleware
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


# --- the API's token fast path ---------------------------------------------------------------


def is_token_api_request(request: HttpRequest) -> bool:
    """An API call that authenticates with ``Authorization: Token ...`` and so carries no session.

    Such a request is authenticated by DRF's TokenAuthentication or refused: a wrong token is a
    401, never a fall-back to the session, so skipping the session here cannot turn a cookie
    into credentials without CSRF protection.
    """
    return request.path_info.startswith("/api/") and request.META.get("HTTP_AUTHORIZATION", "")[:6].lower() == "token "


class SessionMiddleware(sessions_middleware.SessionMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if not is_token_api_request(request):
            super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not hasattr(request, "session"):
            return response
        return super().process_response(request, response)


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if is_token_api_request(request):
            # DRF sets the token's user on the request once it has checked the token.
            request.user = AnonymousUser()
            return
        super().process_request(request)


class MessageMiddleware(messages_middleware.MessageMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if not is_token_api_request(request):
            super().process_request(request)
