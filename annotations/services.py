"""Operations that span several models or reach outside the database (tasks, files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from . import queueing, workflow
from . import text as textlib
from .models import (
    AnchorStatus,
    Article,
    ArticleRevision,
    Claim,
    ClaimStatus,
    EntityMention,
    ExtractionRun,
    Project,
    Verdict,
)

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
    fetched_at: datetime | None = None,
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
        fetched_at=fetched_at,
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
    queueing.send_on_commit(extract_entities, [article.pk, run.pk], job=run)
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
                if error.forbidden:
                    raise PermissionDenied(error.message) from None
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
            queueing.send_many_on_commit(extract_entities, [([a, r], r) for a, r in pairs], job_model=ExtractionRun)
        run_ids.extend(pk for _article_id, pk in pairs)
    return run_ids


# --- revisions of an article's text (issue 7) ---------------------------------------------------


class StaleText(Exception):
    """The text was revised by someone else since the editor loaded it."""

    def __init__(self, current: Article) -> None:
        super().__init__(f"article {current.pk} was changed since you loaded it; reload and apply your edit again")
        self.current = current


@dataclass
class RevisionResult:
    article: Article
    revision: ArticleRevision | None
    placed: list[Claim] = field(default_factory=list)
    needs_attention: list[Claim] = field(default_factory=list)
    mentions_dropped: int = 0

    @property
    def changed(self) -> bool:
        return self.revision is not None


def _stored_span(claim: Claim) -> textlib.StoredSpan:
    if claim.anchor_status == AnchorStatus.NEEDS_ATTENTION and claim.previous_quote:
        # The stored span of a flagged claim is only a guess; the quote people made it from is
        # the one to look for (its context was not kept, so it must stand on its own).
        return textlib.StoredSpan(claim.start, claim.end, claim.previous_quote, "", "")
    return textlib.StoredSpan(claim.start, claim.end, claim.quote, claim.prefix, claim.suffix)


def article_revise(
    *,
    article: Article,
    new_text: str,
    user: AbstractBaseUser | None,
    expected_sha256: str | None = None,
) -> RevisionResult:
    """Replace an article's text with a corrected one, keeping the old text as a revision.

    Every claim is placed again in the new text (and its version bumped, since its offsets
    changed meaning); a claim that cannot be placed confidently keeps a best-guess span, is
    flagged ``needs_attention`` and keeps its old quote. Machine entity mentions are dropped and
    extraction re-runs; mentions a person made are moved when they can be placed exactly.
    Raises ValidationError naming ``text``, or StaleText when ``expected_sha256`` is out of date.
    """
    from django.conf import settings

    normalised = textlib.normalise(new_text)
    if not normalised:
        raise ValidationError({"text": "The article text is empty."})
    if len(normalised) > settings.MAX_ARTICLE_CHARS:
        raise ValidationError(
            {"text": f"The text has {len(normalised)} characters; the limit is {settings.MAX_ARTICLE_CHARS}."}
        )
    threshold = settings.REANCHOR_MIN_CONFIDENCE
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if expected_sha256 and locked.text_sha256 != expected_sha256:
            raise StaleText(locked)
        if normalised == locked.text:
            return RevisionResult(article=locked, revision=None)
        new_sha = textlib.sha256(normalised)
        twin = Article.objects.filter(project_id=locked.project_id, text_sha256=new_sha).exclude(pk=locked.pk).first()
        if twin:
            raise ValidationError(
                {"text": f"Article {twin.pk} ({twin.title!r}) of this project already has this text."}
            )
        old_text = locked.text
        revision = ArticleRevision.objects.create(
            article=locked, text=old_text, text_sha256=locked.text_sha256, created_by=user
        )
        locked.text = normalised
        locked.save(update_fields=["text", "updated_at"])
        result = RevisionResult(article=locked, revision=revision)

        # Locked too: a concurrent claim_update waits, so no version number is handed out twice.
        claims = list(locked.claims.select_for_update().order_by("start", "id"))
        anchors = textlib.reanchor_all(old_text, normalised, [_stored_span(c) for c in claims], threshold)
        now = timezone.now()
        for claim, anchor in zip(claims, anchors, strict=True):
            original_quote = _stored_span(claim).quote
            span = textlib.check_span(normalised, anchor.start, anchor.end)
            claim.start, claim.end, claim.quote = span.start, span.end, span.quote
            claim.prefix, claim.suffix = span.prefix, span.suffix
            claim.anchor_confidence = anchor.confidence
            if anchor.is_confident(threshold):
                claim.anchor_status, claim.previous_quote = AnchorStatus.ANCHORED, ""
                result.placed.append(claim)
            else:
                claim.anchor_status, claim.previous_quote = AnchorStatus.NEEDS_ATTENTION, original_quote
                result.needs_attention.append(claim)
            claim.version += 1
            claim.updated_at = now
        # With history rows, so each claim's timeline shows the move and who corrected the text.
        bulk_update_with_history(
            claims,
            Claim,
            ["start", "end", "quote", "prefix", "suffix", "anchor_status", "anchor_confidence", "previous_quote",
             "version", "updated_at"],
            batch_size=500,
            default_user=user,
            default_change_reason="article text revised",
        )
        result.mentions_dropped = _reanchor_person_mentions(locked, old_text, normalised)
        enqueue_extraction(locked)
    return result


def _reanchor_person_mentions(article: Article, old_text: str, new_text: str) -> int:
    """Drop machine mentions (extraction re-runs); move a person's mentions where they stay exact."""
    article.mentions.exclude(model="").delete()
    mentions = list(article.mentions.all())
    if not mentions:
        return 0
    spans = [textlib.StoredSpan(m.start, m.end, m.text, *textlib.context(old_text, m.start, m.end)) for m in mentions]
    keep, drop = [], []
    for mention, anchor in zip(mentions, textlib.reanchor_all(old_text, new_text, spans), strict=True):
        if anchor.method == "exact" and anchor.is_confident():
            mention.start, mention.end = anchor.start, anchor.end
            keep.append(mention)
        else:
            drop.append(mention.pk)
    EntityMention.objects.bulk_update(keep, ["start", "end"])
    EntityMention.objects.filter(pk__in=drop).delete()
    return len(drop)


def claim_place(
    *, claim: Claim, start: int, end: int, quote: str | None = None, placed_by: AbstractBaseUser | None = None
) -> Claim:
    """A person settles where a flagged claim belongs (or confirms the guess): the flag is cleared."""
    with transaction.atomic():
        fresh = Claim.objects.select_for_update().select_related("article").get(pk=claim.pk)
        try:
            span = textlib.check_span(fresh.article.text, start, end, quote)
        except textlib.SpanError as error:
            raise ValidationError({error.field: error.message}) from None
        fresh.start, fresh.end, fresh.quote = span.start, span.end, span.quote
        fresh.prefix, fresh.suffix = span.prefix, span.suffix
        fresh.anchor_status, fresh.anchor_confidence, fresh.previous_quote = AnchorStatus.ANCHORED, 1.0, ""
        fresh.version += 1
        if placed_by is not None:
            fresh._history_user = placed_by  # type: ignore[attr-defined]
        fresh.save()
    return fresh
