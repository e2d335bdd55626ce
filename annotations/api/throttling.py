"""API throttles: anonymous calls by address, authenticated calls by user, bad tokens by address.

Rates come from settings.API_THROTTLE_RATES (read on every request, so a deployment's
environment, or a test, sets them). The counts live in Django's cache: set CACHE_URL to share
them between web processes. A cache that is down lets requests through (and logs it): the
throttle protects the service, it must not be the thing that takes it down.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from ..security import client_ip

logger = logging.getLogger(__name__)


class _SettingsRate(SimpleRateThrottle):
    """Mixin: the rate of ``scope`` from settings.API_THROTTLE_RATES, the address from client_ip."""

    scope: str

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request: Request) -> str:
        return client_ip(request)

    def allow_request(self, request: Request, view: Any) -> bool:
        # DRF reads the rate once, in __init__; read it per request instead.
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache backend failed: let the request through, say so in the log
            logger.warning("API throttle %s skipped: the cache is unavailable", self.scope, exc_info=True)
            return True


class AnonThrottle(_SettingsRate, AnonRateThrottle):
    scope = "anon"


class UserThrottle(_SettingsRate, UserRateThrottle):
    scope = "user"


class TokenFailureThrottle(_SettingsRate, SimpleRateThrottle):
    """Failed token logins per client address: guessing keys gets 429 instead of endless 401s.

    DRF checks throttles after authentication, so a bad token (401) never reaches the other
    throttles; the token authentication asks this one before and after each failure.
    """

    scope = "token-failure"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def check(self, request: Request) -> None:
        """Raise Throttled while this address is over its allowance of failures."""
        rate = self.get_rate()
        if rate is None:
            return
        limit, duration = self.parse_rate(rate)
        if limit is None or duration is None:  # parse_rate gives None only for no rate
            return
        try:
            history = [t for t in self.cache.get(self.get_cache_key(request, None), []) if t > self.timer() - duration]
        except Exception:
            logger.warning("token failure throttle skipped: the cache is unavailable", exc_info=True)
            return
        if len(history) >= limit:
            raise Throttled(wait=max(0.0, duration - (self.timer() - history[-1])))

    def record(self, request: Request) -> None:
        rate = self.get_rate()
        if rate is None:
            return
        _limit, duration = self.parse_rate(rate)
        if duration is None:  # parse_rate gives None only for no rate
            return
        key = self.get_cache_key(request, None)
        try:
            history = [t for t in self.cache.get(key, []) if t > self.timer() - duration]
            self.cache.set(key, [self.timer(), *history], duration)
        except Exception:
            logger.warning("token failure throttle skipped: the cache is unavailable", exc_info=True)
