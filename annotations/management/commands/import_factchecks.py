"""Import published fact checks (ClaimReview JSON-LD) into a project's library.

`manage.py import_factchecks --project P FILE|URL ...`: each input imports atomically (a bad one is
reported with its item or line and writes nothing); the others go on. Exits non-zero when any
input failed. Without ``--user`` the server's operator imports; with it, that user must be an
editor or admin of the project.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from annotations import factchecks
from annotations.imports.base import ImportProblem
from annotations.models import Project


class Command(BaseCommand):
    help = "Import ClaimReview JSON-LD (files: JSON, JSON Lines, HTML; or http(s) URLs) into a project's library."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("inputs", nargs="+", metavar="FILE|URL")
        parser.add_argument("--project", required=True, help="Slug of the project whose library to fill.")
        parser.add_argument("--user", help="Username recorded as the importer (an editor or admin).")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with slug {options['project']!r}.")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        failures: list[str] = []
        for raw in options["inputs"]:
            try:
                if raw.startswith(("http://", "https://")):
                    result = factchecks.import_url(project=project, by=user, url=raw)
                else:
                    path = Path(raw)
                    if not path.is_file():
                        raise ImportProblem("no such file.", source=raw)
                    result = factchecks.import_data(project=project, by=user, data=path.read_bytes(), source=raw)
            except PermissionDenied as refused:
                raise CommandError(str(refused)) from None
            except ImportProblem as problem:
                failures.append(str(problem))
                self.stderr.write(str(problem))
                continue
            self.stdout.write(f"{raw}: {result.created} new, {result.updated} updated")
            for note in result.notes:
                self.stdout.write(f"  {note}")
        if failures:
            raise CommandError(f"{len(failures)} input(s) failed; nothing was written from them.")
