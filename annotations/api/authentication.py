"""Personal API tokens: ``Authorization: Token <key>``."""

from __future__ import annotations

import hmac
import threading
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from ..models import ApiToken
from .throttling import TokenFailureThrottle

# Writing last_used_at on every request would turn every read into a write; a minute of
# resolution is plenty to tell a live token from a forgotten one.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# Checked tokens, per process, by digest: (checked at, token with its user). Looking the token
# up cost a query (~0.5 ms) on every call. A token revoked, deleted or whose user changes is
# dropped at once in this process (signals below) and within API_TOKEN_CACHE_SECONDS in others.
_checked: dict[str, tuple[float, ApiToken]] = {}
_checked_lock = threading.Lock()


def forget_tokens(**_kwargs: Any) -> None:
    with _checked_lock:
        _checked.clear()


post_save.connect(forget_tokens, sender=ApiToken, dispatch_uid="api-token-cache-save")
post_delete.connect(forget_tokens, sender=ApiToken, dispatch_uid="api-token-cache-delete")
post_save.connect(forget_tokens, sender=get_user_model(), dispatch_uid="api-token-cache-user")


def _lookup(digest: str) -> ApiToken | None:
    ttl = settings.API_TOKEN_CACHE_SECONDS
    now = time.monotonic()
    cached = _checked.get(digest)
    if cached is not None and now - cached[0] < ttl:
        return cached[1]
    token = ApiToken.objects.select_related("user").filter(key_hash=digest).first()
    if token is not None and ttl > 0:
        with _checked_lock:
            if len(_checked) > 10_000:  # a bound, should someone cycle through many valid keys
                _checked.clear()
            _checked[digest] = (now, token)
    return token


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[object, ApiToken] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: use 'Authorization: Token <key>'.")
        failures = TokenFailureThrottle()
        failures.check(request)
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            failures.record(request)
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        digest = ApiToken.hash_key(key)
        # The lookup is by digest, so response timing depends on the hash, not on how much of a
        # guessed key is right; the final comparison is constant-time all the same.
        token = _lookup(digest)
        if token is None or not hmac.compare_digest(token.key_hash, digest):
            failures.record(request)
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This user is inactive.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now  # the cached copy too, or every call would write again
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Naming a scheme makes DRF answer 401 (not 403) to requests without credentials.
        return self.keyword


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "annotations.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A personal token from /settings/tokens/, sent as `Token <key>`.",
        }
