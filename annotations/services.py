"""Operations that span several models or reach outside the database (tasks, files)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import text as textlib
from . import workflow
from .models import Article, Claim, ClaimStatus, ExtractionRun, Project, Verdict

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class DuplicateArticle(Exception):
    def __init__(self, existing: Article) -> None:
        super().__init__(f"already imported as article {existing.pk} ({existing.title!r})")
        self.existing = existing


def article_create(
    *,
    project: Project,
    title: str,
    text: str,
    created_by: AbstractBaseUser | None = None,
    url: str = "",
    publisher: str = "",
    published_at: datetime | date | None = None,
    language: str = "en",
) -> Article:
    """Create an article from raw text; the text is normalised once, here.

    Raises DuplicateArticle when the project already holds the same normalised text.
    """
    normalised = textlib.normalise(text)
    existing = Article.objects.filter(project=project, text_sha256=textlib.sha256(normalised)).first()
    if existing:
        raise DuplicateArticle(existing)
    if isinstance(published_at, date) and not isinstance(published_at, datetime):
        published_at = datetime(published_at.year, published_at.month, published_at.day, tzinfo=UTC)
    article = Article(
        project=project,
        title=title,
        text=normalised,
        url=url,
        publisher=publisher,
        published_at=published_at,
        language=language,
        created_by=created_by,
    )
    article.full_clean(exclude=["text_sha256"])
    try:
        with transaction.atomic():
            article.save()
            enqueue_extraction(article)
    except IntegrityError:
        # Lost a race with a concurrent import of the same text.
        raise DuplicateArticle(Article.objects.get(project=project, text_sha256=article.text_sha256)) from None
    return article


def enqueue_extraction(article: Article) -> ExtractionRun:
    """Record a queued extraction run and send the task once the surrounding transaction commits.

    Sending on commit means the worker never looks for an article (or run) it cannot see yet.
    """
    from .tasks import extract_entities

    run = ExtractionRun.objects.create(article=article, status="queued")
    transaction.on_commit(lambda: extract_entities.apply_async(args=[article.pk, run.pk]))
    return run


# --- claims ------------------------------------------------------------------------------------

CLAIM_EDITABLE_FIELDS = frozenset({"claim_text", "claimant", "status", "verdict", "rationale"})


class StaleVersion(Exception):
    """A write carried an out-of-date claim version: someone else changed the claim first."""

    def __init__(self, current: Claim) -> None:
        super().__init__(f"claim {current.pk} is at version {current.version}; reload and try again")
        self.current = current


def _check_choices(changes: dict[str, object]) -> None:
    errors: dict[str, str] = {}
    if "verdict" in changes and changes["verdict"] not in (*Verdict.values, ""):
        errors["verdict"] = f"{changes['verdict']!r} is not a verdict; use one of: {', '.join(Verdict.values)}."
    if "status" in changes and changes["status"] not in ClaimStatus.values:
        errors["status"] = f"{changes['status']!r} is not a status; use one of: {', '.join(ClaimStatus.values)}."
    if errors:
        raise ValidationError(errors)


def claim_create(
    *,
    article: Article,
    created_by: AbstractBaseUser,
    start: int,
    end: int,
    quote: str | None = None,
    **fields: object,
) -> Claim:
    """Mark a span of the article as a claim; offsets are checked against the stored text.

    Raises ValidationError naming the field (start, end, quote, verdict, status).
    """
    unknown = set(fields) - CLAIM_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"unknown claim fields: {sorted(unknown)}")
    _check_choices(fields)
    initial = fields.get("status", ClaimStatus.UNSTARTED)
    if initial not in (ClaimStatus.UNSTARTED, ClaimStatus.IN_PROGRESS):
        # Review and approval are workflow steps taken after marking, never a shortcut at creation.
        raise ValidationError({"status": "A new claim starts as unstarted or in_progress."})
    try:
        span = textlib.check_span(article.text, start, end, quote)
    except textlib.SpanError as error:
        raise ValidationError({error.field: error.message}) from None
    if not fields.get("claim_text"):
        fields["claim_text"] = span.quote
    return Claim.objects.create(
        article=article,
        start=span.start,
        end=span.end,
        quote=span.quote,
        prefix=span.prefix,
        suffix=span.suffix,
        created_by=created_by,
        **fields,
    )


def claim_update(
    *,
    claim: Claim,
    expected_version: int | None,
    start: int | None = None,
    end: int | None = None,
    quote: str | None = None,
    changed_by: AbstractBaseUser | None = None,
    correction_note: str = "",
    **changes: object,
) -> Claim:
    """Change a claim if nobody else changed it since ``expected_version``; returns it reloaded.

    The row is locked (SELECT ... FOR UPDATE; on SQLite the write transaction is IMMEDIATE) for
    the version check and the write, so of two concurrent writers holding the same version only
    the first succeeds and the second gets StaleVersion with the current state. Saving through
    the model (not a bare UPDATE) keeps the history. A status change by ``changed_by`` must be a
    legal workflow move. Changing an approved (published) claim is an open correction: it needs a
    ``correction_note`` and is marked corrected. ``expected_version=None`` skips the version check
    (trusted internal callers only).
    """
    unknown = set(changes) - CLAIM_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"unknown claim fields: {sorted(unknown)}")
    _check_choices(changes)
    with transaction.atomic():
        fresh = Claim.objects.select_for_update().select_related("article__project").get(pk=claim.pk)
        if expected_version is not None and fresh.version != expected_version:
            raise StaleVersion(fresh)
        values: dict[str, object] = {k: v for k, v in changes.items() if getattr(fresh, k) != v}
        if start is not None or end is not None or quote is not None:
            try:
                span = textlib.check_span(
                    fresh.article.text,
                    fresh.start if start is None else start,
                    fresh.end if end is None else end,
                    quote,
                )
            except textlib.SpanError as error:
                raise ValidationError({error.field: error.message}) from None
            if (span.start, span.end) != (fresh.start, fresh.end):
                values.update(start=span.start, end=span.end, quote=span.quote, prefix=span.prefix, suffix=span.suffix)
        new_status = values.pop("status", None)
        if new_status is not None and changed_by is not None:
            facts = workflow.ClaimFacts(
                status=fresh.status,
                verdict=str(values.get("verdict", fresh.verdict)),
                source_count=fresh.sources.count(),
                is_author=fresh.created_by_id == changed_by.pk,
            )
            try:
                workflow.check_transition(facts, str(new_status), fresh.article.project.role_of(changed_by))
            except workflow.TransitionError as error:
                raise ValidationError({"status": error.message}) from None
        if fresh.status == ClaimStatus.APPROVED and values:
            if not correction_note.strip():
                raise ValidationError(
                    {"correction_note": "This claim is published (approved): say what you corrected and why."}
                )
            fresh.corrected_at = timezone.now()
            fresh.correction_note = correction_note.strip()
        if not values and new_status is None:
            return fresh
        for name, value in values.items():
            setattr(fresh, name, value)
        if new_status is not None:
            fresh.status = str(new_status)
            if new_status == ClaimStatus.APPROVED and changed_by is not None:
                fresh.reviewed_by = changed_by
        fresh.version += 1
        if changed_by is not None:
            fresh._history_user = changed_by  # type: ignore[attr-defined]
        fresh.save()
    return fresh


# --- entity extraction (issue 3) -----------------------------------------------------------------


def article_set_text(*, article: Article, text: str) -> Article:
    """Replace an article's text and extract entities again; a no-op when the text is the same.

    Claims keep their offsets into the OLD text: re-anchoring them is the caller's job (the
    claim context, prefix/suffix, is stored for that). Raises ValidationError naming ``text``.
    """
    normalised = textlib.normalise(text)
    if normalised == article.text:
        return article
    article.text = normalised
    article.full_clean(exclude=["text_sha256"])
    with transaction.atomic():
        article.save(update_fields=["text", "updated_at"])
        enqueue_extraction(article)
    return article


def project_extract(*, project: Project, only_missing: bool = False, chunk_size: int = 200) -> list[int]:
    """Queue an extraction run for the project's articles; returns the new runs' ids.

    Articles with a run already queued or running are skipped: that run reads the current
    text anyway. ``only_missing`` also skips articles whose latest run is done. Runs are
    created and sent in chunks, each chunk in its own transaction, so a huge project
    starts being processed while the rest is still being queued.
    """
    from .extraction import ACTIVE, latest_run_statuses
    from .tasks import extract_entities

    skip = set(ACTIVE) | ({"done"} if only_missing else set())
    article_ids = [pk for pk, status in latest_run_statuses(project.articles.order_by("pk")) if status not in skip]
    run_ids: list[int] = []
    for offset in range(0, len(article_ids), chunk_size):
        chunk = article_ids[offset : offset + chunk_size]
        with transaction.atomic():
            runs = ExtractionRun.objects.bulk_create([ExtractionRun(article_id=pk, status="queued") for pk in chunk])
            pairs = [(run.article_id, run.pk) for run in runs]

            def send(pairs: list[tuple[int, int]] = pairs) -> None:
                for article_id, run_id in pairs:
                    extract_entities.apply_async(args=[article_id, run_id])

            transaction.on_commit(send)
        run_ids.extend(pk for _article_id, pk in pairs)
    return run_ids
