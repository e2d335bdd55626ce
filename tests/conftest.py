"""Shared fixtures: the people of a project, the seed article, the real broker and real workers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from annotations.models import Article, Project, Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from workbench.broker import ensure_broker
from workbench.celery import worker_queues

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXT_PATH = ROOT / "seeds" / "000_ddd837a79f5b304a.txt"

# PBKDF2's 1,000,000 rounds cost ~0.3 s per test user; test passwords protect nothing, so MD5
# (in-process only: workers and servers started by tests keep the real hashers).
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """API throttle counts live in the cache: each test starts with none (as a new minute would)."""
    from django.core.cache import cache

    cache.clear()


# --- people and data ---------------------------------------------------------------------------


@pytest.fixture
def project(db) -> Project:
    return ProjectFactory(name="Newsroom", slug="newsroom")


@pytest.fixture
def author(project):
    """A reviewer of ``project``: the one who marks claims in most tests."""
    return MembershipFactory(project=project, user=UserFactory(username="author"), role=Role.REVIEWER).user


@pytest.fixture
def other_reviewer(project):
    return MembershipFactory(project=project, user=UserFactory(username="other-reviewer"), role=Role.REVIEWER).user


@pytest.fixture
def editor(project):
    return MembershipFactory(project=project, user=UserFactory(username="editor"), role=Role.EDITOR).user


@pytest.fixture
def project_admin(project):
    return MembershipFactory(project=project, user=UserFactory(username="project-admin"), role=Role.ADMIN).user


@pytest.fixture
def outsider(db):
    """A user of another project: must never see anything of ``project``."""
    return MembershipFactory(user=UserFactory(username="outsider"), role=Role.EDITOR).user


@pytest.fixture
def seed_text() -> str:
    return SEED_TEXT_PATH.read_text(encoding="utf-8")


@pytest.fixture
def article(project, author, seed_text) -> Article:
    from annotations import articles

    return articles.create(project=project, title="Seed article", text=seed_text, created_by=author)


@pytest.fixture
def client_for(client) -> Callable:
    def login(user):
        client.force_login(user)
        return client

    return login


# --- broker and workers ------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def broker_url() -> Iterator[str]:
    """The real Redis the suite talks to: CELERY_BROKER_URL, else 127.0.0.1:6379, else embedded.

    Each session uses its own queue so parallel checkouts on one machine do not steal each
    other's tasks.
    """
    from workbench.celery import app

    url, embedded = ensure_broker(Path(settings.VAR_DIR), settings.DEFAULT_BROKER_URL)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    app.conf.broker_url = url
    app.conf.result_backend = url
    app.conf.task_default_queue = queue
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    try:
        yield url
    finally:
        if embedded:
            embedded.stop()


def _database_url_for_worker() -> str:
    """A DATABASE_URL that points a worker process at this test run's database."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    if connection.vendor == "postgresql":
        user = params.get("USER") or "postgres"
        password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
        host = params.get("HOST") or "127.0.0.1"
        port = params.get("PORT") or 5432
        return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"
    raise RuntimeError(f"no worker DATABASE_URL for {connection.vendor}")


class WorkerProcess:
    """A real `celery worker` in its own process, on the test broker and the test database."""

    def __init__(self, broker: str, queue: str, log_path: Path, extra_env: dict[str, str]) -> None:
        self.log_path = log_path
        env = {
            **os.environ,
            "DATABASE_URL": _database_url_for_worker(),
            "CELERY_BROKER_URL": broker,
            "CELERY_RESULT_BACKEND": broker,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            **extra_env,
        }
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workbench",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "1",
                "--pool",
                "prefork",
                "--queues",
                worker_queues(queue),
                "--hostname",
                f"{uuid.uuid4().hex[:6]}@test",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        from annotations.tasks import ping

        deadline = time.monotonic() + timeout
        result = ping.delay("ready")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.log_tail()}")
            if result.ready():
                assert result.get() == "ready"
                return
            time.sleep(0.1)
        raise RuntimeError(f"worker did not answer a ping within {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill(self, sig: int = 9) -> None:
        """Signal the whole process group: the main process and its pool children."""
        os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        self._log.close()


@pytest.fixture
def start_worker(broker_url, transactional_db, tmp_path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real worker processes; tests using it commit their data so the worker sees it."""
    started: list[WorkerProcess] = []

    def start(wait: bool = True, **extra_env: str) -> WorkerProcess:
        worker = WorkerProcess(
            broker_url, settings.CELERY_TASK_DEFAULT_QUEUE, tmp_path / f"worker-{len(started)}.log", extra_env
        )
        started.append(worker)
        if wait:
            worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def celery_worker(start_worker) -> WorkerProcess:
    return start_worker()


# --- API clients ------------------------------------------------------------------------------


@pytest.fixture
def api_client_for() -> Callable:
    """An API client that sends ``Authorization: Token <key>`` for a fresh token of ``user``."""
    from rest_framework.test import APIClient

    from annotations.models import ApiToken

    def make(user):
        _, key = ApiToken.issue(user, "tests")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return api

    return make
