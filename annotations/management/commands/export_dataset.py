"""Export a project's claims to a file (or stdout) in any registered format, with a progress bar."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations.exports import FORMATS, ExportParamsError, ExportStream, parse_params, write_export
from annotations.exports.jobs import build_manifest
from annotations.models import Project


class Command(BaseCommand):
    help = "Export a project's claims (approved only unless --include-unreviewed) to FILE in a format."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--format", required=True, choices=list(FORMATS), help="Export format.")
        parser.add_argument("--out", required=True, help="Output file, or - for standard output.")
        parser.add_argument("--status", action="append", default=[], help="Claim status (repeat or comma-separate).")
        parser.add_argument("--verdict", action="append", default=[], help="Verdict (repeat or comma-separate).")
        parser.add_argument("--reviewer", default="", help="Username: claims this member marked or approved.")
        parser.add_argument("--date-from", default="", help="Claims changed on or after YYYY-MM-DD (UTC).")
        parser.add_argument("--date-to", default="", help="Claims changed on or before YYYY-MM-DD (UTC).")
        parser.add_argument("--article", default="", help="Only this article id.")
        parser.add_argument("--include-unreviewed", action="store_true", help="Export claims that are not approved.")
        parser.add_argument("--include-mentions", action="store_true", help="JSONL: entity mentions too.")
        parser.add_argument(
            "--include-suggestions", action="store_true", help="JSONL: every sentence's check-worthiness score."
        )
        parser.add_argument("--bom", action="store_true", help="CSV: start with a UTF-8 byte order mark.")
        parser.add_argument("--manifest", default="", help="Also write the manifest (JSON) to this file.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"There is no project {options['project']!r}.")
        data = {
            "format": options["format"],
            "status": options["status"],
            "verdict": options["verdict"],
            "reviewer": options["reviewer"],
            "date_from": options["date_from"],
            "date_to": options["date_to"],
            "article": options["article"],
            "include_unreviewed": options["include_unreviewed"],
            "include_mentions": options["include_mentions"],
            "include_suggestions": options["include_suggestions"],
            "bom": options["bom"],
        }
        try:
            params = parse_params(data, project=project)
        except ExportParamsError as error:
            raise CommandError("; ".join(f"--{k.replace('_', '-')}: {v}" for k, v in error.errors.items())) from None
        stream = ExportStream(project, params)
        bar = tqdm(total=0, unit="article", disable=options["no_progress"], file=sys.stderr)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        to_stdout = options["out"] == "-"
        out_path = Path(options["out"])
        tmp_path = out_path.with_name(f".{out_path.name}.part")
        out = sys.stdout.buffer if to_stdout else open(tmp_path, "wb")  # noqa: SIM115 - closed below
        try:
            result = write_export(stream, out, progress)
        except BaseException:
            if not to_stdout:
                out.close()
                tmp_path.unlink(missing_ok=True)
            raise
        finally:
            bar.close()
        if not to_stdout:
            out.close()
            os.replace(tmp_path, out_path)  # never leave a half-written file under the real name
        manifest = build_manifest(stream, result, "" if to_stdout else str(out_path))
        if options["manifest"]:
            Path(options["manifest"]).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        self.stderr.write(
            f"{result.row_count} {stream.format.unit} rows ({result.claim_count} claims), "
            f"{result.bytes} bytes, sha256 {result.sha256}"
        )
