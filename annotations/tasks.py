"""Celery tasks: thin wrappers that take primary keys and call into the domain."""

from __future__ import annotations

import logging
from collections.abc import Callable

import kombu.exceptions
import redis.exceptions
from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import extraction, jobs, queueing

logger = logging.getLogger(__name__)

# Errors worth a retry: the database or the broker was briefly unreachable (a restart, a
# failover, SQLite's "database is locked"). Anything else is a bug or bad input, and
# retrying it would only repeat the failure.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
EXTRACTION_MAX_RETRIES = 5


@shared_task(name="annotations.ping")
def ping(payload: str = "pong") -> str:
    """Round-trips through the broker: proves a worker is up and reachable."""
    return payload


def _best_effort(function: Callable[..., object], *args: object) -> None:
    """Record a run state while the database may itself be the thing that failed."""
    try:
        function(*args)
    except Exception:  # the original error is what matters, and the caller re-raises it
        logger.warning("could not record the state of extraction run %s", args[0], exc_info=True)


@shared_task(name="annotations.queue_extractions", acks_late=True, reject_on_worker_lost=True)
def queue_extractions(pairs: list[list[int]]) -> int:
    """Send one extraction task per ``[article, run]``: what a batch of new articles sends as one message.

    If the broker refuses part-way, the runs not yet sent are marked failed (and can be re-run
    from the article page), as when a request cannot queue its run.
    """
    from .models import ExtractionRun

    for index, (article_id, run_id) in enumerate(pairs):
        try:
            queueing.send(extract_entities, [article_id, run_id])
        except queueing.BROKER_ERRORS as error:
            queueing.mark_unqueued(ExtractionRun, [run for _article, run in pairs[index:]], error)
            return index
    return len(pairs)


@shared_task(
    bind=True,
    name="annotations.extract_entities",
    # Late acknowledgement plus reject-on-worker-lost: a worker that dies mid-task leaves the
    # message to be delivered again, and the task is safe to run twice.
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.NER_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.NER_TASK_TIME_LIMIT,
    max_retries=EXTRACTION_MAX_RETRIES,
)
def extract_entities(self: Task, article_id: int, run_id: int) -> str:
    """Run NER over an article and replace its machine mentions; returns the outcome's name."""
    try:
        return extraction.run_extraction(article_id=article_id, run_id=run_id, task_id=self.request.id or "").value
    except SoftTimeLimitExceeded:
        extraction.fail_run(
            run_id, f"Extraction took longer than {settings.NER_TASK_SOFT_TIME_LIMIT} seconds and was stopped."
        )
        return extraction.Outcome.FAILED.value
    except TRANSIENT_ERRORS as error:
        retries = self.request.retries or 0
        if retries >= self.max_retries:
            _best_effort(extraction.fail_run, run_id, f"Gave up after {retries + 1} attempts: {error}")
            raise
        _best_effort(extraction.requeue_run, run_id, str(error))
        countdown = get_exponential_backoff_interval(factor=5, retries=retries, maximum=600, full_jitter=True)
        raise self.retry(exc=error, countdown=countdown) from error
    except Exception as error:
        _best_effort(extraction.fail_run, run_id, f"{type(error).__name__}: {error}")
        raise


@shared_task(
    bind=True,
    name="annotations.train_checkworthiness",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.CHECKWORTHINESS_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CHECKWORTHINESS_TASK_TIME_LIMIT,
)
def train_checkworthiness(self: Task, run_id: int) -> str:
    """Train a project's check-worthiness model from its decisions and rescore its sentences."""
    from . import suggestions
    from .models import CheckworthinessRun

    try:
        run = suggestions.run_training(run_id, task_id=self.request.id or "")
    except SoftTimeLimitExceeded:
        jobs.fail(CheckworthinessRun, run_id, "Training took too long and was stopped.")
        return "failed"
    except Exception as error:
        failure = error
        _best_effort(lambda pk: jobs.fail(CheckworthinessRun, pk, failure), run_id)
        raise
    return run.status if run else "skipped"


@shared_task(name="annotations.compute_agreement_report", acks_late=True, soft_time_limit=600, time_limit=660)
def compute_agreement_report(report_id: int) -> None:
    """Agreement statistics for a big project, off the request path."""
    from .stats import run_agreement_report

    run_agreement_report(report_id)


# Export tasks live with the exports; importing them here registers them with the worker.
from .exports.tasks import expire_exports, run_export  # noqa: E402, F401


@shared_task(
    bind=True,
    name="annotations.run_import_job",
    acks_late=True,
    time_limit=settings.IMPORT_TASK_TIME_LIMIT,
    soft_time_limit=settings.IMPORT_TASK_SOFT_TIME_LIMIT,
)
def run_import_job(self, job_id: int) -> str:  # noqa: ANN001 - Celery binds the task instance
    """Import a large batch in the background; progress goes to the job row and the result backend."""
    from .imports.pipeline import run_job

    def live(done: int, total: int) -> None:
        if self.request.id:
            self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    job = run_job(job_id, live_progress=live)
    return job.status if job else "skipped"


@shared_task(
    bind=True,
    name="annotations.capture_source",
    # Safe to run twice (captures.run_capture claims the row conditionally), so a redelivery
    # after a worker died just finishes the capture.
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.CAPTURE_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CAPTURE_TASK_TIME_LIMIT,
    max_retries=EXTRACTION_MAX_RETRIES,
)
def capture_source(self: Task, capture_id: int) -> str:
    """Fetch and keep one source's page (annotations.captures); returns the outcome."""
    from . import captures

    try:
        return captures.run_capture(capture_id=capture_id, task_id=self.request.id or "")
    except SoftTimeLimitExceeded:
        captures.fail(capture_id, f"The capture took longer than {settings.CAPTURE_TASK_SOFT_TIME_LIMIT} seconds.")
        return captures.Outcome.FAILED
    except TRANSIENT_ERRORS as error:
        retries = self.request.retries or 0
        if retries >= self.max_retries:
            _best_effort(captures.fail, capture_id, f"Gave up after {retries + 1} attempts: {error}")
            raise
        countdown = get_exponential_backoff_interval(factor=5, retries=retries, maximum=600, full_jitter=True)
        raise self.retry(exc=error, countdown=countdown) from error
    except Exception as error:
        _best_effort(captures.fail, capture_id, f"{type(error).__name__}: {error}")
        raise


@shared_task(name="annotations.queue_captures", acks_late=True, soft_time_limit=300, time_limit=330)
def queue_captures(capture_ids: list[int]) -> int:
    """Send the capture task of each of many captures (a bulk write sends only this one)."""
    from . import captures

    return captures.fan_out(capture_ids)
