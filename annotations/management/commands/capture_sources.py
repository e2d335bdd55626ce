"""Capture the pages of a project's sources: queue the captures, then follow them to the end."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from annotations import captures
from annotations.management import follow
from annotations.models import Capture


class Command(BaseCommand):
    help = "Queue a capture of every source page of a project (on the worker queue) and show progress."

    def add_arguments(self, parser: Any) -> None:
        follow.add_arguments(parser, only_missing="Skip sources that have a finished capture.", queued="Captures")

    def handle(self, *args: Any, **options: Any) -> None:
        project = follow.project_of(options)
        if not settings.CAPTURE_SOURCES:
            raise CommandError("Capturing sources is turned off (CAPTURE_SOURCES=0).")
        ids = captures.capture_project(
            project_id=project.pk, only_missing=options["only_missing"], chunk_size=options["chunk_size"]
        )
        self.stdout.write(f"Queued {len(ids)} capture(s) for project {project.slug}.")
        if not ids or options["no_wait"]:
            return
        failed = follow.follow(
            self, Capture.objects.filter(pk__in=ids), len(ids), unit="source", desc="Capturing",
            poll=options["poll"], timeout=options["timeout"],
        )  # fmt: skip
        self.stdout.write(f"Captured: {len(ids) - failed}; failed: {failed}.")
        if failed:
            raise CommandError(f"{failed} capture(s) failed; the desk shows each reason (or Capture.error).")
