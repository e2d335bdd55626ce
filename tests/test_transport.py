"""Transport security: `check --deploy` is clean in the documented production environment, and the
headers (Content-Security-Policy, HSTS) and the database health checks are on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

ROOT = Path(__file__).resolve().parent.parent

# The production environment README.md documents (only the host names are examples).
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "Zq3v-kP9_x2LwR7tYb5nC8mJ4hG6dF1sA0eU3iO7pQ2rT9yW5uE8xV4zB6nM1kL",
    "ALLOWED_HOSTS": "workbench.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://workbench.example.org",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SECURE_") and k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_the_documented_production_environment():
    result = check_deploy(**PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_warns_when_the_https_settings_are_missing():
    env = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("SECURE_")}
    result = check_deploy(**env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def test_the_readme_documents_every_variable_of_that_environment():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in PRODUCTION_ENV:
        assert f"`{name}`" in readme, name


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


@pytest.mark.django_db
def test_hsts_and_the_proxy_header_come_from_the_settings(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_persistent_database_connections_are_checked_before_use():
    assert django_settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


@pytest.mark.django_db(transaction=True)
def test_a_dropped_persistent_connection_is_replaced_before_the_next_request(tmp_path, author):
    """PostgreSQL restarts (here: ends the app's session); the next request must not fail on it."""
    import json
    import urllib.request

    from django.db import connection

    from annotations.models import ApiToken
    from tests.app_server import app_server

    if connection.vendor != "postgresql":
        pytest.skip("terminating a server session needs PostgreSQL")
    _token, key = ApiToken.issue(author, "tests")

    def projects(base: str) -> int:
        request = urllib.request.Request(f"{base}/api/v1/projects/", headers={"Authorization": f"Token {key}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            json.loads(response.read())
            return response.status

    with app_server(tmp_path / "server.log", DATABASE_CONN_MAX_AGE="600") as base:
        assert projects(base) == 200
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1
        assert projects(base) == 200
