"""The only writer of check-worthiness suggestions, the decisions on them and training runs.

- The extraction pass scores every sentence (``replace_for_article``) with the project's latest
  trained model, or the feature weights until there is one.
- A person accepts a suggestion (``accept``): the claim is made by ``claims.create`` at the
  sentence's exact offsets, with every rule of a claim marked by hand, and the decision is kept.
  Or dismisses it (``dismiss``). Members only; suggestions never become claims on their own.
- The decisions teach the project's model: a sentence marked as a claim (accepted, or marked by
  hand) is a positive; a dismissed one, or one left unmarked in an article whose review is
  finished (it has claims and all of them are approved), a negative. Once
  CHECKWORTHINESS_RETRAIN_DECISIONS new decisions have arrived, a ``CheckworthinessRun`` trains
  a new model in a worker and rescores the project's sentences.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from . import checkworthiness as cw
from . import claims, jobs, queueing, workflow
from .models import (
    Article,
    CheckworthinessRun,
    Claim,
    ClaimantType,
    ClaimStatus,
    DecisionKind,
    Project,
    RunStatus,
    Suggestion,
    SuggestionDecision,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

MEMBERS_ONLY = "Only members of the project can decide on suggestions."


# --- scoring ---------------------------------------------------------------------------------------


def current_model(project_id: int) -> tuple[cw.Model | None, str]:
    """The project's latest trained model and its version, or (None, the feature scorer's)."""
    latest = (
        CheckworthinessRun.objects.filter(project_id=project_id, status=RunStatus.DONE)
        .order_by("-finished_at", "-id")
        .values_list("coefficients", "model_version")
        .first()
    )
    if latest is not None:
        model = cw.Model.from_json(latest[0])
        if model is not None:
            return model, latest[1]
    return None, cw.FEATURE_MODEL


def score(model: cw.Model | None, text: str, sentences: Sequence[tuple[int, int, dict[str, float]]]) -> list[float]:
    """Scores of ``(start, end, features)`` sentences of ``text``: the model's, or the features'."""
    if model is None:
        return [cw.feature_score(features) for _start, _end, features in sentences]
    return model.scores([text[start:end] for start, end, _f in sentences], [f for _s, _e, f in sentences])


def replace_for_article(*, article_id: int, project_id: int, text: str, sentences: Iterable[cw.Sentence]) -> int:
    """Score the article's sentences and replace its suggestions; call inside the extraction's transaction."""
    rows = [(s.start, s.end, s.features) for s in sentences]
    model, version = current_model(project_id)
    scores = score(model, text, rows)
    Suggestion.objects.filter(article_id=article_id).delete()
    Suggestion.objects.bulk_create(
        [
            Suggestion(
                article_id=article_id, start=start, end=end, score=value, features=features, model_version=version
            )
            for (start, end, features), value in zip(rows, scores, strict=True)
        ],
        batch_size=500,
    )
    return len(rows)


def text_changed(article_id: int) -> None:
    """The article's text changed: its scored sentences point into the old text, so they go until
    the extraction pass (queued with the change) scores the new one. Decisions stay: keyed by span,
    they teach only where the new text has the same sentence there."""
    Suggestion.objects.filter(article_id=article_id).delete()


# --- reads ---------------------------------------------------------------------------------------


def ranked(article: Article) -> QuerySet[Suggestion]:
    """Every sentence of the article, best first, with the decision on it (``decision``) if any."""
    decided = SuggestionDecision.objects.filter(article_id=article.pk, start=OuterRef("start"), end=OuterRef("end"))
    return (
        Suggestion.objects.filter(article_id=article.pk)
        .annotate(decision=decided.values("kind")[:1])
        .order_by("-score", "start", "id")
    )


def open_suggestions(article: Article) -> QuerySet[Suggestion]:
    """Sentences nobody has decided on yet, best first."""
    decided = SuggestionDecision.objects.filter(article_id=article.pk, start=OuterRef("start"), end=OuterRef("end"))
    return Suggestion.objects.filter(article_id=article.pk).filter(~Exists(decided)).order_by("-score", "start", "id")


def for_desk(article: Article, claim_spans: Sequence[tuple[int, int]], limit: int | None = None) -> list[Suggestion]:
    """The top undecided sentences that no claim covers yet: one query, whatever the article's size.

    Sentences overlapping a claim are dropped in Python (the desk has the claims already), so
    a few more than ``limit`` are read.
    """
    limit = settings.CHECKWORTHINESS_DESK_TOP if limit is None else limit
    if limit <= 0:
        return []
    candidates = open_suggestions(article).only("id", "article_id", "start", "end", "score")
    wanted: list[Suggestion] = []
    for suggestion in candidates[: limit + len(claim_spans)]:
        if not any(s < suggestion.end and e > suggestion.start for s, e in claim_spans):
            wanted.append(suggestion)
            if len(wanted) == limit:
                break
    return wanted


# --- decisions -----------------------------------------------------------------------------------


def _member_role(article: Article, by: User, role: str | None) -> str:
    role = role if role is not None else claims.role_of(article.project_id, by)
    if role not in workflow.MEMBER_ROLES:
        raise PermissionDenied(MEMBERS_ONLY)
    return role


def _decide(suggestion: Suggestion, kind: str, by: User, claim: Claim | None = None) -> SuggestionDecision:
    decision, _created = SuggestionDecision.objects.update_or_create(
        article_id=suggestion.article_id,
        start=suggestion.start,
        end=suggestion.end,
        defaults={"kind": kind, "score": suggestion.score, "claim": claim, "decided_by": by},
    )
    return decision


def _accepted_already(suggestion: Suggestion) -> SuggestionDecision | None:
    # The suggestion's own row is the lock: a decision row that does not exist yet locks nothing,
    # so two accepts at once (on PostgreSQL) would both make a claim.
    list(Suggestion.objects.select_for_update().filter(pk=suggestion.pk).values_list("pk", flat=True))
    return (
        SuggestionDecision.objects.filter(article_id=suggestion.article_id, start=suggestion.start, end=suggestion.end)
        .filter(kind=DecisionKind.ACCEPTED)
        .first()
    )


def accept(
    *,
    suggestion: Suggestion,
    by: User,
    claim_text: str = "",
    claimant: str = "",
    claimant_type: str = ClaimantType.PERSON,
    verdict: str = "",
    rationale: str = "",
    status: str = ClaimStatus.UNSTARTED,
    role: str | None = None,
) -> Claim:
    """Make the suggested sentence a claim (through ``claims.create``, every rule of a new claim) and record it."""
    article = suggestion.article
    role = _member_role(article, by, role)
    with transaction.atomic():
        if _accepted_already(suggestion) is not None:
            raise ValidationError({"suggestion": "This sentence was accepted as a claim already."})
        claim = claims.create(
            article=article,
            by=by,
            start=suggestion.start,
            end=suggestion.end,
            quote=article.text[suggestion.start : suggestion.end],
            claim_text=claim_text,
            claimant=claimant,
            claimant_type=claimant_type,
            verdict=verdict,
            rationale=rationale,
            status=status,
            role=role,
        )
        _decide(suggestion, DecisionKind.ACCEPTED, by, claim)
        transaction.on_commit(lambda: maybe_retrain(article.project_id))
    return claim


def dismiss(*, suggestion: Suggestion, by: User, role: str | None = None) -> SuggestionDecision:
    """Record that the sentence is not worth checking: it leaves the desk and teaches the model."""
    article = suggestion.article
    _member_role(article, by, role)
    with transaction.atomic():
        if _accepted_already(suggestion) is not None:
            raise ValidationError({"suggestion": "This sentence was accepted as a claim; it cannot be dismissed."})
        decision = _decide(suggestion, DecisionKind.DISMISSED, by)
        transaction.on_commit(lambda: maybe_retrain(article.project_id))
    return decision


# --- learning --------------------------------------------------------------------------------------


def _finished_articles(project_id: int) -> set[int]:
    """Articles whose review is finished: they have claims, and every one is approved."""
    rows = (
        Article.objects.filter(project_id=project_id)
        .annotate(total=Count("claims"), open=Count("claims", filter=~Q(claims__status=ClaimStatus.APPROVED)))
        .filter(total__gt=0, open=0)
        .values_list("pk", flat=True)
    )
    return set(rows)


def training_examples(project_id: int, article_ids: Iterable[int] | None = None) -> list[cw.Example]:
    """The project's labelled sentences (see the module's docstring for the rule).

    ``article_ids`` keeps only those articles (the bench trains on some transcripts, ranks others).
    """
    decisions = {
        (article_id, start, end): kind
        for article_id, start, end, kind in SuggestionDecision.objects.filter(
            article__project_id=project_id
        ).values_list("article_id", "start", "end", "kind")
    }
    claimed: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for article_id, start, end in Claim.objects.filter(
        article__project_id=project_id, retracted_at__isnull=True
    ).values_list("article_id", "start", "end"):
        claimed[article_id].append((start, end))
    finished = _finished_articles(project_id)
    labelled_articles = set(claimed) | finished | {key[0] for key in decisions}
    if article_ids is not None:
        labelled_articles &= set(article_ids)
    texts = dict(Article.objects.filter(pk__in=labelled_articles).values_list("pk", "text"))
    examples: list[cw.Example] = []
    rows = (
        Suggestion.objects.filter(article_id__in=labelled_articles)
        .order_by("article_id", "start")
        .values_list("article_id", "start", "end", "features")
    )
    for article_id, start, end, features in rows.iterator(chunk_size=2000):
        kind = decisions.get((article_id, start, end))
        covered = any(s < end and e > start for s, e in claimed.get(article_id, ()))
        if kind == DecisionKind.ACCEPTED or covered:
            label = True
        elif kind == DecisionKind.DISMISSED or article_id in finished:
            label = False
        else:
            continue  # nobody has said anything about this sentence yet
        examples.append(cw.Example(texts[article_id][start:end], features, label))
    return examples


def decision_count(project_id: int) -> int:
    """Claims plus decisions on suggestions: what "new decisions since the last training" counts."""
    return (
        Claim.objects.filter(article__project_id=project_id).count()
        + SuggestionDecision.objects.filter(article__project_id=project_id, kind=DecisionKind.DISMISSED).count()
    )


def request_training(project: Project | int) -> CheckworthinessRun:
    """Queue a training run for the project (its task is sent on commit)."""
    from .tasks import train_checkworthiness

    project_id = project if isinstance(project, int) else project.pk
    with transaction.atomic():
        run = CheckworthinessRun.objects.create(project_id=project_id, decision_count=decision_count(project_id))
        queueing.send_on_commit(train_checkworthiness, [run.pk], job=run)
    return run


def maybe_retrain(project_id: int) -> CheckworthinessRun | None:
    """Queue a training run when enough new decisions arrived since the last one, and none is active."""
    runs = CheckworthinessRun.objects.filter(project_id=project_id)
    if runs.filter(status__in=jobs.ACTIVE).exists():
        return None
    last = (
        runs.exclude(error=queueing.QUEUE_FAILED)
        .order_by("-created_at", "-id")
        .values_list("decision_count", flat=True)
        .first()
    )
    if decision_count(project_id) - (last or 0) < settings.CHECKWORTHINESS_RETRAIN_DECISIONS:
        return None
    return request_training(project_id)


def rescore(project_id: int, model: cw.Model, version: str) -> int:
    """Score every sentence of the project again with ``model``, article by article."""
    total = 0
    article_ids = list(
        Suggestion.objects.filter(article__project_id=project_id)
        .order_by()
        .values_list("article_id", flat=True)
        .distinct()
    )
    for article_id in article_ids:
        text = Article.objects.filter(pk=article_id).values_list("text", flat=True).first()
        if text is None:
            continue
        rows = list(Suggestion.objects.filter(article_id=article_id).only("id", "start", "end", "features"))
        scores = score(model, text, [(r.start, r.end, r.features) for r in rows])
        for row, value in zip(rows, scores, strict=True):
            row.score = value
            row.model_version = version
        Suggestion.objects.bulk_update(rows, ["score", "model_version"], batch_size=500)
        total += len(rows)
    return total


def run_training(run_id: int, task_id: str = "") -> CheckworthinessRun | None:
    """Train the project's model from its decisions, store it as JSON numbers, rescore its sentences."""
    if not jobs.claim(CheckworthinessRun, run_id, task_id=task_id):
        return None
    run = CheckworthinessRun.objects.get(pk=run_id)
    examples = training_examples(run.project_id)
    try:
        trained = cw.train(examples)
    except cw.NotEnoughDecisions as error:
        jobs.fail(CheckworthinessRun, run_id, str(error), training_size=len(examples))
        return CheckworthinessRun.objects.get(pk=run_id)
    version = f"learned-{run_id}"
    rescored = rescore(run.project_id, trained.model, version)
    jobs.finish(
        CheckworthinessRun,
        run_id,
        model_version=version,
        training_size=trained.size,
        positives=trained.positives,
        train_seconds=trained.seconds,
        coefficients=trained.model.to_json(),
        rescored=rescored,
    )
    logger.info("check-worthiness run %s: %d examples, %.2fs", run_id, trained.size, trained.seconds)
    return CheckworthinessRun.objects.get(pk=run_id)


def export_rows(article_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Each article's sentences with their scores, for the JSONL export (one query)."""
    result: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = Suggestion.objects.filter(article_id__in=list(article_ids)).order_by("article_id", "-score", "start")
    for article_id, start, end, value, version in rows.values_list(
        "article_id", "start", "end", "score", "model_version"
    ):
        result[article_id].append({"start": start, "end": end, "score": round(value, 6), "model": version})
    return result
