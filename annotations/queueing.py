"""Sending a job's task once its row is committed, and what happens when the broker is away.

Every job (an extraction run, an export, an import, an agreement report) is a row with a status
that the task moves along. The row is saved first and the task sent on commit, so a worker never
looks for a row it cannot see. If the broker cannot take the task, the row is what the person
sees: it is marked failed with the reason at once, so the request that saved it still succeeds
(the article, the export request are kept) and the page offers to run the job again, instead
of answering 500 after a long wait with a job left "queued" for ever.

How long a send may wait is set by the broker timeouts in settings (CELERY_BROKER_* and the
publish retry policy), kept to a couple of seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import Task
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from .models import QUEUE_FAILED, RunStatus

logger = logging.getLogger(__name__)

__all__ = ["QUEUE_FAILED", "requeue", "send_batch_on_commit", "send_many_on_commit", "send_on_commit"]
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def send(task: Task, args: Sequence[Any], *, task_id: str | None = None) -> None:
    """Publish now. Results are not stored for job tasks: their rows carry the outcome.

    (Subscribing to a result also needs the broker's Redis, and the result backend retries far
    longer than a request should wait.)
    """
    task.apply_async(args=list(args), task_id=task_id, ignore_result=True)


def _has_finished_at(job_model: type[Model]) -> bool:
    return any(f.name == "finished_at" for f in job_model._meta.get_fields())


def mark_unqueued(job_model: type[Model], job_pks: Sequence[int], error: BaseException) -> dict[str, Any]:
    """Mark still-queued jobs failed because their task never reached the broker; returns the new values."""
    logger.warning("broker unreachable: %s %s not queued (%s)", job_model.__name__, list(job_pks), error)
    fields: dict[str, Any] = {"status": RunStatus.FAILED, "error": QUEUE_FAILED}
    if _has_finished_at(job_model):
        fields["finished_at"] = timezone.now()
    try:
        job_model._default_manager.filter(pk__in=list(job_pks), status=RunStatus.QUEUED).update(**fields)
    except Exception:  # the database may be failing too; the log above still says what happened
        logger.exception("could not mark %s %s as not queued", job_model.__name__, list(job_pks))
    return fields


def send_on_commit(task: Task, args: Sequence[Any], *, job: Model, task_id: str | None = None) -> None:
    """Send ``task`` when the current transaction commits; if the broker refuses, fail ``job``.

    The instance is updated too, so a view that answers with it shows the failure, not "queued".
    """

    def publish() -> None:
        try:
            send(task, args, task_id=task_id)
        except BROKER_ERRORS as error:
            for name, value in mark_unqueued(type(job), [job.pk], error).items():
                setattr(job, name, value)

    transaction.on_commit(publish)


def send_many_on_commit(task: Task, calls: Sequence[tuple[Sequence[Any], int]], *, job_model: type[Model]) -> None:
    """Like send_on_commit for many jobs: ``calls`` pairs each task's args with its job's pk.

    After the first refusal the rest are not tried: each would wait out the same timeouts.
    """

    def publish() -> None:
        for index, (args, _job_pk) in enumerate(calls):
            try:
                send(task, args)
            except BROKER_ERRORS as error:
                mark_unqueued(job_model, [pk for _a, pk in calls[index:]], error)
                return

    transaction.on_commit(publish)


def send_batch_on_commit(task: Task, args: Sequence[Any], *, job_model: type[Model], job_pks: Sequence[int]) -> None:
    """Send one message that stands for many jobs (a task that fans out); if refused, fail them all.

    A thousand imported articles (or captured sources) then cost the request one publish instead
    of a thousand (a Redis round trip each, 0.5-2 ms): the worker sends the per-job tasks.
    """

    def publish() -> None:
        try:
            send(task, args)
        except BROKER_ERRORS as error:
            mark_unqueued(job_model, list(job_pks), error)

    transaction.on_commit(publish)


def requeue(
    task: Task, args: Sequence[Any], *, job_model: type[Model], job_pk: int, task_id: str | None = None
) -> bool:
    """Queue again a job whose task never reached the broker; False when it is not such a job.

    Only jobs that failed to be queued qualify: their task never ran, so nothing of theirs was
    written or cleaned up, and sending the same job again is the whole repair.
    """
    with transaction.atomic():
        fields: dict[str, Any] = {"status": RunStatus.QUEUED, "error": ""}
        if _has_finished_at(job_model):
            fields["finished_at"] = None
        moved = job_model._default_manager.filter(pk=job_pk, status=RunStatus.FAILED, error=QUEUE_FAILED).update(
            **fields
        )
        if moved:
            send_on_commit(task, args, job=job_model._default_manager.get(pk=job_pk), task_id=task_id)
    return bool(moved)
