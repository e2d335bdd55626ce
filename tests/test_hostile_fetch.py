"""URL imports against hostile servers and hostile addresses.

The slow servers are real (tests/local_http.py on 127.0.0.1) and drip one byte a second; the
fetch must end within IMPORT_FETCH_TIMEOUT plus a second, whatever part of the answer drips.
The address checks run on literal addresses (nothing is resolved or connected to).
"""

from __future__ import annotations

import socket
import time

import pytest

from annotations.imports import url as urlimport
from annotations.imports.base import ImportProblem
from annotations.models import Article
from tests.local_http import Route, serve

pytestmark = pytest.mark.django_db

DEADLINE = 2.0


@pytest.fixture
def fast_deadline(settings):
    settings.IMPORT_ALLOW_PRIVATE_URLS = True  # the slow server is on 127.0.0.1
    settings.IMPORT_FETCH_TIMEOUT = DEADLINE


@pytest.mark.parametrize(
    "route",
    [
        Route(b"<html><body><p>" + b"word " * 200 + b"</p></body></html>", drip=1.0, drip_part="all"),
        Route(b"<html><body><p>" + b"word " * 200 + b"</p></body></html>", drip=1.0, drip_part="body"),
        Route(b"<p>late</p>", sleep=30),
    ],
    ids=["status-and-headers-at-1-byte-per-second", "body-at-1-byte-per-second", "silent"],
)
def test_it_ends_a_slow_fetch_within_the_deadline(fast_deadline, route):
    with serve({"/slow": route}) as site:
        began = time.monotonic()
        with pytest.raises(ImportProblem) as problem:
            urlimport.fetch(site.url("/slow"))
        elapsed = time.monotonic() - began
    assert elapsed < DEADLINE + 1, f"the fetch took {elapsed:.1f}s"
    assert problem.value.message == f"the server did not answer within {DEADLINE:g} seconds (IMPORT_FETCH_TIMEOUT)."


def test_it_spends_one_deadline_across_redirects(fast_deadline):
    routes = {
        # Each answer alone takes about a second; the three together take longer than the deadline.
        "/a": Route(status=302, location="/b", drip=0.01),
        "/b": Route(status=302, location="/c", drip=0.01),
        "/c": Route(b"<p>" + b"x" * 100 + b"</p>", drip=0.01),
    }
    with serve(routes) as site:
        began = time.monotonic()
        with pytest.raises(ImportProblem, match="IMPORT_FETCH_TIMEOUT"):
            urlimport.fetch(site.url("/a"))
        assert time.monotonic() - began < DEADLINE + 1


def test_a_slow_page_imports_nothing_through_the_api(fast_deadline, api_client_for, author, project):
    with serve({"/slow": Route(b"<p>text</p>", drip=1.0)}) as site:
        response = api_client_for(author).post(
            f"/api/v1/projects/{project.slug}/imports/", {"urls": [site.url("/slow")]}, format="json"
        )
    assert response.status_code == 400
    assert "IMPORT_FETCH_TIMEOUT" in response.json()["url"][0]
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b:1::808:808",  # local-use NAT64 prefix: refused whatever it embeds
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::808:808",  # IPv4-compatible, even of a public address (deprecated form)
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:0:7f00:1",  # IPv4-translated (SIIT)
        "::ffff:0:a9fe:a9fe",
        "2001:0:7f00:1::1",  # Teredo with a loopback server
        "fe80::1%eth0",
        "ff02::1",
        "240.0.0.1",
        "198.18.0.1",
        "192.0.0.8",
    ],
)
def test_addresses_that_reach_private_ranges_are_not_public(address):
    assert not urlimport.is_public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"])
def test_public_addresses_stay_public_including_their_nat64_and_6to4_forms(address):
    assert urlimport.is_public_address(address)


def test_a_refusal_does_not_say_which_address_a_name_resolved_to(settings, project, author, monkeypatch):
    settings.IMPORT_ALLOW_PRIVATE_URLS = False

    def resolves_privately(host, port, *args, **kwargs):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("64:ff9b::a9fe:a9fe", port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", resolves_privately)
    with pytest.raises(ImportProblem) as problem:
        urlimport.fetch("http://metadata.example.org/latest/")
    message = str(problem.value)
    assert "private or reserved address" in message
    assert "a9fe" not in message and "169.254" not in message
