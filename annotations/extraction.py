"""Entity extraction runs: the state machine behind the Celery task, and project progress.

A run moves queued → running → done or failed. Every step is a conditional UPDATE, so a
task delivered twice (a redelivery after a worker died, a duplicate publish) cannot move a
finished run backwards or store mentions twice.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery

from . import checkworthiness, entities, jobs, ner, suggestions
from .models import Article, EntityMention, ExtractionRun, Project, RunStatus

logger = logging.getLogger(__name__)

ACTIVE = jobs.ACTIVE
is_stuck = jobs.is_stuck
stuck_reason = jobs.stuck_reason


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    GONE = "gone"  # the run (and with it, usually, the article) was deleted
    SKIPPED = "skipped"  # a duplicate delivery of a run that already finished
    SUPERSEDED = "superseded"  # the text changed while the model ran; a newer run handles it


def machine_mentions(article_id: int):  # -> QuerySet[EntityMention]
    """Mentions a model found and no person corrected; a person's mentions (``model`` empty) and
    corrections (relabelled or removed, see entities.py) are never replaced."""
    return EntityMention.all_mentions.filter(article_id=article_id, corrected_at__isnull=True).exclude(model="")


def start_run(run_id: int, task_id: str = "") -> bool:
    """Move a run to running (``jobs.claim``); False when it is finished already or gone."""
    return jobs.claim(ExtractionRun, run_id, task_id=task_id)


def fail_run(run_id: int, error: str) -> None:
    jobs.fail(ExtractionRun, run_id, error)


def requeue_run(run_id: int, error: str) -> None:
    """A transient error: the run waits for its retry, showing why."""
    ExtractionRun.objects.filter(pk=run_id, status__in=ACTIVE).update(
        status=RunStatus.QUEUED, error=f"retrying after: {error}"[:2000]
    )


def _attempts(run_id: int) -> int:
    return ExtractionRun.objects.filter(pk=run_id).values_list("attempts", flat=True).first() or 0


def run_extraction(*, article_id: int, run_id: int, task_id: str = "") -> Outcome:
    """Run NER over the article for ``run_id`` and replace its machine mentions.

    Database and broker errors propagate (the task retries them); bad input (a text over
    the limit) ends the run as failed with the reason.
    """
    if not start_run(run_id, task_id):
        if ExtractionRun.objects.filter(pk=run_id).exists():
            logger.info("extraction run %s already finished; duplicate delivery ignored", run_id)
            return Outcome.SKIPPED
        logger.info("extraction run %s is gone (article %s deleted?)", run_id, article_id)
        return Outcome.GONE
    article = Article.objects.filter(pk=article_id).only("text", "text_sha256", "project_id").first()
    if article is None:
        return Outcome.GONE
    if settings.NER_TEST_DELAY_SECONDS and _attempts(run_id) == 1:
        # Test-only: hold the first attempt so a test can kill the worker mid-task; a
        # redelivery is not held again.
        time.sleep(settings.NER_TEST_DELAY_SECONDS)

    began = time.monotonic()
    scoring = settings.CHECKWORTHINESS_ENABLED
    # Check-worthiness reads the same docs: sentences (and POS tags) join the NER pass.
    nlp = ner.load(settings.NER_MODEL, sentences=scoring, tags=scoring and settings.CHECKWORTHINESS_POS_TAGS)
    info = ner.model_info(nlp, settings.NER_MODEL)
    sentences: list[checkworthiness.Sentence] = []

    def collect(doc, offset: int) -> None:  # noqa: ANN001 - a spaCy Doc
        sentences.extend(checkworthiness.sentences(doc, offset))

    try:
        mentions = ner.extract(
            nlp,
            article.text,
            max_chars=settings.NER_MAX_TEXT_CHARS,
            batch_chars=settings.NER_BATCH_CHARS,
            on_doc=collect if scoring else None,
        )
    except ner.TextTooLong as error:
        ExtractionRun.objects.filter(pk=run_id).update(model_name=info.name, model_version=info.version)
        fail_run(run_id, str(error))
        return Outcome.FAILED
    model_seconds = time.monotonic() - began

    with transaction.atomic():
        # Locking the article serialises two deliveries of the same article's runs: without
        # it, both could delete the old rows and then both insert (READ COMMITTED).
        locked = Article.objects.select_for_update().filter(pk=article_id).values_list("text_sha256", flat=True)
        current_sha = locked.first()
        if current_sha is None:
            return Outcome.GONE
        if current_sha != article.text_sha256:
            fail_run(run_id, "The article text changed while the model ran; a newer run extracts the new text.")
            return Outcome.SUPERSEDED
        machine_mentions(article_id).delete()
        # Where a person corrected, added or removed a mention, the person's decision stands.
        kept = entities.corrected_spans(article_id)
        mentions = [m for m in mentions if not entities.overlaps_any(m.start, m.end, kept)]
        EntityMention.objects.bulk_create(
            [
                EntityMention(
                    article_id=article_id,
                    run_id=run_id,
                    start=m.start,
                    end=m.end,
                    text=m.text,
                    label=m.label,
                    model=info.name,
                )
                for m in mentions
            ],
            batch_size=500,
        )
        if scoring:
            suggestions.replace_for_article(
                article_id=article_id, project_id=article.project_id, text=article.text, sentences=sentences
            )
        finished = jobs.finish(
            ExtractionRun,
            run_id,
            model_name=info.name,
            model_version=info.version,
            mention_count=len(mentions),
            char_count=len(article.text),
        )
        if not finished:
            # Someone finished or failed this run meanwhile (a duplicate delivery that won):
            # keep their rows, drop ours.
            transaction.set_rollback(True)
            return Outcome.SKIPPED
    if scoring:
        # Decisions made since the last training (claims marked by hand among them) may now be
        # enough for a new model.
        suggestions.maybe_retrain(article.project_id)
    logger.info(
        "extraction run %s: %d mentions in %d chars, model %.3fs",
        run_id,
        len(mentions),
        len(article.text),
        model_seconds,
    )
    return Outcome.DONE


# --- project progress --------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    total: int
    queued: int
    running: int
    done: int
    failed: int
    never_run: int

    @property
    def active(self) -> int:
        return self.queued + self.running

    @property
    def finished(self) -> int:
        return self.done + self.failed

    @property
    def percent(self) -> int:
        """Share of articles whose latest run has finished (done or failed)."""
        return round(100 * self.finished / self.total) if self.total else 100

    def as_dict(self) -> dict[str, int | bool]:
        return {
            "total": self.total,
            "queued": self.queued,
            "running": self.running,
            "done": self.done,
            "failed": self.failed,
            "never_run": self.never_run,
            "active": self.active,
            "percent": self.percent,
        }


def _with_latest_status(articles):  # -> the articles, each with ``latest_status`` (None: never run)
    latest = ExtractionRun.objects.filter(article=OuterRef("pk")).order_by("-created_at", "-id").values("status")[:1]
    return articles.annotate(latest_status=Subquery(latest))


def latest_run_statuses(articles):  # -> QuerySet of (article id, latest run status)
    return _with_latest_status(articles).values_list("pk", "latest_status")


def project_progress(project: Project, article_ids: list[int] | None = None) -> Progress:
    """Counts of each project article's LATEST run status: one query."""
    articles = project.articles.all()
    if article_ids is not None:
        articles = articles.filter(pk__in=article_ids)
    counts = dict.fromkeys([*RunStatus.values, None], 0)
    # Counted by the database (GROUP BY the latest status): the page and its poll read four
    # numbers, not a row per article (30 ms a poll at 17,000 articles when counted here).
    grouped = _with_latest_status(articles.order_by()).values("latest_status").annotate(n=Count("pk"))
    for row in grouped:
        counts[row["latest_status"]] = counts.get(row["latest_status"], 0) + row["n"]
    total = sum(counts.values())
    return Progress(
        total=total,
        queued=counts[RunStatus.QUEUED],
        running=counts[RunStatus.RUNNING],
        done=counts[RunStatus.DONE],
        failed=counts[RunStatus.FAILED],
        never_run=counts[None],
    )
