"""Import benchmarks: re-anchoring claims after a revision, importing JSONL, extracting HTML.

Each line printed is JSON with a ratio against a baseline measured in the same process:
- reanchor: every claim of a long article placed again after edits, vs. a bare ``str.find`` of
  each quote (the least any placement must do);
- import_jsonl: articles with claims through the full pipeline (parse, checks, one transaction,
  extraction runs queued) vs. a bare ``bulk_create`` of the same articles;
- html_extract: trafilatura's main-text extraction of a news page vs. parsing it with lxml.

Sizes: BENCH_REPEAT (seed copies in the long article, default 20), BENCH_CLAIMS (default 300),
BENCH_ARTICLES (default 200), BENCH_PAGES (default 50). Uses a throwaway SQLite database and a
private broker queue that it deletes at the end.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="bench-import-")
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ["WORKBENCH_VAR_DIR"] = TMP
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"bench-{uuid.uuid4().hex[:8]}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "20"))
CLAIMS = int(os.environ.get("BENCH_CLAIMS", "300"))
ARTICLES = int(os.environ.get("BENCH_ARTICLES", "200"))
PAGES = int(os.environ.get("BENCH_PAGES", "50"))
SEED = (ROOT / "seeds" / "000_ddd837a79f5b304a.txt").read_text(encoding="utf-8")


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def timed(function, *args, **kwargs):  # noqa: ANN001, ANN202
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def bench_reanchor() -> None:
    from annotations import text as textlib

    # Numbered copies of the seed: no paragraph repeats, as in a real (long) article.
    seed_lines = textlib.normalise(SEED).split("\n")
    old = "\n".join(f"({copy}.{number}) {line}" for copy in range(REPEAT) for number, line in enumerate(seed_lines))
    lines = old.split("\n")
    spans = []
    step = max(1, len(old) // CLAIMS)
    for index in range(CLAIMS):
        start = min(index * step, len(old) - 80)
        while start > 0 and old[start - 1] not in " \n":
            start += 1
        span = textlib.check_span(old, start, start + 60)
        spans.append(textlib.StoredSpan(span.start, span.end, span.quote, span.prefix, span.suffix))
    # An editor's revision: a note on top, a paragraph deleted, words changed in another.
    # The paragraph holding the middle claim goes: the claims in it must be flagged.
    middle = old.count("\n", 0, spans[len(spans) // 2].start)
    edited = ["Correction: an earlier version misstated a figure.", *lines]
    del edited[middle + 1]
    edited[middle + 5] = edited[middle + 5].replace(" the ", " a ", 2)
    new = "\n".join(edited)
    baseline, _ = timed(lambda: [new.find(span.quote) for span in spans])
    elapsed, anchors = timed(textlib.reanchor_all, old, new, spans)
    confident = sum(anchor.is_confident() for anchor in anchors)
    deleted_start = sum(len(line) + 1 for line in lines[:middle])
    in_deleted = sum(1 for span in spans if deleted_start <= span.start < deleted_start + len(lines[middle]))
    emit(
        bench="reanchor", chars=len(old), claims=len(spans), seconds=round(elapsed, 4),
        ms_per_claim=round(1000 * elapsed / len(spans), 3), confident=confident, flagged=len(spans) - confident,
        claims_in_deleted_paragraph=in_deleted,
        baseline="str.find per quote", baseline_seconds=round(baseline, 5), ratio=round(elapsed / baseline, 1),
    )  # fmt: skip


def bench_import_jsonl() -> None:
    from annotations import text as textlib
    from annotations.imports import pipeline
    from annotations.imports.base import Metadata
    from annotations.models import Article, Project

    paragraphs = [p for p in textlib.normalise(SEED).split("\n") if p.strip()]
    rows: list[dict[str, Any]] = []
    for index in range(ARTICLES):
        text = f"Report {index}.\n" + "\n".join(paragraphs[index % 10 : index % 10 + 6])
        quote = paragraphs[index % 10][:40]
        start = text.index(quote)
        claim = {"start": start, "end": start + len(quote), "quote": quote, "status": "in_review"}
        rows.append({"title": f"Report {index}", "text": text, "publisher": "Wire", "claims": [claim]})
    data = "\n".join(json.dumps(row) for row in rows).encode()

    baseline_project = Project.objects.create(name="baseline", slug="baseline")
    baseline, _ = timed(
        Article.objects.bulk_create,
        [Article(project=baseline_project, title=r["title"], text=r["text"], text_sha256=textlib.sha256(r["text"]))
         for r in rows],
    )  # fmt: skip
    project = Project.objects.create(name="bench", slug="bench")
    elapsed, report = timed(
        pipeline.import_all_or_nothing, project=project, user=None,
        items=[pipeline.ImportInput.file("bench.jsonl", data)], metadata=Metadata(),
    )  # fmt: skip
    assert len(report.created) == ARTICLES
    emit(
        bench="import_jsonl", articles=ARTICLES, bytes=len(data), seconds=round(elapsed, 3),
        ms_per_article=round(1000 * elapsed / ARTICLES, 2), baseline="Article bulk_create",
        baseline_seconds=round(baseline, 4), ratio=round(elapsed / baseline, 1),
    )  # fmt: skip


def bench_html() -> None:
    import lxml.html

    from annotations.imports.html import extract
    from tests.import_fixtures import seed_as_html

    page = seed_as_html(SEED)
    baseline, _ = timed(lambda: [lxml.html.fromstring(page) for _ in range(PAGES)])
    elapsed, _ = timed(lambda: [extract(page, source="bench") for _ in range(PAGES)])
    emit(
        bench="html_extract", pages=PAGES, page_bytes=len(page.encode()), ms_per_page=round(1000 * elapsed / PAGES, 2),
        baseline="lxml.html.fromstring", baseline_ms_per_page=round(1000 * baseline / PAGES, 3),
        ratio=round(elapsed / baseline, 1),
    )  # fmt: skip


def main() -> None:
    call_command("migrate", verbosity=0)
    try:
        bench_reanchor()
        bench_import_jsonl()
        bench_html()
    finally:
        from workbench.celery import app

        try:
            with app.connection_for_write() as connection:
                for queue in (settings.CELERY_TASK_DEFAULT_QUEUE, f"{settings.CELERY_TASK_DEFAULT_QUEUE}.captures"):
                    connection.default_channel.queue_delete(queue)
        except Exception as error:  # the broker being away only means there is nothing to clean
            emit(bench="cleanup", warning=f"could not delete the bench queue: {error}")


if __name__ == "__main__":
    main()
