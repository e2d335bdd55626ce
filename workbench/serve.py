"""The production web server: ``python -m workbench.serve`` runs granian on ``workbench.wsgi``.

granian parses HTTP and keeps client connections alive in Rust, outside the GIL, and hands each
request to one of a worker's threads. Measured against gunicorn's threaded workers (gthread, which
served the app until 2026-12-07) in the same runs of bench/bench_api.py on this 2-core machine,
claim creates through the API on SQLite went from 265-275 to 350-370 per second with one client
and p50 from 3.5 to 2.3-2.6 ms; on PostgreSQL, and on the desk's mixed page load
(bench/bench_load_desk.py), the two are level. The README's deployment section has the figures.

Settings come from the environment, as every other setting does (command-line flags override):

- ``WEB_BIND``: address and port, default ``127.0.0.1:8000`` (behind a proxy that terminates TLS).
- ``WEB_CONCURRENCY``: worker processes, default one per core plus one. Python runs one thread at
  a time per process, so about one process per core does the work; the extra one covers the time
  a process waits on the database.
- ``WEB_THREADS``: threads per process, default 4. They overlap database waits and each keeps
  its own database connection (``DATABASE_CONN_MAX_AGE``); more would only queue on the GIL.

granian has no per-request timeout (gunicorn's was 60 s): the only slow requests, URL imports,
are bounded by ``IMPORT_FETCH_TIMEOUT`` per page and ``IMPORT_SYNC_MAX_URLS`` pages. It copies the
process environment into every request; ``workbench.wsgi`` drops that copy again.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

TARGET = "workbench.wsgi:application"


def default_workers() -> int:
    return (os.cpu_count() or 1) + 1


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workbench.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bind", default=os.environ.get("WEB_BIND", "127.0.0.1:8000"), help="host:port")
    parser.add_argument(
        "--workers", type=_positive, default=os.environ.get("WEB_CONCURRENCY") or default_workers(), help="processes"
    )
    parser.add_argument(
        "--threads", type=_positive, default=os.environ.get("WEB_THREADS") or 4, help="threads per process"
    )
    parser.add_argument("--access-log", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    host, sep, port = args.bind.rpartition(":")
    if not sep or not host or not port.isdigit():
        parser.error(f"--bind / WEB_BIND must be host:port, not {args.bind!r}")
    args.host, args.port = host.strip("[]"), int(port)
    args.workers, args.threads = _positive(str(args.workers)), _positive(str(args.threads))
    return args


def main(argv: Sequence[str] | None = None) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    args = parse_args(argv)
    Granian(
        TARGET,
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        websockets=False,
        workers=args.workers,
        blocking_threads=args.threads,
        # A worker that dies (out of memory, a crash in a C extension) is started again rather
        # than leaving the server one process short until someone notices.
        respawn_failed_workers=True,
        log_access=args.access_log,
    ).serve()


if __name__ == "__main__":
    main()
