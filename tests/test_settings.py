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
    assert result.stdout.split()[0] == "workbench.postgresql"


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


@pytest.mark.django_db
def test_postgresql_plans_a_repeated_statement_once():
    # Prepared statements (DATABASE_PREPARED_STATEMENTS, on by default): the second run of the
    # same statement on a connection uses a plan PostgreSQL kept, instead of parsing it again.
    from django.db import connection

    from annotations.models import Article

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for _ in range(2):
        list(Article.objects.filter(pk=-7).values_list("title"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any('FROM "annotations_article"' in s and "$1" in s for s in prepared), [
        s for s in prepared if "article" in s
    ]


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    show = "import workbench.settings as s; o = s.DATABASES['default']['OPTIONS']; print(o.get('server_side_binding'))"
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    env = {**clean, "DEBUG": "1", "DATABASE_URL": "postgres://u@127.0.0.1:5432/x"}
    on = subprocess.run([sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    off = subprocess.run(
        [sys.executable, "-c", show],
        cwd=ROOT,
        env={**env, "DATABASE_PREPARED_STATEMENTS": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (on.stdout.strip(), off.stdout.strip()) == ("True", "None"), (on.stderr, off.stderr)


@pytest.mark.parametrize("entry", ["workbench.wsgi", "workbench.asgi"])
def test_a_server_worker_loads_the_views_before_its_first_request(entry):
    # The first request a fresh server worker served paid ~0.7 s for importing the URLconf.
    # Celery's app, backend and producer pool cost a fresh worker's first task 60-70 ms; they are
    # built at start too, without a connection: the broker here is a closed port.
    check = (
        f"import sys, time; began = time.monotonic(); import {entry}; from workbench.celery import app; "
        "print('annotations.api.views' in sys.modules, 'workbench.urls' in sys.modules, app.finalized, "
        "hasattr(app._local, 'backend'), app.amqp._producer_pool is not None, time.monotonic() - began < 30)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    env = {**clean, "DEBUG": "1", "CELERY_BROKER_URL": "redis://127.0.0.1:9/0"}
    command = [sys.executable, "-c", check]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["True"] * 6, result.stderr[-2000:]
