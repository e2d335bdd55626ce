"""What was checked before: does a differently worded claim find the check it repeats, and how fast?

Pairs: ``bench/data/similar_pairs.tsv`` holds our own paraphrases of sentences of the CLEF 2019
CheckThat! training transcripts (../shared/data/clef2019-checkworthiness/training, research data
read from there at run time and never copied here) and of the seed article, keyed by file and
line. The library: every transcript sentence of at least ``BENCH_SIMILAR_MIN_WORDS`` words and
every seed paragraph, deduplicated, imported as fact checks through ``factchecks.import_records``
(topped up with pairs of consecutive sentences until it holds ``BENCH_SIMILAR_LIBRARY``, default
10,000). Each paraphrase is a query; the one relevant answer is its original sentence.

Measured in the same run, on the same library:
- ``similar``: the product's matcher (``similar.for_text``) on this database (FTS5 on SQLite);
- ``fts_rank_only``: the same index's candidates in bm25 / ts_rank order, without the product's
  reranking (what the shared ordering rule adds or costs);
- ``rapidfuzz``: the baseline, brute force over every library text with rapidfuzz's
  ``token_set_ratio`` (C++), the usual quick fuzzy matcher.

Prints JSON lines: MAP@5, recall@5 (= recall@1..5 per query, averaged) and milliseconds per query
(mean, median, p95) for each, and the ratios against the baseline. Needs the CLEF data: without
it the script says so and exits 0. ``BENCH_SIMILAR_DATABASE_URL`` runs it on PostgreSQL instead.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("CLEF2019_DIR", ROOT.parent / "shared" / "data" / "clef2019-checkworthiness" / "training"))
PAIRS = ROOT / "bench" / "data" / "similar_pairs.tsv"
SEED = ROOT / "seeds" / "000_ddd837a79f5b304a.txt"
TMP = Path(tempfile.mkdtemp(prefix="bench-similar-"))
os.environ["DATABASE_URL"] = os.environ.get("BENCH_SIMILAR_DATABASE_URL") or f"sqlite:///{TMP / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

LIBRARY = int(os.environ.get("BENCH_SIMILAR_LIBRARY", "10000"))
MIN_WORDS = int(os.environ.get("BENCH_SIMILAR_MIN_WORDS", "5"))
K = 5


def emit(**row: object) -> None:
    print(json.dumps(row), flush=True)


CANDIDATES = 50


def semantic(
    pairs: list[tuple[tuple[str, int], str]],
    relevant: dict[tuple[str, int], int],
    library_texts: dict[int, str],
    measure: Callable[[str, Callable[[str], list[int]]], dict[str, float]],
    base: dict[str, float],
    lexical: Callable[[str], list[Any]],
    vendor: str,
) -> None:
    """Sentence embeddings (all-MiniLM-L6-v2), if installed: do they pay for their size?

    ``semantic_bruteforce``: cosine over every library embedding (computed once, as a deployment
    would store them). ``hybrid``: the lexical matcher's 50 candidates reordered by the mean of
    their lexical score and their cosine. Install with ``pip install -r requirements-semantic.txt``.
    """
    try:
        with contextlib.redirect_stdout(sys.stderr):  # the model package prints on import: JSON lines only here
            import numpy as np
            from all_minilm_l6_v2 import extract_model, get_model_zip_path
            from sentence_transformers import SentenceTransformer
    except ImportError as missing:
        emit(
            bench="similar",
            method="semantic",
            skipped=f"{missing.name} is not installed (pip install -r requirements-semantic.txt)",
        )
        return
    import torch

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    started = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        model = SentenceTransformer(str(extract_model(str(TMP / "model"))), device="cpu")
    load_seconds = time.perf_counter() - started
    ids = list(library_texts)
    started = time.perf_counter()
    vectors = model.encode(
        [library_texts[i] for i in ids], batch_size=64, normalize_embeddings=True, show_progress_bar=False
    )
    embed_seconds = time.perf_counter() - started
    position = {pk: n for n, pk in enumerate(ids)}
    emit(
        bench="similar",
        method="semantic_setup",
        database=vendor,
        model="all-MiniLM-L6-v2",
        model_zip_mb=round(get_model_zip_path().stat().st_size / 1e6, 1),
        torch=torch.__version__,
        load_seconds=round(load_seconds, 2),
        embed_library_seconds=round(embed_seconds, 1),
        library_texts_per_second=round(len(ids) / embed_seconds),
    )

    def brute(query: str) -> list[int]:
        vector = model.encode([query], normalize_embeddings=True)[0]
        scores = vectors @ vector
        top = np.argpartition(-scores, 5)[:5]
        return [ids[i] for i in sorted(top, key=lambda i: -scores[i])]

    def hybrid(query: str) -> list[int]:
        found = lexical(query)
        if not found:
            return []
        vector = model.encode([query], normalize_embeddings=True)[0]
        cosine = vectors[[position[m.id] for m in found]] @ vector
        ranked = sorted(zip(found, cosine, strict=True), key=lambda pair: -(pair[0].score + float(pair[1])) / 2)
        return [m.id for m, _c in ranked[:5]]

    for name, search in (("semantic_bruteforce", brute), ("hybrid_lexical_then_cosine", hybrid)):
        got = measure(name, search)
        emit(
            bench="similar",
            method=name,
            database=vendor,
            vs="rapidfuzz_token_set_bruteforce",
            map_ratio=round(got["map_at_5"] / base["map_at_5"], 2) if base["map_at_5"] else None,
            recall_ratio=round(got["recall_at_5"] / base["recall_at_5"], 2) if base["recall_at_5"] else None,
            speedup=round(base["ms_per_query_mean"] / got["ms_per_query_mean"], 1),
        )


def main() -> int:
    if not DATA.is_dir():
        emit(bench="similar", skipped=f"no CLEF 2019 CheckThat! transcripts at {DATA} (set CLEF2019_DIR)")
        return 0

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from rapidfuzz import fuzz, process

    from annotations import factchecks, fulltext, similar
    from annotations.models import Membership, Project, Role

    if connection.vendor == "postgresql":
        # A database of its own on the server, dropped at the end.
        database = f"bench_similar_{os.getpid()}"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {database}")
        connection.close()
        connection.settings_dict["NAME"] = database
    call_command("migrate", verbosity=0)

    # Sentences by (file, line), read from the research data at run time.
    sentences: dict[tuple[str, int], str] = {}
    for path in sorted(DATA.glob("*.tsv")):
        with path.open(encoding="utf-8") as handle:
            for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(row) >= 3 and row[0].isdigit():
                    sentences[(path.name, int(row[0]))] = row[2].strip()
    for number, line in enumerate(SEED.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            sentences[(SEED.name, number)] = line.strip()
    with PAIRS.open(encoding="utf-8") as handle:
        rows = [r for r in csv.reader((x for x in handle if not x.startswith("#")), delimiter="\t")][1:]
    pairs = [((file, int(line)), paraphrase) for file, line, paraphrase in rows]
    missing = [key for key, _p in pairs if key not in sentences]
    if missing:
        emit(bench="similar", error=f"paraphrase keys not in the data: {missing[:5]}")
        return 1

    texts: dict[str, tuple[str, int]] = {}
    for key, sentence in sentences.items():
        if len(sentence.split()) >= MIN_WORDS or key in dict(pairs):
            texts.setdefault(sentence, key)
    ordered = sorted(sentences.items())
    index = 0
    while len(texts) < LIBRARY and index + 1 < len(ordered):
        (key, first), (_next, second) = ordered[index], ordered[index + 1]
        texts.setdefault(f"{first} {second}", (key[0], -key[1]))  # a pair of lines: a negative line number
        index += 1
    targets = {key: sentences[key] for key, _p in pairs}

    project = Project.objects.create(name="Bench", slug="bench")
    user = User.objects.create_user("bench")
    Membership.objects.create(project=project, user=user, role=Role.EDITOR)
    records = [
        factchecks.FactCheckRecord(
            claim_reviewed=text[:10_000],
            url=f"https://checks.example.org/{file}/{line}",
            verdict="false",
            publisher_name="Bench checks",
        )
        for text, (file, line) in texts.items()
    ]
    started = time.perf_counter()
    factchecks.import_records(project=project, by=None, records=records)
    import_seconds = time.perf_counter() - started
    by_url = dict(project.fact_checks.values_list("url", "pk"))
    relevant = {key: by_url[f"https://checks.example.org/{key[0]}/{key[1]}"] for key in targets}
    library_ids = list(by_url.values())
    library_texts = dict(project.fact_checks.values_list("pk", "claim_reviewed"))
    emit(
        bench="similar",
        database=connection.vendor,
        library=len(library_ids),
        queries=len(pairs),
        import_seconds=round(import_seconds, 2),
    )

    project_ids = [project.pk]

    def product(query: str) -> list[int]:
        return [m.id for m in similar.for_text(query, user, limit=K, project_ids=project_ids, min_score=0)]

    def rank_only(query: str) -> list[int]:
        scope = "WHERE t.project_id IN (%s)"
        return similar._candidates(fulltext.FACT_CHECKS, query, scope, project_ids)[:K]

    choices = list(library_texts.items())
    choice_texts = [text for _pk, text in choices]

    def baseline(query: str) -> list[int]:
        found = process.extract(query, choice_texts, scorer=fuzz.token_set_ratio, limit=K)
        return [choices[position][0] for _text, _score, position in found]

    def measure(name: str, search: Callable[[str], list[int]]) -> dict[str, float]:
        for _key, query in pairs[:3]:
            search(query)  # warm caches and the connection
        precisions, hits, times = [], [], []
        for key, query in pairs:
            started = time.perf_counter()
            found = search(query)
            times.append((time.perf_counter() - started) * 1000)
            rank = found.index(relevant[key]) + 1 if relevant[key] in found else None
            precisions.append(1 / rank if rank else 0.0)  # one relevant item: AP@5 is 1/rank
            hits.append(1.0 if rank else 0.0)
        times.sort()
        result = {
            "map_at_5": round(statistics.fmean(precisions), 4),
            "recall_at_5": round(statistics.fmean(hits), 4),
            "ms_per_query_mean": round(statistics.fmean(times), 2),
            "ms_per_query_median": round(statistics.median(times), 2),
            "ms_per_query_p95": round(times[int(0.95 * (len(times) - 1))], 2),
        }
        emit(bench="similar", method=name, database=connection.vendor, library=len(library_ids), **result)
        return result

    base = measure("rapidfuzz_token_set_bruteforce", baseline)
    for name, search in (("fts_rank_only", rank_only), ("similar", product)):
        got = measure(name, search)
        emit(
            bench="similar",
            method=name,
            database=connection.vendor,
            vs="rapidfuzz_token_set_bruteforce",
            map_ratio=round(got["map_at_5"] / base["map_at_5"], 2) if base["map_at_5"] else None,
            recall_ratio=round(got["recall_at_5"] / base["recall_at_5"], 2) if base["recall_at_5"] else None,
            speedup=round(base["ms_per_query_mean"] / got["ms_per_query_mean"], 1),
            goal_ms=50,
            meets_goal=got["ms_per_query_median"] < 50,
        )
    semantic(
        pairs,
        relevant,
        library_texts,
        measure,
        base,
        lambda q: similar.for_text(q, user, limit=CANDIDATES, project_ids=project_ids, min_score=0),
        connection.vendor,
    )
    if connection.vendor == "postgresql" and not os.environ.get("BENCH_SIMILAR_KEEP_DB"):
        connection.close()
        connection.settings_dict["NAME"] = "postgres"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {database}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
