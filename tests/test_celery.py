"""The Celery wiring, once, with a real worker process on the real Redis."""

from __future__ import annotations

import pytest

from annotations.tasks import ping
from workbench.broker import EmbeddedRedis, redis_answers


@pytest.mark.worker
def test_a_ping_round_trips_through_redis_and_a_real_worker(celery_worker):
    assert ping.delay("hello").get(timeout=60) == "hello"


def test_the_embedded_redis_starts_answers_and_stops(tmp_path):
    server = EmbeddedRedis(directory=tmp_path / "redis")
    url = server.start()
    try:
        assert redis_answers(url)
    finally:
        server.stop()
    assert not redis_answers(url)
