"""Fetching an article from a URL, server-side, without becoming a way into the internal network.

Only http and https. The host is resolved here and every address it resolves to must be public
(no loopback, private, link-local, multicast or reserved ranges) unless
IMPORT_ALLOW_PRIVATE_URLS is on; the connection then goes to the address that was checked, so a
second DNS answer cannot swap in a private one. Each redirect is checked the same way. The whole
fetch has a deadline and the body a size limit.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils import timezone

from .base import ArticleRecord, ImportProblem, Metadata, human_bytes

_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    fetched_at: datetime
    content_type: str
    charset: str | None
    body: bytes


def _problem(url: str, message: str) -> ImportProblem:
    return ImportProblem(message, source=url, field="url")


def _split(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an http(s) URL, or ImportProblem."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise _problem(url, f"this is not a valid URL ({error}).") from None
    if parts.scheme not in ("http", "https"):
        raise _problem(url, "only http:// and https:// URLs can be imported.")
    if not parts.hostname:
        raise _problem(url, "the URL has no host name.")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise _problem(url, "the URL's host name is not valid.") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(url: str, host: str, port: int, timeout: float) -> str:
    """The address to connect to; with private URLs refused, every address of the host must be public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise _problem(url, f"the host {host!r} could not be resolved ({error}).") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise _problem(url, f"the host {host!r} has no address.")
    if not settings.IMPORT_ALLOW_PRIVATE_URLS:
        private = [address for address in addresses if not is_public_address(address)]
        if private:
            raise _problem(
                url,
                f"the host {host!r} resolves to a private or local address ({private[0]}); fetching it is not allowed.",
            )
    return addresses[0]


def _connection(scheme: str, host: str, port: int, address: str, timeout: float) -> http.client.HTTPConnection:
    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = http.client.HTTPSConnection(host, port, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def connect_to_checked_address(
        _address: tuple[str, int], timeout: float | None = None, source_address: tuple[str, int] | None = None
    ) -> socket.socket:
        # TLS still verifies the certificate against ``host``: only the TCP address is pinned.
        return socket.create_connection((address, port), timeout, source_address)

    connection._create_connection = connect_to_checked_address  # type: ignore[attr-defined]
    return connection


def fetch(url: str, *, clock: Callable[[], float] = time.monotonic) -> Fetched:
    """GET ``url`` within IMPORT_FETCH_TIMEOUT seconds and IMPORT_FETCH_MAX_BYTES bytes."""
    timeout = settings.IMPORT_FETCH_TIMEOUT
    limit = settings.IMPORT_FETCH_MAX_BYTES
    deadline = clock() + timeout
    current = url.strip()
    for _hop in range(settings.IMPORT_FETCH_MAX_REDIRECTS + 1):
        scheme, host, port, path = _split(current)
        address = resolve(url, host, port, timeout)
        connection = _connection(scheme, host, port, address, max(0.1, deadline - clock()))
        try:
            connection.request(
                "GET",
                path,
                headers={
                    "User-Agent": settings.IMPORT_USER_AGENT,
                    "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1",
                    "Accept-Encoding": "identity",
                },
            )
            response = connection.getresponse()
            if response.status in _REDIRECTS and response.getheader("Location"):
                current = urljoin(current, response.getheader("Location", ""))
                continue
            if response.status != 200:
                raise _problem(url, f"the server answered {response.status} {response.reason}.")
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise _problem(
                    url,
                    f"the page is {human_bytes(int(declared))}; the limit is {human_bytes(limit)} "
                    "(IMPORT_FETCH_MAX_BYTES).",
                )
            chunks: list[bytes] = []
            size = 0
            while True:
                remaining = deadline - clock()
                if remaining <= 0:
                    raise TimeoutError
                if connection.sock is not None:
                    connection.sock.settimeout(remaining)
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise _problem(url, f"the page is larger than {human_bytes(limit)} (IMPORT_FETCH_MAX_BYTES).")
                chunks.append(chunk)
            header = Message()
            header["Content-Type"] = response.getheader("Content-Type", "application/octet-stream")
            return Fetched(
                url=current,
                fetched_at=timezone.now(),
                content_type=header.get_content_type(),
                charset=header.get_param("charset") if isinstance(header.get_param("charset"), str) else None,
                body=b"".join(chunks),
            )
        except TimeoutError:
            raise _problem(
                url, f"the server did not answer within {timeout:g} seconds (IMPORT_FETCH_TIMEOUT)."
            ) from None
        except (OSError, http.client.HTTPException) as error:
            raise _problem(url, f"the page could not be fetched ({error.__class__.__name__}: {error}).") from None
        finally:
            connection.close()
    raise _problem(url, f"more than {settings.IMPORT_FETCH_MAX_REDIRECTS} redirects.")


def records_from_url(url: str, *, metadata: Metadata) -> list[ArticleRecord]:
    """Fetch a page and parse it by its content type; the page's URL and fetch time are kept."""
    from .registry import parser_for_content_type

    fetched = fetch(url)
    parser = parser_for_content_type(fetched.content_type)
    if parser is None:
        raise _problem(url, f"the page is {fetched.content_type}, which cannot be imported (HTML or plain text only).")
    records = parser.parse(fetched.body, source=url, metadata=metadata, charset=fetched.charset)
    for record in records:
        record.url = metadata.url or fetched.url
        record.fetched_at = fetched.fetched_at
    return records
