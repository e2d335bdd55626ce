"""Capture the pages of a project's sources: queue the captures, then follow them to the end."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations import captures, jobs
from annotations.models import Capture, Project, RunStatus


class Command(BaseCommand):
    help = "Queue a capture of every source page of a project (on the worker queue) and show progress."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--project", required=True, help="Slug of the project.")
        parser.add_argument("--only-missing", action="store_true", help="Skip sources that have a finished capture.")
        parser.add_argument("--chunk-size", type=int, default=200, help="Captures queued per transaction.")
        parser.add_argument("--no-wait", action="store_true", help="Queue the captures and return at once.")
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds between progress checks.")
        parser.add_argument(
            "--timeout", type=float, default=0, help="Give up waiting after this many seconds (0: wait until done)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with the slug {options['project']!r}.")
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be 1 or more.")
        if not settings.CAPTURE_SOURCES:
            raise CommandError("Capturing sources is turned off (CAPTURE_SOURCES=0).")
        ids = captures.capture_project(
            project_id=project.pk, only_missing=options["only_missing"], chunk_size=options["chunk_size"]
        )
        self.stdout.write(f"Queued {len(ids)} capture(s) for project {project.slug}.")
        if not ids or options["no_wait"]:
            return
        failed = self._follow(ids, options["poll"], options["timeout"])
        self.stdout.write(f"Captured: {len(ids) - failed}; failed: {failed}.")
        if failed:
            raise CommandError(f"{failed} capture(s) failed; the desk shows each reason (or Capture.error).")

    def _follow(self, ids: list[int], poll: float, timeout: float) -> int:
        """Poll the captures until none is queued or running; returns how many failed."""
        rows = Capture.objects.filter(pk__in=ids)
        deadline = time.monotonic() + timeout if timeout else None
        with tqdm(total=len(ids), unit="source", desc="Capturing", file=self.stderr._out) as bar:
            while True:
                active = rows.filter(status__in=jobs.ACTIVE).count()
                bar.update(len(ids) - active - bar.n)
                if not active:
                    return rows.filter(status=RunStatus.FAILED).count()
                if deadline is not None and time.monotonic() > deadline:
                    raise CommandError(f"Timed out with {active} capture(s) still queued or running.")
                time.sleep(poll)
