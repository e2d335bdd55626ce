"""What the commands that queue background jobs share: their options, and following the jobs to the end."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet
from tqdm import tqdm

from annotations import jobs
from annotations.models import Project, RunStatus


def add_arguments(parser: Any, *, only_missing: str, queued: str) -> None:
    """``--project``, ``--only-missing`` (its help says what it skips), and the queue/wait options."""
    parser.add_argument("--project", required=True, help="Slug of the project.")
    parser.add_argument("--only-missing", action="store_true", help=only_missing)
    parser.add_argument("--chunk-size", type=int, default=200, help=f"{queued} queued per transaction.")
    parser.add_argument("--no-wait", action="store_true", help=f"Queue the {queued.lower()} and return at once.")
    parser.add_argument("--poll", type=float, default=1.0, help="Seconds between progress checks.")
    parser.add_argument(
        "--timeout", type=float, default=0, help="Give up waiting after this many seconds (0: wait until done)."
    )


def project_of(options: dict[str, Any]) -> Project:
    """The ``--project`` the options name, once the options are checked (a clear error otherwise)."""
    project = Project.objects.filter(slug=options["project"]).first()
    if project is None:
        raise CommandError(f"No project with the slug {options['project']!r}.")
    if options["chunk_size"] < 1:
        raise CommandError("--chunk-size must be 1 or more.")
    return project


def follow(
    command: BaseCommand, rows: QuerySet[Any], total: int, *, unit: str, desc: str, poll: float, timeout: float
) -> int:
    """Poll the jobs until none is queued or running, with a progress bar; returns how many failed.

    Jobs deleted meanwhile (with their article or source) count as finished, neither done nor failed.
    """
    deadline = time.monotonic() + timeout if timeout else None
    with tqdm(total=total, unit=unit, desc=desc, file=command.stderr._out) as bar:
        while True:
            active = rows.filter(status__in=jobs.ACTIVE).count()
            bar.update(total - active - bar.n)
            if not active:
                return rows.filter(status=RunStatus.FAILED).count()
            if deadline is not None and time.monotonic() > deadline:
                raise CommandError(f"Timed out with {active} job(s) still queued or running.")
            time.sleep(poll)
