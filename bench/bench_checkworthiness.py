"""Check-worthiness: how well the suggestions rank the sentences worth checking, and what scoring costs.

Quality, on the CLEF 2019 CheckThat! Task 1 training transcripts (research data, read from
``../shared/data/clef2019-checkworthiness/training`` or CLEF2019_DIR, never copied here). Each
transcript is imported through the product's own path (``manage.py import_articles``, JSONL, its
check-worthy lines as claims approved by a second person, so every review is finished); the import
queues extraction, which scores every sentence. Then, transcripts split into BENCH_CW_FOLDS folds
(4), each transcript is ranked by a model trained on the others (``suggestions.training_examples``,
the product's rule of what a decision teaches). Printed per ranking, over all 19 transcripts:
mean average precision, R-precision, P@5 and P@10 (a line's score is its best sentence's):
- random: a random order (mean of 20 draws), the floor;
- features: the feature-only start (what a project has before its first decision);
- trained: the product's learner (features + hashed n-grams, logistic regression);
- ngram_lr: the task's kind of baseline, TF-IDF word 1-2-grams + logistic regression (scikit-learn)
  on the raw transcript lines, measured in the same run.
For scale: the best 2019 system reached MAP 0.166 on the held-out *test* transcripts (not these).

Speed, on the same texts: the NER pass alone (what extraction did before) against the NER pass
with sentences, features and the learned model's scores; ``speed_ratio`` = NER time / scoring-pass
time as configured (goal >= 0.8, i.e. scoring adds at most 25 %), beside the same with the POS
tagger on (CHECKWORTHINESS_POS_TAGS) and with the feature scorer. BENCH_CW_ROUNDS (3) alternating
rounds over the first BENCH_CW_SPEED_CHARS (400,000) characters of the transcripts. The quality
figures use the configured pipeline too.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("CLEF2019_DIR", ROOT.parent / "shared" / "data" / "clef2019-checkworthiness" / "training"))
TMP = tempfile.mkdtemp(prefix="bench-cw-")
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ["WORKBENCH_VAR_DIR"] = TMP
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The import queues its extraction runs on a private queue that nothing consumes (deleted at the
# end); this process runs each run itself, as a worker would.
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"bench-cw-{uuid.uuid4().hex[:8]}"
# The bench trains its models itself, fold by fold: no automatic retraining in between.
os.environ["CHECKWORTHINESS_RETRAIN_DECISIONS"] = str(10**9)

FOLDS = int(os.environ.get("BENCH_CW_FOLDS", "4"))
ROUNDS = int(os.environ.get("BENCH_CW_ROUNDS", "3"))
SPEED_CHARS = int(os.environ.get("BENCH_CW_SPEED_CHARS", "400000"))
RANDOM_DRAWS = 20


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def read_transcripts() -> list[tuple[str, list[tuple[str, int]]]]:
    transcripts = []
    for path in sorted(DATA.glob("*.tsv")):
        lines = []
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(row) >= 4:
                    lines.append((row[2], int(row[3])))
        transcripts.append((path.stem, lines))
    return transcripts


# --- ranking measures ------------------------------------------------------------------------------


def measures(scores: list[float], labels: list[int]) -> dict[str, float]:
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    ranked = [labels[i] for i in order]
    relevant = sum(ranked)
    hits, precisions = 0, []
    for rank, label in enumerate(ranked, start=1):
        if label:
            hits += 1
            precisions.append(hits / rank)
    return {
        "ap": sum(precisions) / relevant if relevant else 0.0,
        "r_precision": sum(ranked[:relevant]) / relevant if relevant else 0.0,
        "p_at_5": sum(ranked[:5]) / 5,
        "p_at_10": sum(ranked[:10]) / 10,
    }


def mean_measures(per_transcript: list[dict[str, float]]) -> dict[str, float]:
    keys = ("ap", "r_precision", "p_at_5", "p_at_10")
    means = {k: round(sum(m[k] for m in per_transcript) / len(per_transcript), 4) for k in keys}
    means["map"] = means.pop("ap")
    return means


def _delete_queue(app, queue: str) -> None:  # noqa: ANN001 - the Celery app
    try:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
    except Exception as error:  # the figures stand without the cleanup
        emit(bench="cleanup", warning=f"could not delete the bench queue: {error}")


def main() -> None:
    if not DATA.is_dir() or not any(DATA.glob("*.tsv")):
        emit(bench="checkworthiness", skipped=f"CLEF 2019 data not found at {DATA} (set CLEF2019_DIR)")
        return

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from annotations import checkworthiness as cw
    from annotations import extraction, ner, suggestions
    from annotations import text as textlib
    from annotations.models import Article, Claim, ExtractionRun, Project, Suggestion
    from workbench.celery import app

    quiet = io.StringIO()
    call_command("migrate", verbosity=0, stdout=quiet)
    call_command("create_reviewer", "bench-admin", "--password", "Qv7-tiger-lamp-orbit", stdout=quiet)
    call_command("create_project", "clef", "--admin", "bench-admin", stdout=quiet)
    call_command(
        "create_reviewer", "bench-author", "--project", "clef", "--password", "Zk4-river-stone-cloud", stdout=quiet
    )
    editor = ["bench-editor", "--project", "clef", "--role", "editor", "--password", "Wm8-paper-moon-field"]
    call_command("create_reviewer", *editor, stdout=quiet)

    transcripts = read_transcripts()
    # One line a sentence, as in the transcript; empty lines (none in 2019) would have no sentence.
    prepared = []
    path = Path(TMP) / "clef.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for name, rows in transcripts:
            lines = [(" ".join(textlib.normalise(text).split()), label) for text, label in rows]
            lines = [(text, label) for text, label in lines if text]
            text = "\n".join(t for t, _label in lines)
            assert textlib.normalise(text) == text
            spans, offset = [], 0
            for line, _label in lines:
                spans.append((offset, offset + len(line)))
                offset += len(line) + 1
            claims = [
                {
                    "start": start, "end": end, "quote": line, "status": "approved", "verdict": "not_checkable",
                    "created_by": "bench-author", "reviewed_by": "bench-editor",
                }
                for (start, end), (line, label) in zip(spans, lines, strict=True) if label
            ]  # fmt: skip
            out.write(json.dumps({"title": name, "text": text, "claims": claims}) + "\n")
            prepared.append((name, lines, spans))

    began = time.perf_counter()
    call_command("import_articles", str(path), "--project", "clef", "--no-progress", stdout=quiet, stderr=quiet)
    import_seconds = time.perf_counter() - began
    _delete_queue(app, settings.CELERY_TASK_DEFAULT_QUEUE)
    project = Project.objects.get(slug="clef")
    began = time.perf_counter()
    for article_id, run_id in ExtractionRun.objects.filter(status="queued").values_list("article_id", "pk"):
        # What the worker's task does with each queued run: NER and the scores, in one pass.
        outcome = extraction.run_extraction(article_id=article_id, run_id=run_id)
        assert outcome == extraction.Outcome.DONE, outcome
    extraction_seconds = time.perf_counter() - began
    ids = dict(Article.objects.filter(project=project).values_list("title", "pk"))
    assert len(ids) == len(prepared), f"imported {len(ids)} of {len(prepared)} transcripts"
    approved = Claim.objects.filter(article__project=project, status="approved").count()
    emit(
        bench="checkworthiness_import",
        transcripts=len(ids),
        sentences=sum(len(lines) for _n, lines, _s in prepared),
        check_worthy=approved,
        scored_sentences=Suggestion.objects.filter(article__project=project).count(),
        import_seconds=round(import_seconds, 1),
        extraction_seconds=round(extraction_seconds, 1),
    )

    def line_scores(article_id: int, spans: list[tuple[int, int]], model: cw.Model | None) -> list[float]:
        rows = list(
            Suggestion.objects.filter(article_id=article_id)
            .order_by("start")
            .values_list("start", "end", "features", "score")
        )
        text = Article.objects.get(pk=article_id).text
        if model is None:
            values = [score for _s, _e, _f, score in rows]
        else:
            values = model.scores([text[s:e] for s, e, _f, _sc in rows], [f for _s, _e, f, _sc in rows])
        best = [0.0] * len(spans)
        line = 0
        for (start, _end, _f, _sc), value in zip(rows, values, strict=True):
            while spans[line][1] < start:
                line += 1
            best[line] = max(best[line], value)
        return best

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    results: dict[str, list[dict[str, float]]] = {"random": [], "features": [], "trained": [], "ngram_lr": []}
    train_sizes, train_times = [], []
    for fold in range(FOLDS):
        test = [p for i, p in enumerate(prepared) if i % FOLDS == fold]
        train = [p for i, p in enumerate(prepared) if i % FOLDS != fold]
        examples = suggestions.training_examples(project.pk, article_ids=[ids[name] for name, _l, _s in train])
        trained = cw.train(examples)
        train_sizes.append(trained.size)
        train_times.append(trained.seconds)
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        baseline = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000, solver="liblinear")
        baseline.fit(
            vectorizer.fit_transform([t for _n, lines, _s in train for t, _l in lines]),
            [label for _n, lines, _s in train for _t, label in lines],
        )
        for name, lines, spans in test:
            labels = [label for _t, label in lines]
            draws = random.Random(f"{name}")
            runs = [measures([draws.random() for _ in labels], labels) for _ in range(RANDOM_DRAWS)]
            results["random"].append({k: sum(r[k] for r in runs) / RANDOM_DRAWS for k in runs[0]})
            results["features"].append(measures(line_scores(ids[name], spans, None), labels))
            results["trained"].append(measures(line_scores(ids[name], spans, trained.model), labels))
            scores = baseline.predict_proba(vectorizer.transform([t for t, _l in lines]))[:, 1]
            results["ngram_lr"].append(measures(list(scores), labels))
    for ranking, per_transcript in results.items():
        emit(
            bench="checkworthiness_ranking",
            ranking=ranking,
            transcripts=len(per_transcript),
            folds=FOLDS,
            **mean_measures(per_transcript),
        )
    means = {name: mean_measures(rows)["map"] for name, rows in results.items()}
    emit(
        bench="checkworthiness_ranking_ratios",
        trained_map_vs_ngram_lr=round(means["trained"] / means["ngram_lr"], 3),
        trained_map_vs_random=round(means["trained"] / means["random"], 3),
        features_map_vs_random=round(means["features"] / means["random"], 3),
        train_size_mean=round(sum(train_sizes) / len(train_sizes)),
        train_seconds_mean=round(sum(train_times) / len(train_times), 3),
        best_2019_test_map=0.166,
    )

    # --- speed: the NER pass alone vs the NER pass with scoring, same texts, alternating rounds ---
    # The transcripts in order up to BENCH_CW_SPEED_CHARS: enough for steady figures, and the
    # tagged variant (the slowest) does not hold the bench for long on a loaded machine.
    texts, total = [], 0
    for name, _l, _s in prepared:
        if total >= SPEED_CHARS:
            break
        texts.append(Article.objects.get(pk=ids[name]).text)
        total += len(texts[-1])
    tags = settings.CHECKWORTHINESS_POS_TAGS
    nlp_ner = ner.load(settings.NER_MODEL)
    nlp_tagged = ner.load(settings.NER_MODEL, sentences=True, tags=True)
    nlp_untagged = ner.load(settings.NER_MODEL, sentences=True, tags=False)
    model = trained.model
    max_chars, batch_chars = settings.NER_MAX_TEXT_CHARS, settings.NER_BATCH_CHARS

    def ner_only() -> int:
        return sum(len(ner.extract(nlp_ner, text, max_chars=max_chars, batch_chars=batch_chars)) for text in texts)

    def with_scoring(nlp, learned: cw.Model | None) -> int:  # noqa: ANN001 - a spaCy Language
        count = 0
        for text in texts:
            found: list[cw.Sentence] = []

            def collect(doc, offset: int, found: list[cw.Sentence] = found) -> None:  # noqa: ANN001 - a spaCy Doc
                found.extend(cw.sentences(doc, offset))

            ner.extract(nlp, text, max_chars=max_chars, batch_chars=batch_chars, on_doc=collect)
            rows = [(s.start, s.end, s.features) for s in found]
            count += len(suggestions.score(learned, text, rows))
        return count

    variants = {
        "ner": ner_only,
        "untagged_model": lambda: with_scoring(nlp_untagged, model),
        "untagged_features": lambda: with_scoring(nlp_untagged, None),
        "tagged_model": lambda: with_scoring(nlp_tagged, model),
    }
    for nlp in (nlp_ner, nlp_tagged, nlp_untagged):
        list(nlp.pipe(texts[:1]))  # warm every pipeline
    timings = dict.fromkeys(variants, 0.0)
    for _ in range(ROUNDS):
        for key, run in variants.items():
            start = time.perf_counter()
            run()
            timings[key] += time.perf_counter() - start
    chars = sum(len(t) for t in texts)
    configured = "tagged_model" if tags else "untagged_model"
    emit(
        bench="checkworthiness_speed",
        texts=len(texts),
        chars=chars,
        rounds=ROUNDS,
        pos_tags=tags,
        ner_chars_per_s=round(chars * ROUNDS / timings["ner"]),
        scoring_chars_per_s=round(chars * ROUNDS / timings[configured]),
        speed_ratio=round(timings["ner"] / timings[configured], 3),
        speed_ratio_without_tags=round(timings["ner"] / timings["untagged_model"], 3),
        speed_ratio_without_tags_features_only=round(timings["ner"] / timings["untagged_features"], 3),
        speed_ratio_with_tags=round(timings["ner"] / timings["tagged_model"], 3),
        goal=0.8,
    )


if __name__ == "__main__":
    main()
