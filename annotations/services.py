"""Operations that span several models or reach outside the database (tasks, files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

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
    **changes: object,
) -> Claim:
    """Change a claim if nobody else changed it since ``expected_version``; returns it reloaded.

    The version check and the write are one conditional UPDATE, so two concurrent writers with
    the same version cannot both succeed: the second gets StaleVersion with the current state.
    ``expected_version=None`` skips the check (trusted internal callers only).
    """
    unknown = set(changes) - CLAIM_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"unknown claim fields: {sorted(unknown)}")
    _check_choices(changes)
    values: dict[str, object] = dict(changes)
    if start is not None or end is not None or quote is not None:
        try:
            span = textlib.check_span(
                claim.article.text,
                claim.start if start is None else start,
                claim.end if end is None else end,
                quote,
            )
        except textlib.SpanError as error:
            raise ValidationError({error.field: error.message}) from None
        values.update(start=span.start, end=span.end, quote=span.quote, prefix=span.prefix, suffix=span.suffix)
    rows = Claim.objects.filter(pk=claim.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    updated = rows.update(version=F("version") + 1, updated_at=timezone.now(), **values)
    fresh = Claim.objects.select_related("article").get(pk=claim.pk)
    if not updated:
        raise StaleVersion(fresh)
    return fresh


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

        claims = list(locked.claims.order_by("start", "id"))
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
            claim.version = F("version") + 1
            claim.updated_at = now
        Claim.objects.bulk_update(
            claims,
            ["start", "end", "quote", "prefix", "suffix", "anchor_status", "anchor_confidence", "previous_quote",
             "version", "updated_at"],
            batch_size=500,
        )
        result.mentions_dropped = _reanchor_person_mentions(locked, old_text, normalised)
        enqueue_extraction(locked)
    for claim in claims:
        claim.refresh_from_db(fields=["version"])
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


def claim_place(*, claim: Claim, start: int, end: int, quote: str | None = None) -> Claim:
    """A person settles where a flagged claim belongs (or confirms the guess): the flag is cleared."""
    try:
        span = textlib.check_span(claim.article.text, start, end, quote)
    except textlib.SpanError as error:
        raise ValidationError({error.field: error.message}) from None
    Claim.objects.filter(pk=claim.pk).update(
        start=span.start,
        end=span.end,
        quote=span.quote,
        prefix=span.prefix,
        suffix=span.suffix,
        anchor_status=AnchorStatus.ANCHORED,
        anchor_confidence=1.0,
        previous_quote="",
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    return Claim.objects.select_related("article").get(pk=claim.pk)
