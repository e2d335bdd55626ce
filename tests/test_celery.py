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


def test_captures_go_to_their_own_queue_and_other_jobs_to_the_default_one(broker_url):
    """A bulk write's thousands of captures must not stand in front of extractions and exports."""
    import redis
    from django.conf import settings

    from annotations.tasks import capture_source, extract_entities, queue_captures
    from workbench.celery import app, capture_queue, worker_queues

    default = settings.CELERY_TASK_DEFAULT_QUEUE
    assert capture_queue() == f"{default}.captures"
    assert worker_queues().split(",") == [default, f"{default}.captures"]
    client = redis.Redis.from_url(broker_url)
    client.delete(default, capture_queue())
    try:
        capture_source.apply_async(args=[10**9], ignore_result=True)
        queue_captures.apply_async(args=[[10**9]], ignore_result=True)
        extract_entities.apply_async(args=[10**9, 10**9], ignore_result=True)
        assert client.llen(capture_queue()) == 2
        assert client.llen(default) == 1
    finally:
        client.delete(default, capture_queue())
    assert app.conf.task_default_queue == default
