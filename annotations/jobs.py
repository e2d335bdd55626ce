"""The one policy for background jobs (extraction runs, exports, imports, agreement reports).

A job row is created ``queued`` and its task sent on commit (``queueing``). The task then:

- ``claim``s it: a conditional UPDATE from queued, or from running (a redelivered message after
  its worker died finds the job still marked running), so a finished job is never redone;
- ``finish``es it, or ``fail``s it with the reason: both conditional on it still running, so a
  job someone abandoned meanwhile keeps the state they gave it.

A job nothing will finish is ``is_stuck``: queued for longer than JOB_QUEUED_STUCK_SECONDS (its
message was lost) or running past its task's hard time limit (the limit kills the process before
our code can record anything). The pages offer to run such a job again, after ``abandon``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from .models import Job, RunStatus

J = TypeVar("J", bound=Job)

ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
ERROR_CHARS = 2000
# Past its hard time limit by this much, a running job is taken to be dead.
RUNNING_MARGIN_SECONDS = 60


def claim(model: type[J], pk: int, *, task_id: str = "", **values: Any) -> bool:
    """Move a queued (or redelivered running) job to running; False when it is finished or gone."""
    fields: dict[str, Any] = {"status": RunStatus.RUNNING, "started_at": timezone.now(), "error": "", **values}
    if task_id:
        fields["task_id"] = task_id
    if any(f.name == "attempts" for f in model._meta.get_fields()):
        fields["attempts"] = F("attempts") + 1
    return bool(model._default_manager.filter(pk=pk, status__in=ACTIVE).update(**fields))


def finish(model: type[J], pk: int, **values: Any) -> bool:
    """Mark a running job done with its results; False when someone abandoned it meanwhile."""
    fields = {"status": RunStatus.DONE, "finished_at": timezone.now(), "error": "", **values}
    return bool(model._default_manager.filter(pk=pk, status=RunStatus.RUNNING).update(**fields))


def fail(model: type[J], pk: int, error: str | BaseException, **values: Any) -> bool:
    """Mark a queued or running job failed, saying why; False when it had finished already."""
    text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else error
    fields = {"status": RunStatus.FAILED, "finished_at": timezone.now(), "error": text[:ERROR_CHARS], **values}
    return bool(model._default_manager.filter(pk=pk, status__in=ACTIVE).update(**fields))


def time_limit(job: Job) -> int:
    return int(getattr(settings, job.time_limit_setting, 3600)) if job.time_limit_setting else 3600


def is_stuck(job: Job | None) -> bool:
    """A job nothing will finish: queued with its message lost, or running past its hard time limit.

    Running it again is safe either way: the old message, if it ever arrives, finds its job
    failed and does nothing.
    """
    if job is None:
        return False
    now = timezone.now()
    if job.status == RunStatus.QUEUED:
        return (now - job.created_at).total_seconds() > settings.JOB_QUEUED_STUCK_SECONDS
    if job.status != RunStatus.RUNNING:
        return False
    since = job.started_at or job.created_at
    return (now - since).total_seconds() > time_limit(job) + RUNNING_MARGIN_SECONDS


def stuck_reason(job: Job) -> str:
    """What a stuck job is failed with when someone runs it again."""
    if job.status == RunStatus.QUEUED:
        return "Abandoned: queued for too long without a worker picking it up (its message was lost)."
    return "Abandoned: the worker running it stopped past the hard time limit."


def abandon(job: Job) -> bool:
    """Fail a stuck job so that it can be run again; False when it is not stuck."""
    return is_stuck(job) and fail(type(job), job.pk, stuck_reason(job))
