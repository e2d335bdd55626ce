"""Load the sample articles in seeds/ into the demo project. Idempotent: twice gives the same rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date

from annotations import articles, factchecks
from annotations.models import Project

SEEDS_DIR = Path(settings.BASE_DIR) / "seeds"


class Command(BaseCommand):
    help = "Import the seed articles (seeds/*.txt with their .json metadata) into a demo project."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--project", default="demo", help="Slug of the project to load into (created if missing).")
        parser.add_argument("--dir", default=str(SEEDS_DIR), help="Folder holding the seed files.")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["dir"])
        texts = sorted(folder.glob("*.txt"))
        if not texts:
            raise CommandError(f"No seed articles (*.txt) in {folder}.")
        project, _ = Project.objects.get_or_create(
            slug=options["project"],
            defaults={"name": "Demo project", "description": "The sample article, for trying things out."},
        )
        for path in texts:
            meta = self._metadata(path)
            try:
                article = articles.create(
                    project=project,
                    title=meta.get("title") or path.stem,
                    text=path.read_text(encoding="utf-8"),
                    url=meta.get("url", ""),
                    publisher=meta.get("publisher", ""),
                    published_at=parse_date(meta["published_at"]) if meta.get("published_at") else None,
                    language=meta.get("language", "en"),
                )
            except articles.DuplicateArticle as duplicate:
                self.stdout.write(f"{path.name}: already loaded as article {duplicate.existing.pk}")
                existing = duplicate.existing
                if settings.CHECKWORTHINESS_ENABLED and not existing.suggestions.exists():
                    # Loaded before sentences were scored: one more extraction pass scores them.
                    articles.enqueue_extraction(existing)
                    self.stdout.write(f"{path.name}: extraction queued to score its sentences")
                continue
            self.stdout.write(self.style.SUCCESS(f"{path.name}: loaded as article {article.pk}"))
        # A small fact-check library (invented demo entries), so that marking one of the seed
        # article's claims shows what was checked before. Importing again updates the same rows.
        for path in sorted((folder / "factchecks").glob("*.json")):
            result = factchecks.import_data(project=project, by=None, data=path.read_bytes(), source=path.name)
            self.stdout.write(f"{path.name}: {result.created} new fact check(s), {result.updated} updated")

    @staticmethod
    def _metadata(path: Path) -> dict[str, str]:
        meta_path = path.with_suffix(".json")
        if not meta_path.exists():
            return {}
        try:
            return json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise CommandError(f"{meta_path.name}: line {error.lineno}: {error.msg}") from None
