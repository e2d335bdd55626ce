"""The production web server: ``python -m workbench.serve`` runs granian on ``workbench.wsgi``.

granian parses HTTP and keeps client connections alive in Rust, outside the GIL, and hands each
request to one of a worker's threads. Measured against gunicorn's threaded workers (gthread, which
served the app until 2026-12-07) in the same runs of bench/bench_api.py on this 2-core machine,
claim creates through the API on SQLite went 1.03-1.60x faster from one client and 1.02-1.61x
from eight; on PostgreSQL (1.02-1.09x on a settled database), and on the desk's mixed page load
(bench/bench_load_desk.py), the two are about level. The README's deployment section has the figures.

Settings come from the environment, as every other setting does (command-line flags override):

- ``WEB_BIND``: IP address and port, default ``127.0.0.1:8000`` (behind a proxy that terminates
  TLS); ``[::1]:8000`` for IPv6.
- ``WEB_CONCURRENCY``: worker processes, default one per core plus one (granian logs a warning
  that this is more than the cores; it was measured). On 2 cores, 3 processes of 4 threads
  against 2 of 8 in three alternating pairs: SQLite with 8 writing clients 438-538 against
  395-502 claims/s with a shorter p99 (a writer holding SQLite's lock waits less for its own
  process's GIL when fewer threads share it); PostgreSQL level within the noise. Against 2 of 4,
  the desk's mixed load was 109 against 114-130 requests/s, API creates level.
- ``WEB_THREADS``: threads per process, default 4. They overlap database waits and each keeps
  its own database connection (``DATABASE_CONN_MAX_AGE``); more would only queue on the GIL.
- ``SCRIPT_NAME``: the path prefix when served below one (``/workbench``), as under gunicorn.

granian has no per-request timeout (gunicorn's was 60 s): the only slow requests, URL imports,
are bounded by ``IMPORT_FETCH_TIMEOUT`` per page and ``IMPORT_SYNC_MAX_URLS`` pages. It copies the
process environment into every request; ``workbench.wsgi`` drops that copy again.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass

TARGET = "workbench.wsgi:application"
DEFAULT_BIND = "127.0.0.1:8000"
DEFAULT_THREADS = 4
# granian ends a thread idle this long, and the thread's database connection with it: as long as
# granian allows, so that connections persist as DATABASE_CONN_MAX_AGE (600 s) means them to.
THREAD_IDLE_SECONDS = 600
# What gunicorn.conf.py read until 2026-12-07. A deployment that still sets one must not start
# quietly on other values (a proxy would find nothing on the address it was given).
RETIRED = {
    "GUNICORN_BIND": "WEB_BIND",
    "GUNICORN_THREADS": "WEB_THREADS",
    "GUNICORN_KEEPALIVE": None,
    "GUNICORN_TIMEOUT": None,
}


@dataclass(frozen=True)
class Options:
    host: str
    port: int
    workers: int
    threads: int
    access_log: bool


def default_workers() -> int:
    return (os.cpu_count() or 1) + 1


def _setting(value: str | None, flag: str, variable: str) -> tuple[str | None, str]:
    """The flag's value if given, else the variable's (unset or empty: None); and the name to blame."""
    if value is not None:
        return value, flag
    return os.environ.get(variable) or None, variable


def _count(raw: str | None, name: str, default: int, parser: argparse.ArgumentParser) -> int:
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        parser.error(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _bind(raw: str | None, name: str, parser: argparse.ArgumentParser) -> tuple[str, int]:
    host, sep, port = (raw or DEFAULT_BIND).rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        sep = ""  # granian binds IP addresses only
    if not sep or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        parser.error(f"{name} must be an IP address and a port (127.0.0.1:8000, [::1]:8000), not {raw!r}")
    return host, int(port)


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m workbench.serve", description="The workbench's web server.")
    parser.add_argument("--bind", help=f"IP:port (WEB_BIND, default {DEFAULT_BIND})")
    parser.add_argument("--workers", help="processes (WEB_CONCURRENCY, default cores + 1)")
    parser.add_argument("--threads", help=f"threads per process (WEB_THREADS, default {DEFAULT_THREADS})")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    for old, new in RETIRED.items():
        if os.environ.get(old):
            instead = f"set {new}" if new else "remove it (granian has no such setting)"
            parser.error(f"{old} is no longer read since the server is granian: {instead}")
    host, port = _bind(*_setting(args.bind, "--bind", "WEB_BIND"), parser)
    workers = _count(*_setting(args.workers, "--workers", "WEB_CONCURRENCY"), default_workers(), parser)
    threads = _count(*_setting(args.threads, "--threads", "WEB_THREADS"), DEFAULT_THREADS, parser)
    return Options(host, port, workers, threads, args.access_log)


def main(argv: Sequence[str] | None = None) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    options = parse_args(argv)
    Granian(
        TARGET,
        address=options.host,
        port=options.port,
        interface=Interfaces.WSGI,
        websockets=False,
        workers=options.workers,
        blocking_threads=options.threads,
        blocking_threads_idle_timeout=THREAD_IDLE_SECONDS,
        url_path_prefix=os.environ.get("SCRIPT_NAME") or None,
        # A worker that dies (out of memory, a crash in a C extension) is started again rather
        # than leaving the server one process short until someone notices.
        respawn_failed_workers=True,
        log_access=options.access_log,
    ).serve()


if __name__ == "__main__":
    main()
