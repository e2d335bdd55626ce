"""Guessing passwords and tokens: the login locks a username and address, the API throttles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"  # tests/factories.py


def attempt(client, username: str, password: str, address: str = "203.0.113.7", **headers: str):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def test_it_locks_a_username_and_address_after_five_failures(client, author, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert attempt(client, "author", "wrong").status_code == 200
    assert attempt(client, "author", "wrong").status_code == 429  # the fifth failure locks
    locked = attempt(client, "author", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_three_hundred_guesses_get_nowhere(client, author):
    answers = {attempt(client, "author", f"guess-{n}").status_code for n in range(300)}
    assert answers == {200, 429}
    assert attempt(client, "author", PASSWORD).status_code == 429


def test_another_address_or_another_user_is_not_locked_out(client, author, editor):
    for _ in range(5):
        attempt(client, "author", "wrong")
    assert attempt(client, "author", PASSWORD, address="198.51.100.9").status_code == 302
    client.logout()
    assert attempt(client, "editor", PASSWORD).status_code == 302


def test_a_successful_login_resets_the_count(client, author):
    for _ in range(4):
        attempt(client, "author", "wrong")
    assert attempt(client, "author", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "author", "wrong")
    assert attempt(client, "author", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, author, settings):
    for _ in range(5):
        attempt(client, "author", "wrong")
    assert attempt(client, "author", PASSWORD).status_code == 429
    # As if the cool-off had passed: the recorded failures are older than it.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME * timedelta(hours=1) - timedelta(minutes=1)
    )
    assert attempt(client, "author", PASSWORD).status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked(client, author, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for _ in range(5):
        attempt(client, "author", "wrong", address=proxy, HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.7")
    locked = attempt(client, "author", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert locked.status_code == 429
    # Someone else behind the same proxy still logs in.
    assert attempt(client, "author", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 302


def test_the_api_throttles_a_token_user(api_client_for, author, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "user": "3/minute"}
    api = api_client_for(author)
    assert [api.get("/api/v1/projects/").status_code for _ in range(3)] == [200, 200, 200]
    throttled = api.get("/api/v1/projects/")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert "throttled" in throttled.json()["detail"]


def test_guessing_tokens_is_throttled_by_address(api_client_for, author, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token-failure": "3/minute"}
    guesser = APIClient(REMOTE_ADDR="203.0.113.7")
    answers = [guesser.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token guess-{n}").status_code for n in range(5)]
    assert answers == [401, 401, 401, 429, 429]
    # Another address with a real token is unaffected.
    assert api_client_for(author).get("/api/v1/projects/", REMOTE_ADDR="198.51.100.9").status_code == 200


def test_an_empty_rate_turns_a_throttle_off(api_client_for, author, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "user": None}
    api = api_client_for(author)
    assert {api.get("/api/v1/projects/").status_code for _ in range(20)} == {200}
