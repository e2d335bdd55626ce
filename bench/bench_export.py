"""Benchmark: export JSONL and CSV from a generated project, next to a floor measured in the same run.

The floor reads the same rows with one raw SQL query and serialises them with the same libraries
(json, csv) into the same kind of sink. Each export and each floor runs in its own child
process so "peak RSS" is that process's high-water mark and nothing else's.

    python bench/bench_export.py                       # SQLite, 10,000 and 30,000 claims (short)
    BENCH_EXPORT_CLAIMS=7000 BENCH_EXPORT_CLAIMS_PER_ARTICLE=7000 python bench/bench_export.py  # one bulk article
    BENCH_EXPORT_CLAIMS=10000,100000 python bench/bench_export.py      # the full sizes
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_export python bench/bench_export.py

On PostgreSQL the database named in DATABASE_URL (it must start with "bench") is created and
dropped by this script. Each measurement is the best of BENCH_EXPORT_REPEAT (3) runs.
Prints one JSON line per measurement, then a summary line with the
targets: within 3x of the floor, peak RSS under 200 MB, and flat between sizes.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# BENCH_EXPORT_CLAIMS_PER_ARTICLE=7000 with BENCH_EXPORT_CLAIMS=7000: the one bulk article.
CLAIMS_PER_ARTICLE = int(os.environ.get("BENCH_EXPORT_CLAIMS_PER_ARTICLE", "10"))
FORMATS = ("jsonl", "csv")
RATIONALE = "Checked against the statistics office.\nSee the sources."


def rss_mb() -> float:
    """This process's peak resident set since ``reset_peak_rss``: Linux's VmHWM.

    Not ``ru_maxrss``: a child keeps the peak of the parent it was forked from across exec, so
    after the parent generated 100,000 claims every child "peaked" at the parent's 430 MB.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def reset_peak_rss() -> None:
    """Start VmHWM again from the current resident set (Linux 4.0+; elsewhere nothing happens)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        pass


class Sink:
    """Counts bytes like a file would receive them, without a disk in the measurement."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        return len(data)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
    import django

    django.setup()


# --- child: one measurement ---------------------------------------------------------------------


def child(kind: str, fmt: str) -> None:
    reset_peak_rss()
    setup_django()
    from annotations.exports import ExportStream, parse_params, write_export  # noqa: F401 - warm imports
    from annotations.models import Project

    project = Project.objects.get(slug="bench")
    baseline = rss_mb()
    sink = Sink()
    started = time.perf_counter()
    if kind == "export":
        params = parse_params({"format": fmt}, project=project)
        result = write_export(ExportStream(project, params), sink)
        rows, claims = result.row_count, result.claim_count
    else:
        rows, claims = floor(project.pk, fmt, sink)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "claims": claims, "bytes": sink.bytes, "seconds": seconds,
                      "peak_rss_mb": rss_mb(), "baseline_rss_mb": baseline}))  # fmt: skip


