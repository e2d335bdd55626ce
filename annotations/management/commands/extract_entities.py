"""Extract entities for a whole project: queue the runs in chunks, then follow them to the end."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from annotations import articles
from annotations.management import follow
from annotations.models import ExtractionRun


class Command(BaseCommand):
    help = "Queue entity extraction for every article of a project and show progress until the runs finish."

    def add_arguments(self, parser: Any) -> None:
        follow.add_arguments(parser, only_missing="Skip articles whose latest extraction run is done.", queued="Runs")

    def handle(self, *args: Any, **options: Any) -> None:
        project = follow.project_of(options)
        run_ids = articles.extract_project(
            project=project, only_missing=options["only_missing"], chunk_size=options["chunk_size"]
        )
        self.stdout.write(f"Queued {len(run_ids)} extraction run(s) for project {project.slug}.")
        if not run_ids or options["no_wait"]:
            return
        failed = follow.follow(
            self, ExtractionRun.objects.filter(pk__in=run_ids), len(run_ids), unit="article", desc="Extracting",
            poll=options["poll"], timeout=options["timeout"],
        )  # fmt: skip
        self.stdout.write(f"Done: {len(run_ids) - failed}; failed: {failed}.")
        if failed:
            raise CommandError(f"{failed} run(s) failed; see the article pages or ExtractionRun.error.")
