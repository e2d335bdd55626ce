"""What evidence captures cost the write that adds sources, and what one capture costs the worker.

1. A bulk write of BENCH_CAPTURE_CLAIMS claims (default 2,000) with a source each
   (``claims.create_many``, committed, its on-commit sends going to the real Redis on a queue of
   this run's own that no worker reads): with captures off (the baseline, in the same process),
   with captures on (one fan-out message; the default above CAPTURE_FANOUT_THRESHOLD), and with
   captures on and one message per capture (the fan-out turned off).
2. One capture of a page served by a local HTTP server (``captures.run_capture``: fetch,
   trafilatura, gzip, storage, the excerpt), against the guarded fetch alone of the same page.

One JSON line per result, each with its ratio to the baseline measured in the same run.
Uses a throwaway SQLite database and media directory under a temporary directory.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="bench-captures-")
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ["WORKBENCH_VAR_DIR"] = TMP
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["IMPORT_ALLOW_PRIVATE_URLS"] = "1"  # the page is served on 127.0.0.1

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

CLAIMS = int(os.environ.get("BENCH_CAPTURE_CLAIMS", "2000"))
ROUNDS = int(os.environ.get("BENCH_CAPTURE_ROUNDS", "5"))


def emit(**fields: object) -> None:
    print(json.dumps({"bench": "captures", **fields}), flush=True)


def main() -> None:
    from django.contrib.auth import get_user_model

    from annotations import captures, claims
    from annotations.imports.url import fetch
    from annotations.models import Article, Capture, Membership, Project, RunStatus
    from tests.local_http import Route, serve
    from workbench.broker import ensure_broker
    from workbench.celery import app

    call_command("migrate", verbosity=0)
    url, embedded = ensure_broker(Path(settings.VAR_DIR), settings.DEFAULT_BROKER_URL)
    queue = f"bench-captures-{uuid.uuid4().hex[:8]}"
    app.conf.broker_url = url
    app.conf.task_default_queue = queue
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    try:
        user = get_user_model().objects.create_user("bench", password="bench-pw-1")
        project = Project.objects.create(name="Bench", slug="bench")
        Membership.objects.create(project=project, user=user, role="editor")
        sentence = "The minister said that 40 towns were shelled in the past 24 hours near Kharkiv. "

        def bulk(label: str, n: int) -> float:
            head = f"{label}, round {n}.\n"  # each article's text differs: a project keeps a text once
            article = Article.objects.create(project=project, title=head, text=head + sentence * (CLAIMS + 1))
            at = len(head)
            items = [
                {
                    "start": at + i * len(sentence),
                    "end": at + i * len(sentence) + 10,
                    "sources": [{"url": f"https://e.example/{n}/{i}"}],
                }
                for i in range(CLAIMS)
            ]
            began = time.perf_counter()
            claims.create_many(article=article, by=user, items=items)  # commits: on-commit sends run
            return time.perf_counter() - began

        setups: list[tuple[str, dict[str, object]]] = [
            ("captures off (baseline)", {"CAPTURE_SOURCES": False}),
            ("captures on, one fan-out message", {"CAPTURE_SOURCES": True}),
            ("captures on, one message each", {"CAPTURE_SOURCES": True, "CAPTURE_FANOUT_THRESHOLD": 10**9}),
        ]
        results: dict[str, float] = {}
        for round_ in range(ROUNDS):
            for label, values in setups:
                saved = {name: getattr(settings, name) for name in values}
                for name, value in values.items():
                    setattr(settings, name, value)
                try:
                    results[f"{label}#{round_}"] = bulk(label, round_)
                finally:
                    for name, value in saved.items():
                        setattr(settings, name, value)
        baseline = statistics.median(results[f"{setups[0][0]}#{r}"] for r in range(ROUNDS))
        for label, _values in setups:
            median = statistics.median(results[f"{label}#{r}"] for r in range(ROUNDS))
            emit(
                case="bulk write with a source per claim",
                setup=label,
                claims=CLAIMS,
                median_seconds=round(median, 3),
                ratio_to_baseline=round(median / baseline, 2),
            )
        Capture.objects.all().delete()

        page = (
            "<html><head><title>Port update</title></head><body><article>"
            + "".join(f"<p>Paragraph {n}: the port counted {n} vessels waiting outside Odesa.</p>" for n in range(300))
            + "</article></body></html>"
        ).encode()
        settings.CAPTURE_SOURCES = True
        with serve({"/page": Route(page)}) as site:
            article = Article.objects.create(project=project, title="capture", text="A claim to check.")
            claim = claims.create(article=article, by=user, start=0, end=7)
            source = claims.add_source(claim=claim, by=user, url=site.url("/page"), excerpt="counted 42 vessels")
            fetch_times, capture_times = [], []
            for _ in range(ROUNDS * 4):
                began = time.perf_counter()
                fetch(site.url("/page"))
                fetch_times.append(time.perf_counter() - began)
                pending = Capture.objects.filter(source=source, status=RunStatus.QUEUED).first()
                if pending is None:
                    pending, _created = captures.capture_again(source=source, by=user)
                began = time.perf_counter()
                outcome = captures.run_capture(capture_id=pending.pk)
                capture_times.append(time.perf_counter() - began)
                assert outcome == "done", outcome
        fetch_median, capture_median = statistics.median(fetch_times), statistics.median(capture_times)
        ratio = round(capture_median / fetch_median, 2)
        for label, median, against in (
            ("guarded fetch alone (baseline)", fetch_median, 1.0),
            ("captures.run_capture", capture_median, ratio),
        ):
            emit(
                case="one capture",
                setup=label,
                bytes=len(page),
                median_seconds=round(median, 4),
                ratio_to_baseline=against,
            )
    finally:
        app.connection_for_write().default_channel.client.delete(queue, f"{queue}.captures")
        if embedded:
            embedded.stop()


if __name__ == "__main__":
    main()
