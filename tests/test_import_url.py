"""Importing from a URL: fetched server-side from a real local HTTP server, with every guard tested.

Private and local addresses are refused unless IMPORT_ALLOW_PRIVATE_URLS is on, which the happy
paths turn on to reach the server on 127.0.0.1. Tests that must be refused also make any outgoing
connection fail loudly, so a regression can never send traffic to a private range.
"""

from __future__ import annotations

import socket

import pytest
from django.utils import timezone

from annotations.imports import pipeline
from annotations.imports import url as urlimport
from annotations.imports.base import Metadata
from annotations.imports.pipeline import ImportFailed, ImportInput
from annotations.models import Article
from tests.import_fixtures import seed_as_html, seed_paragraphs
from tests.local_http import Route, serve

pytestmark = pytest.mark.django_db


@pytest.fixture
def allow_private(settings):
    settings.IMPORT_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def no_connections(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a refused URL must not be connected to")

    monkeypatch.setattr(socket, "create_connection", refuse)


def import_url(project, user, url):
    return pipeline.import_all_or_nothing(
        project=project, user=user, items=[ImportInput.from_url(url)], metadata=Metadata()
    )


def refused(project, user, url) -> str:
    with pytest.raises(ImportFailed) as failed:
        import_url(project, user, url)
    assert Article.objects.count() == 0
    return str(failed.value)


def test_it_imports_the_seed_article_served_as_html(project, author, seed_text, allow_private):
    with serve({"/news/luhansk": Route(seed_as_html(seed_text).encode())}) as site:
        before = timezone.now()
        report = import_url(project, author, site.url("/news/luhansk"))
    article = Article.objects.get(pk=report.created[0].article_id)
    assert article.text == "\n".join(seed_paragraphs(seed_text))
    assert article.url == site.url("/news/luhansk")
    assert before <= article.fetched_at <= timezone.now()
    assert (article.title, article.publisher) == ("Russia has the upper hand in Luhansk, Ukrainian general concedes",
                                                  "CBC News")  # fmt: skip


def test_it_follows_redirects_and_keeps_the_final_url(project, author, seed_text, allow_private):
    routes = {
        "/short": Route(status=302, location="/news/luhansk"),
        "/news/luhansk": Route(seed_as_html(seed_text).encode()),
    }
    with serve(routes) as site:
        report = import_url(project, author, site.url("/short"))
    assert Article.objects.get(pk=report.created[0].article_id).url == site.url("/news/luhansk")
    assert site.hits == ["/short", "/news/luhansk"]


def test_it_decodes_plain_text_by_the_declared_charset(project, author, allow_private):
    body = "Prices rose 5 € “overnight”, said Müller.".encode("cp1252")
    with serve({"/t": Route(body, content_type="text/plain; charset=windows-1252", send_length=False)}) as site:
        report = import_url(project, author, site.url("/t"))
    assert Article.objects.get(pk=report.created[0].article_id).text == "Prices rose 5 € “overnight”, said Müller."


def test_a_local_address_is_refused_when_private_urls_are_off(project, author, seed_text):
    with serve({"/p": Route(seed_as_html(seed_text).encode())}) as site:
        message = refused(project, author, site.url("/p"))
        assert site.hits == []
    assert "resolves to a private or reserved address; fetching it is not allowed." in message


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://192.168.1.20:8080/page",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[fd00::1]/",
        "http://localhost/",
    ],
)
def test_private_and_local_addresses_are_refused_without_connecting(project, author, no_connections, url):
    assert "resolves to a private or reserved address" in refused(project, author, url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/file.txt", "only http:// and https:// URLs can be imported."),
        ("file:///etc/passwd", "only http:// and https:// URLs can be imported."),
        ("javascript:alert(1)", "only http:// and https:// URLs can be imported."),
        ("http:///path-only", "the URL has no host name."),
        ("http://example.org:99999/", "this is not a valid URL"),
    ],
)
def test_urls_that_are_not_http_are_refused(project, author, no_connections, url, message):
    assert message in refused(project, author, url)


def test_a_redirect_to_a_private_address_is_refused(project, author, seed_text, monkeypatch):
    # Treat the test server's address as public and 127.0.0.2 as private: the redirect must be checked again.
    monkeypatch.setattr(urlimport, "is_public_address", lambda address: address == "127.0.0.1")
    with serve({"/go": Route(status=302, location="http://127.0.0.2:9/admin")}) as site:
        message = refused(project, author, site.url("/go"))
    assert "'127.0.0.2' resolves to a private or reserved address" in message
    assert site.hits == ["/go"]


def test_a_url_that_times_out_is_refused(project, author, settings, allow_private):
    settings.IMPORT_FETCH_TIMEOUT = 0.5
    with serve({"/slow": Route(b"<p>late</p>", sleep=30)}) as site:
        message = refused(project, author, site.url("/slow"))
    assert message == f"{site.url('/slow')}: the server did not answer within 0.5 seconds (IMPORT_FETCH_TIMEOUT)."


@pytest.mark.parametrize("send_length", [True, False], ids=["declared", "streamed"])
def test_a_page_over_the_size_limit_is_refused(project, author, settings, allow_private, send_length):
    settings.IMPORT_FETCH_MAX_BYTES = 1000
    with serve({"/big": Route(b"<p>" + b"word " * 40_000 + b"</p>", send_length=send_length)}) as site:
        message = refused(project, author, site.url("/big"))
    assert "the limit is 1000 bytes (IMPORT_FETCH_MAX_BYTES)" in message or "larger than 1000 bytes" in message


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (Route(b"%PDF-1.7", content_type="application/pdf"), "the page is application/pdf, which cannot be imported"),
        (Route(b"gone", status=404), "the server answered 404 Not Found."),
        (Route(b"<html><body><script>x = 1;</script></body></html>"), "no article text was found in this HTML page."),
    ],
    ids=["pdf", "404", "no-text"],
)
def test_pages_that_cannot_be_imported_are_refused(project, author, allow_private, route, message):
    with serve({"/x": route}) as site:
        assert message in refused(project, author, site.url("/x"))


def test_too_many_redirects_are_refused(project, author, settings, allow_private):
    settings.IMPORT_FETCH_MAX_REDIRECTS = 2
    with serve({"/loop": Route(status=302, location="/loop")}) as site:
        assert "more than 2 redirects." in refused(project, author, site.url("/loop"))
    assert len(site.hits) == 3
