"""Entity extraction throughput: raw spaCy ``nlp.pipe`` against the full background path.

Same N article texts (variations of the seed article), same process run:
- raw: ``nlp.pipe`` over all texts with the components the worker enables (only ``ner``);
- full: enqueue one run per article → one Celery worker process (concurrency 1) on the real
  Redis → mentions stored in the database and the run marked done.
Prints JSON lines; the last one has the ratio (target: full ≥ 0.8 × raw).

Sizes: BENCH_NER_N (default 200 articles), BENCH_NER_ROUNDS (default 4: the two paths alternate
over quarters of the corpus, so a burst of load on this shared machine hits both alike).
Uses a throwaway SQLite database under a temp dir and a private queue on the broker.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="bench-ner-"))
os.environ["DATABASE_URL"] = f"sqlite:///{TMP / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"bench-ner-{uuid.uuid4().hex[:8]}"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402
import redis  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from annotations import articles, ner  # noqa: E402
from annotations import text as textlib  # noqa: E402
from annotations.models import Article, ExtractionRun, Project, RunStatus  # noqa: E402
from workbench.broker import ensure_broker  # noqa: E402
from workbench.celery import app  # noqa: E402

N = int(os.environ.get("BENCH_NER_N", "200"))
ROUNDS = int(os.environ.get("BENCH_NER_ROUNDS", "4"))
SEED = (ROOT / "seeds" / "000_ddd837a79f5b304a.txt").read_text(encoding="utf-8")
NAMES = [
    ("Oleksiy Gromov", "Maria Kovalenko"),
    ("Serhiy Gaidai", "Andriy Melnyk"),
    ("Luhansk", "Donetsk"),
    ("Reuters", "Associated Press"),
    ("Kharkiv", "Sumy"),
    ("Scholz", "Macron"),
    ("Peskov", "Zakharova"),
]


def emit(**fields: object) -> None:
    print(json.dumps({"bench": "ner", **fields}), flush=True)


def texts(n: int) -> list[str]:
    """``n`` distinct articles: half the seed's paragraphs from a rotating start, some names
    swapped, a dateline (about 3,500 characters each, a typical news story)."""
    paragraphs = SEED.split("\n")
    half = len(paragraphs) // 2
    result = []
    for i in range(n):
        shift = i % len(paragraphs)
        body = "\n".join((paragraphs[shift:] + paragraphs[:shift])[:half])
        for j, (old, new) in enumerate(NAMES):
            if (i >> j) & 1:
                body = body.replace(old, new)
        result.append(textlib.normalise(f"KYIV, dispatch {i} —\n{body}"))
    return result


def start_worker(broker: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workbench",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            "1",
            "--pool",
            "prefork",
            "--queues",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "--hostname",
            f"bench-{uuid.uuid4().hex[:6]}@bench",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(TMP / "worker.log", "ab"),
        stderr=subprocess.STDOUT,  # noqa: SIM115
        start_new_session=True,
    )


def wait_runs(run_ids: list[int], timeout: float = 1800) -> None:
    deadline = time.monotonic() + timeout
    runs = ExtractionRun.objects.filter(pk__in=run_ids, status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
    while runs.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"runs not finished after {timeout}s; see {TMP / 'worker.log'}")
        time.sleep(0.05)


def main() -> None:
    call_command("migrate", verbosity=0)
    broker, embedded = ensure_broker(Path(settings.VAR_DIR), settings.DEFAULT_BROKER_URL)
    app.conf.broker_url = app.conf.result_backend = broker
    corpus = texts(N)
    rounds = max(1, min(ROUNDS, N))
    slices = [corpus[i::rounds] for i in range(rounds)]
    nlp = ner.load(settings.NER_MODEL)
    list(nlp.pipe(corpus[:5]))  # warm-up: both paths measure a loaded, warmed model

    project = Project.objects.create(name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}")
    warm = Article.objects.create(project=project, title="warm-up", text="Gaidai spoke in Luhansk.")
    worker = start_worker(broker)
    raw_seconds = full_seconds = 0.0
    raw_entities = 0
    all_runs: list[int] = []
    try:
        # The worker's pool process loads spaCy on its first task; keep that out of the timing.
        wait_runs([articles.enqueue_extraction(warm).pk], timeout=300)
        warm.delete()
        # The machine is shared: alternate the two paths over slices of the corpus so a burst
        # of someone else's load hits both alike instead of one whole measurement.
        for number, part in enumerate(slices):
            began = time.perf_counter()
            raw_entities += sum(len(doc.ents) for doc in nlp.pipe(part))
            raw_part = time.perf_counter() - began

            project = Project.objects.create(name=f"Bench {number}", slug=f"bench-{uuid.uuid4().hex[:6]}")
            Article.objects.bulk_create(
                [
                    Article(project=project, title=f"Dispatch {number}.{i}", text=t, text_sha256=textlib.sha256(t))
                    for i, t in enumerate(part)
                ]
            )
            began = time.perf_counter()
            run_ids = articles.extract_project(project=project)
            wait_runs(run_ids)
            full_part = time.perf_counter() - began
            all_runs += run_ids
            raw_seconds += raw_part
            full_seconds += full_part
            emit(
                round=number,
                n=len(part),
                chars=sum(map(len, part)),
                raw_s=round(raw_part, 3),
                full_s=round(full_part, 3),
                ratio=round(raw_part / full_part, 3),
            )
        done = ExtractionRun.objects.filter(pk__in=all_runs, status=RunStatus.DONE).count()
        stored = sum(ExtractionRun.objects.filter(pk__in=all_runs).values_list("mention_count", flat=True))
        in_task = sum(
            (r.finished_at - r.started_at).total_seconds()
            for r in ExtractionRun.objects.filter(pk__in=all_runs).only("started_at", "finished_at")
            if r.finished_at is not None and r.started_at is not None
        )
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        client = redis.Redis.from_url(broker)
        for key in [*client.scan_iter(f"*{queue}*")]:
            client.delete(key)
        if embedded:
            embedded.stop()
    chars = sum(map(len, corpus))
    raw, full = chars / raw_seconds, chars / full_seconds
    emit(
        path="raw_nlp_pipe",
        n=N,
        chars=chars,
        entities=raw_entities,
        components=nlp.pipe_names,
        seconds=round(raw_seconds, 2),
        chars_per_s=round(raw),
    )
    emit(
        path="full_enqueue_worker_store",
        n=N,
        chars=chars,
        done_runs=done,
        mentions_stored=stored,
        seconds=round(full_seconds, 2),
        seconds_inside_tasks=round(in_task, 2),
        chars_per_s=round(full),
    )
    emit(
        summary=True,
        raw_chars_per_s=round(raw),
        full_chars_per_s=round(full),
        ratio=round(full / raw, 3),
        target=0.8,
        meets_target=full / raw >= 0.8,
        same_entities=stored == raw_entities,
        load_average=os.getloadavg()[0],
    )
    shutil.rmtree(TMP, ignore_errors=True)  # kept (with the worker log) only when the run failed


if __name__ == "__main__":
    main()
