"""Settings come from the environment and refuse unsafe or malformed values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-c", "import workbench.settings as s; print(s.DATABASES['default']['ENGINE'], s.DEBUG)"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_the_placeholder_secret_key_when_debug_is_off():
    result = _load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is the placeholder and DEBUG is off" in result.stderr


def test_it_accepts_the_placeholder_in_debug_and_defaults_to_sqlite():
    result = _load_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["workbench.sqlite", "True"]


def test_it_reads_database_url():
    result = _load_settings(DEBUG="1", DATABASE_URL="postgres://u@127.0.0.1:5432/x")
    assert result.stdout.split()[0] == "django.db.backends.postgresql"


def test_a_malformed_boolean_fails_loudly():
    result = _load_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


@pytest.mark.django_db
def test_both_databases_flush_commits_by_the_same_rule():
    # DATABASE_DURABLE_COMMITS off (the default): no flush per commit on either database.
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 1  # NORMAL
        else:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "off"
