"""Delete the files of expired export jobs (run it daily from cron, or the expire_exports task)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from annotations.exports.jobs import expire_jobs


class Command(BaseCommand):
    help = "Delete export files past their expiry (EXPORT_FILE_TTL_DAYS); manifests stay."

    def handle(self, *args: Any, **options: Any) -> None:
        count = expire_jobs()
        self.stdout.write(f"Expired {count} export file(s).")
