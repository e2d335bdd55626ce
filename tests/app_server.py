"""The app in its own process, as in production: ``python -m workbench.serve`` (granian) on a free
loopback port, on this test run's database, with environment overrides (a broker that is away,
persistent connections)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT, _database_url_for_worker


def free_port() -> int:
    """A loopback port nothing listens on (bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def app_server(log_path: Path, **env: str) -> Iterator[str]:
    port = free_port()
    full_env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_worker(),
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only-secret-key-not-for-production"),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain http on loopback: cookies marked Secure would not come back.
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        **env,
    }
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench.serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start:\n{log_path.read_text(errors='replace')}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
