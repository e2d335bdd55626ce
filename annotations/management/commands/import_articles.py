"""Import articles from files and URLs into a project: `manage.py import_articles --project P FILE|URL ...`.

Each file imports atomically; a bad file is reported with its line and skipped while the others
go on. The command exits non-zero when any input failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations.imports.base import ImportProblem, Metadata, check_size
from annotations.imports.pipeline import ImportInput, import_each
from annotations.imports.registry import FILE_FORMATS
from annotations.models import Project


class Command(BaseCommand):
    help = "Import articles from files (.txt .md .html .jsonl .csv) and http(s) URLs into a project."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("inputs", nargs="+", metavar="FILE|URL")
        parser.add_argument("--project", required=True, help="Slug of the project to import into.")
        parser.add_argument("--format", choices=FILE_FORMATS, help="Parse every file as this format.")
        parser.add_argument("--user", help="Username recorded as the importer.")
        parser.add_argument("--title", default="", help="Title (one-document formats).")
        parser.add_argument("--publisher", default="")
        parser.add_argument("--published-at", default="", help="ISO date, e.g. 2022-05-26.")
        parser.add_argument("--language", default="")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            project = Project.objects.get(slug=options["project"])
        except Project.DoesNotExist:
            raise CommandError(f"No project with slug {options['project']!r}.") from None
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        metadata = Metadata(
            title=options["title"],
            publisher=options["publisher"],
            published_at=options["published_at"],
            language=options["language"],
        )
        items: list[ImportInput] = []
        failures: list[str] = []
        for raw in options["inputs"]:
            if raw.startswith(("http://", "https://")):
                items.append(ImportInput.from_url(raw))
                continue
            path = Path(raw)
            if not path.is_file():
                failures.append(f"{raw}: no such file.")
                continue
            try:
                check_size(path.stat().st_size, path.name)
            except ImportProblem as problem:
                failures.append(str(problem))
                continue
            items.append(ImportInput.file(path.name, path.read_bytes(), options["format"]))

        with tqdm(
            total=0, unit="article", desc="importing", disable=options["no_progress"], file=self.stderr._out
        ) as bar:

            def grow(count: int) -> None:
                bar.total += count
                bar.refresh()

            report = import_each(
                project=project, user=user, items=items, metadata=metadata, progress=bar.update, on_parsed=grow
            )
        for outcome in report.created:
            where = f" (line {outcome.line})" if outcome.line else ""
            self.stdout.write(self.style.SUCCESS(f"{outcome.source}{where}: added article {outcome.article_id}"))
        for outcome in report.duplicates:
            where = f" (line {outcome.line})" if outcome.line else ""
            self.stdout.write(f"{outcome.source}{where}: {outcome.message}")
        failures += [outcome.message for outcome in report.errors]
        for message in failures:
            self.stderr.write(self.style.ERROR(message))
        summary = f"{len(report.created)} added, {len(report.duplicates)} already imported, {len(failures)} failed."
        if failures:
            raise CommandError(summary)
        self.stdout.write(summary)