def floor(project_id: int, fmt: str, sink: Sink) -> tuple[int, int]:
    """The same rows from one raw query, serialised with the same libraries: the cost of the data itself."""
    import csv
    import io

    from django.db import connection

    from annotations.exports.encoding import dumps

    # The article's text is read once per article, not once per joined claim row (a bulk
    # article's megabyte would otherwise come back 7,000 times).
    text_column = "NULL, NULL," if fmt == "jsonl" else ""
    sql = f"""
        SELECT a.id, a.title, a.url, a.publisher, a.published_at, {text_column}
               c.id, c.start, c."end", c.quote, c.prefix, c.suffix, c.claim_text, c.claimant, c.status, c.verdict,
               c.rationale, c.created_at, c.updated_at, s.url
        FROM annotations_claim c
        JOIN annotations_article a ON a.id = c.article_id
        LEFT JOIN annotations_source s ON s.claim_id = c.id
        WHERE a.project_id = %s AND c.status = 'approved'
        ORDER BY a.id, c.start, c."end", c.id, s.id
    """
    rows = claims = 0
    texts: dict[int, tuple[str, str]] = {}
    if fmt == "jsonl":
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, text, text_sha256 FROM annotations_article WHERE project_id = %s", [project_id])
            texts = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [project_id])
        if fmt == "jsonl":
            current: dict | None = None
            while batch := cursor.fetchmany(2000):
                for r in batch:
                    if current is None or current["id"] != r[0]:
                        if current is not None:
                            sink.write((dumps(current) + "\n").encode())
                            rows += 1
                        current = {"id": r[0], "title": r[1], "url": r[2], "publisher": r[3], "published_at": str(r[4]),
                                   "text": texts[r[0]][0], "text_sha256": texts[r[0]][1], "claims": []}  # fmt: skip
                    current["claims"].append(
                        {"id": r[7], "start": r[8], "end": r[9], "quote": r[10], "prefix": r[11], "suffix": r[12],
                         "claim_text": r[13], "claimant": r[14], "status": r[15], "verdict": r[16],
                         "rationale": r[17], "created_at": str(r[18]), "updated_at": str(r[19]), "sources": [r[20]]}
                    )  # fmt: skip
                    claims += 1
            if current is not None:
                sink.write((dumps(current) + "\n").encode())
                rows += 1
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            while batch := cursor.fetchmany(2000):
                for r in batch:
                    writer.writerow(r)
                    claims += 1
                sink.write(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
            rows = claims
    return rows, claims


# --- parent: data and orchestration -------------------------------------------------------------


def generate(claims: int) -> tuple[int, float]:
    """(Re)fill the bench project with claims/10 articles, a source per claim and 3 mentions per article."""
    import hashlib
    from datetime import UTC, datetime

    from django.contrib.auth.models import User
    from django.db import transaction

    from annotations.models import Article, Claim, EntityMention, Project, Source, Verdict
    from tests.factories import UserFactory

    started = time.perf_counter()
    Project.objects.filter(slug="bench").delete()
    project = Project.objects.create(name="Bench", slug="bench")
    user: User = UserFactory.create(username="bench-author")
    verdicts = list(Verdict.values)
    articles = max(1, claims // CLAIMS_PER_ARTICLE)
    words = ("Officials said the unemployment rate fell by 5 % last year, while critics — quoting «data» "
             "from the régional office — argued that the figures were misleading and incomplete. ")  # fmt: skip
    words *= max(12, CLAIMS_PER_ARTICLE * 150 // len(words) + 1)  # room for every claim's span
    now = datetime.now(UTC)
    batch = 500
    with transaction.atomic():
        for first in range(0, articles, batch):
            rows = []
            for n in range(first, min(articles, first + batch)):
                text = f"Article {n}. {words}".strip()
                digest = hashlib.sha256(text.encode()).hexdigest()
                rows.append(Article(project=project, title=f"Bench article {n}", url=f"https://news.example/{n}",
                                    publisher="Bench News", published_at=now, text=text, text_sha256=digest,
                                    created_by=user))  # fmt: skip
            made = Article.objects.bulk_create(rows)
            claim_rows, mention_rows = [], []
            for article in made:
                text = article.text
                for k in range(CLAIMS_PER_ARTICLE):
                    start = 20 + k * 150
                    end = start + 90
                    claim_rows.append(Claim(article=article, start=start, end=end, quote=text[start:end],
                                            prefix=text[max(0, start - 32):start], suffix=text[end:end + 32],
                                            claim_text=text[start:end], claimant="A minister", status="approved",
                                            verdict=verdicts[k % len(verdicts)], rationale=RATIONALE,
                                            created_by=user, reviewed_by=user))  # fmt: skip
                for k in range(3):
                    start = 20 + k * 150
                    mention = EntityMention(article=article, start=start, end=start + 9, text=text[start : start + 9],
                                            label="ORG", model="bench")  # fmt: skip
                    mention_rows.append(mention)
            claims_made = Claim.objects.bulk_create(claim_rows)
            Source.objects.bulk_create(
                Source(claim=c, url=f"https://stats.example/{c.pk}", title="Statistics", excerpt="The rate rose.",
                       stance="refutes", added_by=user)
                for c in claims_made
            )  # fmt: skip
            EntityMention.objects.bulk_create(mention_rows)
    from django.db import connection

    if connection.vendor == "sqlite":
        # Fold the write-ahead log back into the file: readers would otherwise map a large WAL index.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return articles, time.perf_counter() - started


def run_child(kind: str, fmt: str) -> dict:
    """The best time of a few fresh processes (the machine is shared), and the highest peak RSS."""
    runs = []
    for _ in range(int(os.environ.get("BENCH_EXPORT_REPEAT", "3"))):
        command = [sys.executable, __file__, "--child", kind, fmt]
        out = subprocess.run(command, capture_output=True, text=True, env=os.environ, check=False)
        if out.returncode != 0:
            raise SystemExit(f"{kind} {fmt} failed:\n{out.stderr}")
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda run: run["seconds"])
    return {**best, "peak_rss_mb": max(run["peak_rss_mb"] for run in runs)}


def prepare_database() -> tuple[str, Callable[[], None]]:
    """Point DATABASE_URL at a throwaway database; returns (engine name, cleanup)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        name = url.rsplit("/", 1)[1]
        if not name.startswith("bench"):
            raise SystemExit(f"refusing to create/drop {name!r}: the bench database name must start with 'bench'")
        admin_url = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

        return "postgresql", drop
    tmp = tempfile.TemporaryDirectory(prefix="bench-export-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
    os.environ["WORKBENCH_VAR_DIR"] = tmp.name
    return "sqlite", tmp.cleanup


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_EXPORT_CLAIMS", "10000,30000").split(",")]
    engine, cleanup = prepare_database()
    try:
        setup_django()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        peaks: dict[str, list[float]] = {fmt: [] for fmt in FORMATS}
        ratios: list[float] = []
        for claims in sizes:
            articles, gen_seconds = generate(claims)
            for fmt in FORMATS:
                exported = run_child("export", fmt)
                floor_run = run_child("floor", fmt)
                assert exported["claims"] == floor_run["claims"] == claims, (exported, floor_run)
                ratio = exported["seconds"] / floor_run["seconds"]
                ratios.append(ratio)
                peaks[fmt].append(exported["peak_rss_mb"])
                print(json.dumps({
                    "bench": "export", "db": engine, "format": fmt, "articles": articles, "claims": claims,
                    "rows": exported["rows"], "bytes": exported["bytes"],
                    "seconds": round(exported["seconds"], 3),
                    "claims_per_s": round(claims / exported["seconds"]),
                    "rows_per_s": round(exported["rows"] / exported["seconds"]),
                    "peak_rss_mb": round(exported["peak_rss_mb"], 1),
                    "baseline_rss_mb": round(exported["baseline_rss_mb"], 1),
                    "floor_seconds": round(floor_run["seconds"], 3),
                    "floor_claims_per_s": round(claims / floor_run["seconds"]),
                    "floor_peak_rss_mb": round(floor_run["peak_rss_mb"], 1),
                    "ratio_vs_floor": round(ratio, 2),
                    "generate_seconds": round(gen_seconds, 1),
                }), flush=True)  # fmt: skip
        growth = {fmt: round(max(p) - min(p), 1) for fmt, p in peaks.items()}
        print(json.dumps({
            "bench": "export-summary", "db": engine, "sizes": sizes,
            "max_ratio_vs_floor": round(max(ratios), 2), "within_3x": max(ratios) <= 3,
            "max_peak_rss_mb": round(max(max(p) for p in peaks.values()), 1),
            "under_200mb": all(max(p) < 200 for p in peaks.values()),
            "peak_rss_growth_mb_between_sizes": growth,
        }), flush=True)  # fmt: skip
    finally:
        cleanup()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
