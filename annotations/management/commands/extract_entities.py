"""Extract entities for a whole project: queue the runs in chunks, then follow them to the end."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations import articles
from annotations.extraction import ACTIVE
from annotations.models import ExtractionRun, Project, RunStatus


class Command(BaseCommand):
    help = "Queue entity extraction for every article of a project and show progress until the runs finish."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--project", required=True, help="Slug of the project.")
        parser.add_argument(
            "--only-missing", action="store_true", help="Skip articles whose latest extraction run is done."
        )
        parser.add_argument("--chunk-size", type=int, default=200, help="Runs queued per transaction.")
        parser.add_argument("--no-wait", action="store_true", help="Queue the runs and return at once.")
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
        run_ids = articles.extract_project(
            project=project, only_missing=options["only_missing"], chunk_size=options["chunk_size"]
        )
        self.stdout.write(f"Queued {len(run_ids)} extraction run(s) for project {project.slug}.")
        if not run_ids or options["no_wait"]:
            return
        failed = self._follow(run_ids, options["poll"], options["timeout"])
        done = len(run_ids) - failed
        self.stdout.write(f"Done: {done}; failed: {failed}.")
        if failed:
            raise CommandError(f"{failed} run(s) failed; see the article pages or ExtractionRun.error.")

    def _follow(self, run_ids: list[int], poll: float, timeout: float) -> int:
        """Poll the runs until none is queued or running; returns how many failed."""
        runs = ExtractionRun.objects.filter(pk__in=run_ids)
        deadline = time.monotonic() + timeout if timeout else None
        with tqdm(total=len(run_ids), unit="article", desc="Extracting", file=self.stderr._out) as bar:
            while True:
                active = runs.filter(status__in=ACTIVE).count()
                bar.update(len(run_ids) - active - bar.n)
                if not active:
                    # Runs deleted with their article count as finished, neither done nor failed.
                    return runs.filter(status=RunStatus.FAILED).count()
                if deadline is not None and time.monotonic() > deadline:
                    raise CommandError(f"Timed out with {active} run(s) still queued or running.")
                time.sleep(poll)
