"""Entity extraction through the real broker and real worker processes (no eager mode)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from io import StringIO

import pytest
import redis
from django.core.management import call_command

from annotations import articles
from annotations.models import Article, EntityMention, ExtractionRun, RunStatus
from annotations.tasks import extract_entities
from workbench.celery import app

pytestmark = pytest.mark.worker

WAIT_SECONDS = 120  # a guard against hanging forever on a dead worker, not a speed expectation


def wait_for(condition: Callable[[], bool], what: str, worker=None, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    log = worker.log_tail() if worker else ""
    raise AssertionError(f"gave up waiting for {what}\n{log}")


def run_status(run_id: int) -> str | None:
    return ExtractionRun.objects.filter(pk=run_id).values_list("status", flat=True).first()


def mention_rows(article: Article) -> list[tuple[int, int, str, str]]:
    return list(
        EntityMention.objects.filter(article=article)
        .order_by("start", "end", "label")
        .values_list("start", "end", "label", "text")
    )


def test_creating_an_article_leads_to_stored_mentions_and_a_done_run(celery_worker, project, author, seed_text):
    article = articles.create(project=project, title="Seed", text=seed_text, created_by=author)
    run = article.latest_run

    wait_for(lambda: run_status(run.pk) == RunStatus.DONE, "the run to finish", celery_worker)

    run.refresh_from_db()
    rows = mention_rows(article)
    assert run.mention_count == len(rows) > 100
    assert run.task_id
    assert (seed_text.index("Oleksiy Gromov"), seed_text.index("Oleksiy Gromov") + 14, "PERSON", "Oleksiy Gromov") in (
        rows
    )


def test_running_the_task_twice_leaves_the_same_rows(celery_worker, project, author, seed_text):
    article = articles.create(project=project, title="Seed", text=seed_text, created_by=author)
    first = article.latest_run
    wait_for(lambda: run_status(first.pk) == RunStatus.DONE, "the first run", celery_worker)
    before = list(EntityMention.objects.filter(article=article).values_list("pk", "start", "end", "label"))

    # The same message delivered again (a duplicate publish or a redelivery) ...
    assert extract_entities.delay(article.pk, first.pk).get(timeout=WAIT_SECONDS) == "skipped"
    assert list(EntityMention.objects.filter(article=article).values_list("pk", "start", "end", "label")) == before

    # ... and a fresh run over the same text replace the rows with equal ones, no duplicates.
    second = articles.enqueue_extraction(article)
    wait_for(lambda: run_status(second.pk) == RunStatus.DONE, "the second run", celery_worker)
    assert [row[1:] for row in before] == [row[:3] for row in mention_rows(article)]
    assert set(EntityMention.objects.filter(article=article).values_list("run_id", flat=True)) == {second.pk}


def test_a_task_on_a_deleted_article_ends_cleanly(start_worker, project, author):
    article = articles.create(project=project, title="Gone", text="Gaidai spoke in Luhansk.", created_by=author)
    run_id = article.latest_run.pk
    article.delete()  # before any worker runs: the message is already on the queue

    worker = start_worker()
    assert extract_entities.delay(article.pk, run_id).get(timeout=WAIT_SECONDS) == "gone"
    assert not ExtractionRun.objects.filter(pk=run_id).exists()
    # The result reaches the backend a moment before the worker logs "succeeded": wait for the log.
    wait_for(
        lambda: worker.log_path.read_text(errors="replace").count("succeeded in") >= 3,  # ping, on-commit, ours
        "the worker to log all three tasks",
        worker,
    )
    assert "Traceback" not in worker.log_path.read_text(errors="replace")


def test_the_bulk_command_on_50_articles_ends_with_50_done_runs(celery_worker, project, seed_text):
    paragraphs = seed_text.split("\n")
    for i in range(50):
        # Short variations of the seed (one article has no runs: the factory sends nothing).
        text = f"Dispatch {i}.\n" + "\n".join(paragraphs[i % 20 : i % 20 + 2])
        Article.objects.create(project=project, title=f"Dispatch {i}", text=text)
    out, err = StringIO(), StringIO()

    call_command("extract_entities", project=project.slug, poll=0.3, stdout=out, stderr=err)

    runs = ExtractionRun.objects.filter(article__project=project)
    assert runs.count() == 50
    assert runs.filter(status=RunStatus.DONE).count() == 50
    assert "Queued 50 extraction run(s)" in out.getvalue()
    assert "Done: 50; failed: 0." in out.getvalue()
    assert "50/50" in err.getvalue()  # the progress bar reached the end

    # Nothing is missing now, so --only-missing queues nothing.
    out = StringIO()
    call_command("extract_entities", project=project.slug, only_missing=True, stdout=out, stderr=StringIO())
    assert "Queued 0 extraction run(s)" in out.getvalue()


def test_an_import_sends_one_message_and_the_worker_fans_it_out_to_every_article(celery_worker, project, seed_text):
    import json

    from annotations.imports import pipeline
    from annotations.imports.base import Metadata

    paragraphs = seed_text.split("\n")
    lines = "\n".join(
        json.dumps({"title": f"Wire {i}", "text": f"Wire {i}.\n" + "\n".join(paragraphs[i : i + 2])}) for i in range(12)
    )
    report = pipeline.import_all_or_nothing(
        project=project, user=None, items=[pipeline.ImportInput.file("wire.jsonl", lines.encode())], metadata=Metadata()
    )
    runs = ExtractionRun.objects.filter(article_id__in=[o.article_id for o in report.created])
    assert runs.count() == 12
    wait_for(lambda: runs.filter(status=RunStatus.DONE).count() == 12, "every imported article's run", celery_worker)
    assert EntityMention.objects.filter(article__project=project).exists()


# --- a worker killed mid-task --------------------------------------------------------------------


@pytest.fixture
def private_keyspace(broker_url) -> Iterator[str]:
    """Point this process's publisher at a private Redis key prefix, for the workers of one test.

    The Redis transport keeps unacknowledged messages in ONE index per key prefix. The
    recovering worker below sweeps that index with a short visibility timeout; in the shared
    keyspace it would also "recover" the in-flight messages of other test runs on this Redis.
    """
    prefix = f"wbtest-{uuid.uuid4().hex[:8]}:"
    saved = dict(app.conf.broker_transport_options or {})
    # The namespaced name: with config_from_object(namespace="CELERY") the plain
    # ``broker_transport_options`` key is shadowed by the Django setting. (Results need no
    # prefix: they are keyed by task ids, unique across checkouts.)
    app.conf.CELERY_BROKER_TRANSPORT_OPTIONS = {**saved, "global_keyprefix": prefix}
    _drop_publisher_pools()
    try:
        yield prefix
    finally:
        app.conf.CELERY_BROKER_TRANSPORT_OPTIONS = saved
        _drop_publisher_pools()
        client = redis.Redis.from_url(broker_url)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def _drop_publisher_pools() -> None:
    # Celery caches its producer and connection pools; they must be rebuilt to pick up new
    # transport options (kombu keys its pools by the options, so the old ones stay intact).
    app._pool = None
    app.amqp._producer_pool = None


def _pool_children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in out.stdout.split()]


def test_a_worker_killed_with_sigkill_mid_task_is_replaced_and_mentions_are_stored_once(
    start_worker, private_keyspace, broker_url, project, author, seed_text
):
    doomed = start_worker(CELERY_BROKER_KEY_PREFIX=private_keyspace, NER_TEST_DELAY_SECONDS="300")
    article = articles.create(project=project, title="Seed", text=seed_text, created_by=author)
    run = article.latest_run
    wait_for(lambda: run_status(run.pk) == RunStatus.RUNNING, "the first worker to start the run", doomed)

    doomed.kill(signal.SIGKILL)  # the main process and its pool child: no warm shutdown, no requeue

    # Nothing acknowledged the message: it waits in the unacked index of our keyspace.
    assert redis.Redis.from_url(broker_url).hlen(f"{private_keyspace}unacked") == 1
    assert run_status(run.pk) == RunStatus.RUNNING

    rescuer = start_worker(
        CELERY_BROKER_KEY_PREFIX=private_keyspace,
        CELERY_VISIBILITY_TIMEOUT="5",
        CELERY_UNACKED_RESTORE_INTERVAL="1",
        CELERY_UNACKED_RESTORE_THROTTLE="1",
    )
    wait_for(lambda: run_status(run.pk) == RunStatus.DONE, "the new worker to finish the run", rescuer)

    run.refresh_from_db()
    rows = mention_rows(article)
    assert run.attempts == 2
    assert len(rows) == len(set(rows)) == run.mention_count > 100
    assert EntityMention.objects.filter(article=article).exclude(run=run).count() == 0
    rescuer.stop()  # before the keyspace is cleaned, so the worker recreates none of its keys


def test_a_killed_pool_process_is_requeued_at_once_by_its_worker(
    start_worker, private_keyspace, project, author, seed_text
):
    worker = start_worker(CELERY_BROKER_KEY_PREFIX=private_keyspace, NER_TEST_DELAY_SECONDS="300")
    article = articles.create(project=project, title="Seed", text=seed_text, created_by=author)
    run = article.latest_run
    wait_for(lambda: run_status(run.pk) == RunStatus.RUNNING, "the worker to start the run", worker)

    (child,) = _pool_children(worker.process.pid)
    os.kill(child, signal.SIGKILL)

    # reject_on_worker_lost: the surviving main process requeues the message, a fresh pool
    # process takes it, and the redelivery is not held by the test delay.
    wait_for(lambda: run_status(run.pk) == RunStatus.DONE, "the requeued run to finish", worker)
    run.refresh_from_db()
    rows = mention_rows(article)
    assert run.attempts == 2
    assert len(rows) == len(set(rows)) == run.mention_count
    assert "WorkerLostError" in worker.log_path.read_text(errors="replace")
    worker.stop()
