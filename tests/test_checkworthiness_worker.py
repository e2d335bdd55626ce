"""Retraining the check-worthiness model on a real worker, queued by the decisions themselves."""

from __future__ import annotations

import pytest

from annotations import articles, checkworthiness, claims, suggestions
from annotations.models import CheckworthinessRun, RunStatus, Suggestion
from tests.test_extraction_worker import wait_for

pytestmark = pytest.mark.worker


def test_enough_decisions_retrain_the_model_in_a_worker(celery_worker, project, author, settings):
    settings.CHECKWORTHINESS_RETRAIN_DECISIONS = 12
    lines = [f"Exports grew by {n} percent to {n} billion dollars in 2019." for n in range(10)]
    lines += [f"Thank you very much, my friend number {n}." for n in range(10)]
    text = "\n".join(lines)
    article = articles.create(project=project, title="Transcript", text=text, created_by=author)
    # The worker scores the sentences in the extraction pass.
    wait_for(lambda: Suggestion.objects.filter(article=article).count() == 20, "the sentences scored", celery_worker)
    rows = list(Suggestion.objects.filter(article=article).select_related("article__project").order_by("start"))
    assert {r.model_version for r in rows} == {checkworthiness.FEATURE_MODEL}

    for row in rows[:6]:
        suggestions.accept(suggestion=row, by=author)
    for row in rows[10:15]:
        suggestions.dismiss(suggestion=row, by=author)
    assert not CheckworthinessRun.objects.exists()  # 11 decisions: not yet
    claims.create(article=article, by=author, start=rows[6].start, end=rows[6].end)  # one marked by hand
    suggestions.dismiss(suggestion=rows[15], by=author)  # the 13th decision queues a run

    run = CheckworthinessRun.objects.get()
    wait_for(lambda: CheckworthinessRun.objects.get(pk=run.pk).is_finished, "the training run", celery_worker)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    assert (run.training_size, run.positives) == (13, 7)
    assert run.model_version == f"learned-{run.pk}" and run.task_id and run.train_seconds is not None
    rescored = {r.pk: r for r in Suggestion.objects.filter(article=article)}
    assert {r.model_version for r in rescored.values()} == {run.model_version}
    # What it learnt ranks the figures it was taught above the thanks it was told to drop.
    figures = [rescored[r.pk].score for r in rows[7:10]]
    thanks = [rescored[r.pk].score for r in rows[16:20]]
    assert min(figures) > max(thanks)
