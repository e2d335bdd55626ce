"""A real HTTP server on 127.0.0.1 (a free port) for URL-import tests: pages, redirects, a sleeper."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str = ""
    sleep: float = 0.0  # seconds to wait before answering (or until the server stops)
    send_length: bool = True  # without Content-Length the body ends when the connection closes
    # Seconds between single bytes: the whole answer ("all") or only the body ("body") dripped,
    # as a hostile server holding a connection open would (until the server stops).
    drip: float = 0.0
    drip_part: str = "all"


@dataclass
class Site:
    base: str
    routes: dict[str, Route]
    hits: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def serve(routes: dict[str, Route]) -> Iterator[Site]:
    stopping = threading.Event()
    site = Site(base="", routes=routes)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            site.hits.append(self.path)
            route = site.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.sleep and stopping.wait(route.sleep):
                return
            if route.drip:
                self._drip(route)
                return
            self.send_response(route.status)
            if route.location:
                self.send_header("Location", route.location)
            self.send_header("Content-Type", route.content_type)
            if route.send_length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(route.body)

        def _drip(self, route: Route) -> None:
            location = f"Location: {route.location}\r\n" if route.location else ""
            head = (
                f"HTTP/1.1 {route.status} OK\r\n{location}Content-Type: {route.content_type}\r\n"
                f"Content-Length: {len(route.body)}\r\n\r\n"
            ).encode("latin-1")
            if route.drip_part == "body":
                self.wfile.write(head)
                self.wfile.flush()
                slow = route.body
            else:
                slow = head + route.body
            with suppress(BrokenPipeError, ConnectionResetError):
                for index in range(len(slow)):
                    self.wfile.write(slow[index : index + 1])
                    self.wfile.flush()
                    if stopping.wait(route.drip):
                        return
            self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base class
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        stopping.set()
        server.shutdown()
        server.server_close()
