"""With the broker unreachable, what was saved answers success and its job says why it did not run.

The app runs in its own server process (tests/app_server.py) with CELERY_BROKER_URL pointing
at a loopback port nothing listens on: the real publish path meets a real refused connection.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPResponse
from typing import Any

import pytest
from django.test import Client

from annotations.models import QUEUE_FAILED, ApiToken, Article, ExportJob, ExtractionRun, ImportJob, RunStatus
from tests.app_server import app_server, free_port

pytestmark = pytest.mark.django_db(transaction=True)

TIMINGS: dict[str, float] = {}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Visitor:
    """A logged-in browser without a browser: session cookie, CSRF token, no redirects followed."""

    def __init__(self, base: str, user: Any) -> None:
        client = Client()
        client.force_login(user)
        self.base = base
        self.cookies = {"sessionid": client.cookies["sessionid"].value}
        self.opener = urllib.request.build_opener(NoRedirect)

    def request(self, name: str, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers={"Cookie": cookie})
        began = time.monotonic()
        try:
            response: HTTPResponse = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error  # type: ignore[assignment]
        TIMINGS[name] = time.monotonic() - began
        for header in response.headers.get_all("Set-Cookie") or []:
            key, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[key] = value
        return response.status, response.headers.get("Location", ""), response.read().decode()

    def post_form(self, name: str, page: str, action: str, data: dict[str, str]) -> tuple[int, str, str]:
        _status, _location, html = self.request(f"{name} (form)", page)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token, html[:500]
        return self.request(name, action, {"csrfmiddlewaretoken": token.group(1), **data})


def api(base: str, name: str, key: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
    )
    began = time.monotonic()
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as error:
        response = error
    TIMINGS[name] = time.monotonic() - began
    return response.status, json.loads(response.read())


@pytest.fixture
def broker_away(tmp_path):
    closed = f"redis://127.0.0.1:{free_port()}/0"
    with app_server(
        tmp_path / "server.log", CELERY_BROKER_URL=closed, CELERY_RESULT_BACKEND=closed, IMPORT_ASYNC_THRESHOLD="0"
    ) as base:
        yield base
    print("seconds per request with the broker away:", {k: round(v, 2) for k, v in TIMINGS.items()})


def test_an_article_is_created_and_its_extraction_says_it_could_not_be_queued(broker_away, project, editor):
    _token, key = ApiToken.issue(editor, "tests")
    status, body = api(
        broker_away,
        "api: create article",
        key,
        "/api/v1/articles/",
        {"project": project.slug, "title": "Saved", "text": "The text is saved all the same."},
    )
    assert status == 201, body
    assert body["latest_run"]["status"] == "failed"
    assert body["latest_run"]["error"] == QUEUE_FAILED
    article = Article.objects.get(pk=body["id"])
    assert article.latest_run.status == RunStatus.FAILED

    # Running it again is offered and allowed (a failed run is not "already queued").
    status, body = api(
        broker_away, "api: run extraction again", key, "/api/v1/extraction-runs/", {"article": article.pk}
    )
    assert status == 201 and body["status"] == "failed" and body["error"] == QUEUE_FAILED

    visitor = Visitor(broker_away, editor)
    page = f"/p/{project.slug}/articles/{article.pk}/"
    _status, _location, html = visitor.request("page: article", page)
    assert "could not be queued: broker unreachable" in html and "Run again" in html
    status, location, _html = visitor.post_form("page: run again", page, f"{page}extraction/", {})
    assert status == 302 and location == page
    assert ExtractionRun.objects.filter(article=article).count() == 3
    assert set(ExtractionRun.objects.filter(article=article).values_list("error", flat=True)) == {QUEUE_FAILED}


def test_a_background_import_is_kept_failed_and_can_be_run_again(broker_away, project, author):
    visitor = Visitor(broker_away, author)
    page = f"/p/{project.slug}/import/"
    status, location, _html = visitor.post_form(
        "page: paste import", page, page, {"source": "paste", "text": "An article pasted while Redis is down."}
    )
    assert status == 302, _html[:500]
    job = ImportJob.objects.get()
    assert location == f"/p/{project.slug}/imports/{job.pk}/"
    assert (job.status, job.error) == (RunStatus.FAILED, QUEUE_FAILED)
    status, location, _html = visitor.post_form(
        "page: import run again", location, f"/p/{project.slug}/imports/{job.pk}/retry/", {}
    )
    assert status == 302
    job.refresh_from_db()
    assert (job.status, job.error) == (RunStatus.FAILED, QUEUE_FAILED)  # still away: failed again, at once
    assert not Article.objects.exists()


def test_an_export_job_is_kept_failed_and_can_be_run_again(broker_away, project, author):
    _token, key = ApiToken.issue(author, "tests")
    status, body = api(
        broker_away, "api: export job", key, f"/api/v1/projects/{project.slug}/exports/", {"format": "jsonl"}
    )
    assert status == 202, body
    assert (body["status"], body["error"]) == ("failed", QUEUE_FAILED)

    visitor = Visitor(broker_away, author)
    page = f"/p/{project.slug}/exports/"
    status, location, _html = visitor.post_form("page: export job", page, page, {"format": "csv", "background": "1"})
    assert status == 302 and location == page
    _status, _location, html = visitor.request("page: exports", page)
    assert html.count("could not be queued: broker unreachable") == 2 and "Run again" in html
    job = ExportJob.objects.get(format="csv")
    status, _location, _html = visitor.post_form(
        "page: export run again", page, f"/p/{project.slug}/exports/{job.pk}/retry/", {}
    )
    assert status == 302
    job.refresh_from_db()
    assert (job.status, job.error) == (RunStatus.FAILED, QUEUE_FAILED)


def test_a_source_is_added_and_its_capture_says_it_could_not_be_queued(broker_away, project, author, article):
    from annotations.models import Capture, Claim

    claim = Claim.objects.create(article=article, start=0, end=8, quote=article.text[:8], created_by=author)
    _token, key = ApiToken.issue(author, "tests")
    status, body = api(
        broker_away,
        "api: add source",
        key,
        f"/api/v1/claims/{claim.pk}/sources/",
        {"url": "https://evidence.example/page", "stance": "supports"},
    )
    assert status == 201, body
    capture = Capture.objects.get(source_id=body["id"])
    assert (capture.status, capture.error) == (RunStatus.FAILED, QUEUE_FAILED)
    _status, _location, html = Visitor(broker_away, author).request(
        "page: desk", f"/p/{project.slug}/articles/{article.pk}/"
    )
    assert f"Capture failed: {QUEUE_FAILED}" in html and "Try again" in html
