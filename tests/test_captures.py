"""Evidence captures: a source's page fetched from a real local HTTP server, kept, shown, quoted.

The server is tests/local_http.py on 127.0.0.1, so these tests turn IMPORT_ALLOW_PRIVATE_URLS on,
except the one that shows a private address is refused when it is off. Captures are run by
calling the task's function directly; the worker wiring is tested once (marker ``worker``).
"""

from __future__ import annotations

import gzip
import hashlib

import pytest
from django.urls import reverse

from annotations import captures, claims
from annotations.models import Capture, ExcerptState, RunStatus
from tests.factories import ClaimFactory
from tests.local_http import Route, serve

PAGE = (
    "<html><head><title>Ministry figures</title></head><body><article>"
    "<h1>Ministry figures</h1>"
    "<p>The ministry said on Tuesday that unemployment fell to 4.1 percent in May, the lowest in a decade.</p>"
    "<p>Economists cautioned that the figures are seasonally adjusted &lt;script&gt;alert(1)&lt;/script&gt; "
    "and may be revised next month.</p>"
    "</article></body></html>"
)
CHANGED = PAGE.replace("fell to 4.1 percent in May, the lowest in a decade", "rose slightly in May")
EXCERPT = "unemployment fell to 4.1 percent in May"


@pytest.fixture
def loopback(settings, tmp_path):
    settings.IMPORT_ALLOW_PRIVATE_URLS = True  # the test server is on 127.0.0.1
    settings.IMPORT_FETCH_TIMEOUT = 3.0
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CAPTURE_SOURCES = True


@pytest.fixture
def claim(article, author):
    return ClaimFactory(article=article, start=0, end=8, created_by=author)


def run_queued() -> list[str]:
    """Run every queued capture as the worker would; returns the outcomes."""
    pks = Capture.objects.filter(status=RunStatus.QUEUED).order_by("id").values_list("pk", flat=True)
    return [captures.run_capture(capture_id=pk) for pk in list(pks)]


