"""The Celery application: settings come from Django's (CELERY_* names), tasks from the apps."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")

app = Celery("workbench")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Evidence captures fetch other sites' pages: network-bound, and a bulk write of 7,000 sourced
# claims queues 7,000 of them at once. On a queue of their own a worker takes turns between
# queues, so an extraction or an export queued after them does not wait for them all.
CAPTURE_TASKS = frozenset({"annotations.capture_source", "annotations.queue_captures"})


def capture_queue(default: str | None = None) -> str:
    """The captures' queue: named after the default queue (tests and benches set their own)."""
    return f"{default or app.conf.task_default_queue}.captures"


def worker_queues(default: str | None = None) -> str:
    """What a worker that does every kind of job consumes (``celery worker --queues``)."""
    default = default or app.conf.task_default_queue
    return f"{default},{capture_queue(default)}"


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> dict[str, str] | None:
    return {"queue": capture_queue()} if name in CAPTURE_TASKS else None


app.conf.task_routes = (route_task,)
