"""Personal API tokens (settings page and Authorization header) and the schema and docs pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from annotations.models import ApiToken, Article, Claim

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _token_client(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_a_token_authenticates_and_records_its_last_use(author, project):
    token, key = ApiToken.issue(author, "script")
    response = _token_client(key).get("/api/v1/projects/")
    assert response.status_code == 200
    assert [(p["slug"], p["my_role"]) for p in response.json()] == [("newsroom", "reviewer")]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_skips_the_last_used_write_when_the_token_was_used_a_moment_ago(author, django_assert_num_queries, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0  # the rows are changed behind the cache's back below
    token, key = ApiToken.issue(author, "script")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(seconds=5))
    api = _token_client(key)
    with django_assert_num_queries(2):  # the token with its user, then the projects
        api.get("/api/v1/projects/")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=5))
    with django_assert_num_queries(3):  # plus one UPDATE of last_used_at
        api.get("/api/v1/projects/")


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Token not-a-real-key", "Invalid token."),
        ("Token", "Invalid token header: use 'Authorization: Token <key>'."),
        ("Token a b", "Invalid token header: use 'Authorization: Token <key>'."),
    ],
)
def test_it_refuses_bad_tokens_with_401(author, header, detail):
    ApiToken.issue(author, "script")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/projects/")
    assert response.status_code == 401
    assert response.json() == {"detail": detail}


def test_a_checked_token_is_trusted_for_a_few_seconds_without_a_query(author, django_assert_num_queries):
    _, key = ApiToken.issue(author, "script")
    api = _token_client(key)
    api.get("/api/v1/projects/")
    with django_assert_num_queries(1):  # the projects only: the token was checked a moment ago
        assert api.get("/api/v1/projects/").status_code == 200


def test_a_revoked_token_stops_working_at_once_though_it_was_cached(author):
    token, key = ApiToken.issue(author, "script")
    api = _token_client(key)
    assert api.get("/api/v1/projects/").status_code == 200
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    assert api.get("/api/v1/projects/").status_code == 401


def test_a_token_call_gets_no_session_and_no_cookies(author, project):
    _, key = ApiToken.issue(author, "script")
    response = _token_client(key).get("/api/v1/projects/")
    assert response.status_code == 200
    assert not response.cookies


def test_a_session_api_write_still_needs_the_csrf_token(author, project):
    article = Article.objects.create(project=project, title="A", text="The minister said taxes fell.")
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(author)
    body = {"article": article.pk, "start": 4, "end": 12}
    refused = api.post("/api/v1/claims/", body, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not Claim.objects.exists()


def test_a_token_with_a_session_cookie_is_judged_by_the_token_alone(author, project):
    article = Article.objects.create(project=project, title="A", text="The minister said taxes fell.")
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(author)  # the cookie rides along, but a bad token is not rescued by it
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    response = api.post("/api/v1/claims/", {"article": article.pk, "start": 4, "end": 12}, format="json")
    assert response.status_code == 401
    assert not Claim.objects.exists()


def test_it_refuses_a_revoked_token(author):
    token, key = ApiToken.issue(author, "script")
    token.revoked_at = timezone.now()
    token.save()
    response = _token_client(key).get("/api/v1/projects/")
    assert response.status_code == 401
    assert response.json() == {"detail": "This token has been revoked."}


def test_it_refuses_the_token_of_an_inactive_user(author):
    _, key = ApiToken.issue(author, "script")
    author.is_active = False
    author.save()
    assert _token_client(key).get("/api/v1/projects/").status_code == 401


def test_only_the_hash_of_a_key_is_stored(author):
    token, key = ApiToken.issue(author, "script")
    assert key not in (token.key_hash, token.key_prefix)
    assert token.key_hash == ApiToken.hash_key(key)


# --- settings page -----------------------------------------------------------------------------


def test_the_tokens_page_requires_login(client):
    response = client.get("/settings/tokens/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_user_creates_a_token_and_sees_the_key_once(client_for, author, project):
    client = client_for(author)
    response = client.post("/settings/tokens/", {"name": "CMS sync"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = re.search(r'<code id="new-token-key">([^<]+)</code>', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=author)
    assert (token.name, token.key_hash) == ("CMS sync", ApiToken.hash_key(key))
    assert _token_client(key).get("/api/v1/projects/").status_code == 200
    listing = client.get("/settings/tokens/").content.decode()
    assert "CMS sync" in listing
    assert key not in listing
    assert token.key_prefix in listing


def test_a_token_needs_a_name(client_for, author):
    response = client_for(author).post("/settings/tokens/", {"name": "  "})
    assert response.status_code == 400
    assert b"Give the token a name" in response.content
    assert not ApiToken.objects.exists()


def test_a_user_revokes_a_token_and_it_stops_working(client_for, author):
    token, key = ApiToken.issue(author, "old script")
    response = client_for(author).post("/settings/tokens/", {"revoke": token.pk})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert _token_client(key).get("/api/v1/projects/").status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(client_for, author, editor):
    token, _ = ApiToken.issue(editor, "theirs")
    response = client_for(author).post("/settings/tokens/", {"revoke": token.pk})
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_tokens_page_escapes_names(client_for, author):
    ApiToken.issue(author, "<script>alert(1)</script>")
    content = client_for(author).get("/settings/tokens/").content
    assert b"<script>alert(1)</script>" not in content
    assert b"&lt;script&gt;" in content


# --- schema and docs -----------------------------------------------------------------------------


def test_the_schema_needs_credentials(client, author):
    assert client.get("/api/schema/").status_code == 401
    _, key = ApiToken.issue(author, "script")
    response = _token_client(key).get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/claims/{id}/" in paths
    assert "/api/v1/claims/{claim_pk}/sources/" in paths
    assert "tokenAuth" in response.json()["components"]["securitySchemes"]


def test_the_docs_page_sends_anonymous_browsers_to_log_in(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_docs_page_uses_no_cdn(client_for, author):
    client = client_for(author)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert not re.search(r"(src|href)=\"https?://", html)
    # No inline script or style (the Content-Security-Policy forbids them): the start-up script
    # that points Swagger UI at the schema is served from a URL of its own.
    assert "<script>" not in html and "<style" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "javascript" in script["Content-Type"]
    assert "/api/schema/" in script.content.decode()


def test_the_schema_generates_without_warnings():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=out)
    assert "openapi: 3" in out.getvalue()


def test_the_account_menu_links_to_the_tokens_page(client_for, author, project):
    assert b'href="/settings/tokens/"' in client_for(author).get("/").content