def test_it_captures_a_source_page_and_shows_it(loopback, claim, author, client_for):
    body = PAGE.encode()
    with serve({"/news": Route(body)}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"), stance="supports", excerpt=EXCERPT)
        capture = Capture.objects.get(source=source)
        assert (capture.status, capture.url, capture.requested_by) == (RunStatus.QUEUED, source.url, author)
        assert run_queued() == ["done"]
    capture.refresh_from_db()
    assert capture.status == RunStatus.DONE, capture.error
    assert (capture.http_status, capture.content_type, capture.final_url) == (200, "text/html", site.url("/news"))
    assert capture.title == "Ministry figures"
    assert "unemployment fell to 4.1 percent in May" in capture.text
    assert capture.sha256 == hashlib.sha256(body).hexdigest()
    assert capture.body_bytes == len(body)
    assert captures.read_body(capture) == body
    assert capture.body.name.endswith(".gz")
    assert (capture.excerpt_state, capture.text[capture.excerpt_start : capture.excerpt_end]) == (
        ExcerptState.FOUND,
        EXCERPT,
    )

    client = client_for(author)
    desk = client.get(reverse("article-detail", args=["newsroom", claim.article_id])).content.decode()
    assert "Captured on" in desk and reverse("capture-detail", args=["newsroom", capture.pk]) in desk
    page = client.get(reverse("capture-detail", args=["newsroom", capture.pk])).content.decode()
    assert capture.sha256 in page and 'id="capture-fetched"' in page
    # The captured text is escaped: the page's text mentions a script tag, which stays text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    raw = client.get(reverse("capture-raw", args=["newsroom", capture.pk]))
    assert raw["Content-Type"] == "application/gzip" and "attachment" in raw["Content-Disposition"]
    assert gzip.decompress(b"".join(raw.streaming_content)) == body


def test_a_later_capture_without_the_quoted_excerpt_flags_the_source(loopback, claim, author, editor, client_for):
    routes = {"/news": Route(PAGE.encode())}
    with serve(routes) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"), stance="supports", excerpt=EXCERPT)
        run_queued()
        first = Capture.objects.get(source=source)
        assert first.excerpt_state == ExcerptState.FOUND
        site.routes["/news"] = Route(CHANGED.encode())  # the publisher edits the page
        second, created = captures.capture_again(source=source, by=editor)
        assert created and second.pk != first.pk
        run_queued()
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.excerpt_state == ExcerptState.CHANGED and second.excerpt_start is None
    assert first.excerpt_state == ExcerptState.FOUND and first.sha256 != second.sha256  # kept, not overwritten
    assert Capture.objects.filter(source=source).count() == 2

    desk = client_for(author).get(reverse("article-detail", args=["newsroom", claim.article_id])).content.decode()
    assert "Changed since quoted" in desk
    claim.status = "in_review"
    claim.save()
    queue = client_for(editor).get(reverse("queues")).content.decode()
    assert "Changed since quoted" in queue and 'id="changed-sources"' in queue


def test_a_typed_excerpt_not_in_the_page_is_marked(loopback, claim, author, client_for):
    with serve({"/news": Route(PAGE.encode())}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"), excerpt="words the page never said")
        run_queued()
    assert Capture.objects.get(source=source).excerpt_state == ExcerptState.NOT_FOUND
    desk = client_for(author).get(reverse("article-detail", args=["newsroom", claim.article_id])).content.decode()
    assert "Excerpt not found in capture" in desk
    # Correcting the excerpt places it in the capture at once, without fetching again.
    claims.edit_source(source=source, by=author, excerpt="the lowest\n in a decade")
    capture = Capture.objects.get(source=source)
    assert capture.excerpt_state == ExcerptState.FOUND
    assert capture.text[capture.excerpt_start : capture.excerpt_end] == "the lowest in a decade"


def test_an_excerpt_is_quoted_from_the_captured_text_with_its_offsets(loopback, claim, author, client_for):
    with serve({"/news": Route(PAGE.encode())}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"))
        run_queued()
    capture = Capture.objects.get(source=source)
    start = capture.text.index("Economists")
    end = start + len("Economists cautioned")
    client = client_for(author)
    url = reverse("capture-quote", args=["newsroom", capture.pk])
    wrong = client.post(url, {"start": start, "end": end, "quote": "Something else"})
    assert wrong.status_code == 400 and "quote does not match" in wrong.content.decode()
    response = client.post(url, {"start": start, "end": end, "quote": "Economists cautioned"})
    assert response.status_code == 302
    source.refresh_from_db()
    capture.refresh_from_db()
    assert source.excerpt == "Economists cautioned"
    assert (capture.excerpt_state, capture.excerpt_start, capture.excerpt_end) == (ExcerptState.SELECTED, start, end)


def test_a_redirect_is_followed_and_the_final_url_kept(loopback, claim, author):
    routes = {"/old": Route(status=301, location="/new"), "/new": Route(PAGE.encode())}
    with serve(routes) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/old"))
        run_queued()
    capture = Capture.objects.get(source=source)
    assert (capture.status, capture.url, capture.final_url) == (RunStatus.DONE, site.url("/old"), site.url("/new"))


def test_a_silent_server_fails_the_capture_with_the_reason_and_try_again(loopback, settings, claim, author, client_for):
    settings.IMPORT_FETCH_TIMEOUT = 1.0
    with serve({"/slow": Route(PAGE.encode(), sleep=30)}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/slow"))
        assert run_queued() == ["failed"]
    capture = Capture.objects.get(source=source)
    assert capture.status == RunStatus.FAILED and "IMPORT_FETCH_TIMEOUT" in capture.error
    assert not capture.body and not capture.sha256
    desk = client_for(author).get(reverse("article-detail", args=["newsroom", claim.article_id])).content.decode()
    assert "Capture failed:" in desk and "IMPORT_FETCH_TIMEOUT" in desk and "Try again" in desk


def test_a_page_over_the_size_limit_is_not_kept(loopback, settings, claim, author):
    settings.IMPORT_FETCH_MAX_BYTES = 1000
    with serve({"/big": Route(b"<p>" + b"x" * 5000 + b"</p>", send_length=False)}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/big"))
        run_queued()
    capture = Capture.objects.get(source=source)
    assert capture.status == RunStatus.FAILED and "IMPORT_FETCH_MAX_BYTES" in capture.error


def test_a_private_address_is_refused_when_private_urls_are_not_allowed(loopback, settings, claim, author):
    settings.IMPORT_ALLOW_PRIVATE_URLS = False
    with serve({"/news": Route(PAGE.encode())}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"))
        run_queued()
        assert site.hits == []  # never connected to
    capture = Capture.objects.get(source=source)
    assert capture.status == RunStatus.FAILED and "private or reserved address" in capture.error


def test_a_capture_run_twice_is_done_once(loopback, claim, author):
    with serve({"/news": Route(PAGE.encode())}) as site:
        source = claims.add_source(claim=claim, by=author, url=site.url("/news"))
        capture = Capture.objects.get(source=source)
        assert captures.run_capture(capture_id=capture.pk) == "done"
        assert captures.run_capture(capture_id=capture.pk) == "skipped"
        assert site.hits == ["/news"]
