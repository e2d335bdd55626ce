"""Fetching an article from a URL, server-side, without becoming a way into the internal network.

Only http and https. The host is resolved here and every address it resolves to must be public
(no loopback, private, link-local, multicast or reserved ranges, and no IPv6 form that carries
such an IPv4 address inside it: NAT64, 6to4, IPv4-mapped, -compatible or -translated) unless
IMPORT_ALLOW_PRIVATE_URLS is on; the connection then goes to the address that was checked, so a
second DNS answer cannot swap in a private one. Each redirect is checked the same way. A refusal
never says which address a name resolved to: that would map the internal network for the asker.

The whole fetch (name lookup, connect, TLS, status line, headers, body, every redirect) runs
against one wall-clock deadline, IMPORT_FETCH_TIMEOUT: a socket timeout alone restarts with
every byte received, so a server dripping one byte a second could hold a worker for ever. The
body has a size limit.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from contextlib import suppress
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
    status: int
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


# IPv6 ranges that carry an IPv4 address in their last 32 bits: a gateway (NAT64) or the host
# itself would connect to that IPv4 address, so it is the one to check.
_EMBEDS_IPV4_LOW = (
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64, well-known prefix (RFC 6052)
    ipaddress.ip_network("::ffff:0:0/96"),  # IPv4-mapped
    ipaddress.ip_network("::ffff:0:0:0/96"),  # IPv4-translated (SIIT, RFC 2765)
)
# Ranges refused whatever they embed: the local-use NAT64 prefix maps to any address a network
# chooses, and IPv4-compatible addresses are deprecated (RFC 4291) and only ever legacy tunnels.
_NEVER_PUBLIC = (
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("::/96"),
    # IETF protocol assignments (RFC 6890): Python's is_global lets some of them through.
    ipaddress.ip_network("192.0.0.0/24"),
)


def is_public_address(address: str) -> bool:
    """Whether fetching from ``address`` stays on the public internet."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    if any(ip in network for network in _NEVER_PUBLIC):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in _EMBEDS_IPV4_LOW):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.sixtofour is not None:  # 2002::/16 carries the IPv4 address of its tunnel end
            ip = ip.sixtofour
        elif ip.teredo is not None:  # 2001::/32: server and (obfuscated) client, both must be public
            server, client = ip.teredo
            return is_public_address(str(server)) and is_public_address(str(client))
        if any(ip in network for network in _NEVER_PUBLIC):
            return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def _lookup(host: str, port: int, deadline: _Deadline) -> list[tuple]:
    """getaddrinfo within the deadline: the resolver has no timeout of its own that we control."""
    infos: list[tuple] = []
    errors: list[OSError | UnicodeError] = []

    def run() -> None:
        try:
            infos.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as error:
            errors.append(error)

    # A daemon thread: a lookup that outlives the deadline is abandoned, not waited for.
    worker = threading.Thread(target=run, name="import-dns", daemon=True)
    worker.start()
    worker.join(deadline.remaining())
    if worker.is_alive():
        raise TimeoutError
    if errors:
        raise errors[0]
    return infos


def resolve(url: str, host: str, port: int, deadline: _Deadline) -> str:
    """The address to connect to; with private URLs refused, every address of the host must be public."""
    try:
        infos = _lookup(host, port, deadline)
    except TimeoutError:
        raise
    except (OSError, UnicodeError) as error:
        raise _problem(url, f"the host {host!r} could not be resolved ({error}).") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise _problem(url, f"the host {host!r} has no address.")
    if not settings.IMPORT_ALLOW_PRIVATE_URLS and not all(is_public_address(address) for address in addresses):
        # Which address it was stays unsaid: the answer would tell an outsider what our DNS knows.
        raise _problem(url, f"the host {host!r} resolves to a private or reserved address; fetching it is not allowed.")
    return addresses[0]


class _Deadline:
    """One wall-clock deadline for a whole fetch, enforced by a timer that shuts the socket down.

    Socket timeouts bound each receive, not their sum; the timer bounds the sum. When it fires,
    the socket in use is shut down, so a blocked receive returns at once and the fetch ends.
    """

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        """Seconds left; TimeoutError when none are."""
        left = self._end - self._clock()
        if self.expired or left <= 0:
            raise TimeoutError
        return left

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._socket = sock
            if self.expired:
                self._shutdown()

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._socket is not None:
            with suppress(OSError):  # already closed
                self._socket.shutdown(socket.SHUT_RDWR)


def _connection(scheme: str, host: str, port: int, address: str, deadline: _Deadline) -> http.client.HTTPConnection:
    connection: http.client.HTTPConnection
    timeout = deadline.remaining()
    if scheme == "https":
        connection = http.client.HTTPSConnection(host, port, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def connect_to_checked_address(
        _address: tuple[str, int], timeout: float | None = None, source_address: tuple[str, int] | None = None
    ) -> socket.socket:
        # TLS still verifies the certificate against ``host``: only the TCP address is pinned.
        sock = socket.create_connection((address, port), deadline.remaining(), source_address)
        deadline.watch(sock)
        return sock

    connection._create_connection = connect_to_checked_address  # type: ignore[attr-defined]  # http.client's private hook, not in typeshed
    return connection


def fetch(url: str, *, clock: Callable[[], float] = time.monotonic) -> Fetched:
    """GET ``url`` within IMPORT_FETCH_TIMEOUT seconds and IMPORT_FETCH_MAX_BYTES bytes."""
    timeout = settings.IMPORT_FETCH_TIMEOUT
    deadline = _Deadline(timeout, clock)
    try:
        return _fetch(url, deadline)
    except TimeoutError:
        raise _problem(url, f"the server did not answer within {timeout:g} seconds (IMPORT_FETCH_TIMEOUT).") from None
    finally:
        deadline.cancel()


def _fetch(url: str, deadline: _Deadline) -> Fetched:
    limit = settings.IMPORT_FETCH_MAX_BYTES
    current = url.strip()
    for _hop in range(settings.IMPORT_FETCH_MAX_REDIRECTS + 1):
        scheme, host, port, path = _split(current)
        address = resolve(url, host, port, deadline)
        connection = _connection(scheme, host, port, address, deadline)
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
            deadline.remaining()  # a shut-down socket can look like a short answer: check first
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
                if connection.sock is not None:
                    connection.sock.settimeout(deadline.remaining())
                chunk = response.read(_CHUNK)
                # Without a Content-Length the body ends when the socket does, and the deadline's
                # shutdown ends it too: only the deadline tells a cut body from a whole one.
                deadline.remaining()
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise _problem(url, f"the page is larger than {human_bytes(limit)} (IMPORT_FETCH_MAX_BYTES).")
                chunks.append(chunk)
            header = Message()
            header["Content-Type"] = response.getheader("Content-Type", "application/octet-stream")
            charset = header.get_param("charset")
            return Fetched(
                url=current,
                fetched_at=timezone.now(),
                status=response.status,
                content_type=header.get_content_type(),
                charset=charset if isinstance(charset, str) else None,
                body=b"".join(chunks),
            )
        except TimeoutError:
            raise
        except (OSError, http.client.HTTPException) as error:
            if deadline.expired:
                raise TimeoutError from None
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
