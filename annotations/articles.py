"""The only writer of articles: create, set or revise the text (claims are re-anchored by
``claims.reanchor``), assign, and queue entity extraction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import bulkrows, claims, queueing, suggestions, workflow
from . import text as textlib
from .models import Article, ArticleRevision, Claim, EntityMention, ExtractionRun, Membership, Project

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class DuplicateArticle(Exception):
    def __init__(self, existing: Article) -> None:
        super().__init__(f"already imported as article {existing.pk} ({existing.title!r})")
        self.existing = existing


def create(
    *,
    project: Project,
    title: str,
    text: str,
    created_by: User | None = None,
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


@dataclass(frozen=True)
class Draft:
    """One article to create in a batch: its fields, and what an imported record says of it."""

    title: str
    text: str
    url: str = ""
    publisher: str = ""
    published_at: datetime | date | None = None
    language: str = "en"
    fetched_at: datetime | None = None
    created_by: str | None = None  # usernames: kept when they are members of the project
    assignee: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class Drafted:
    """What became of one draft: the new article, or the one already holding its text."""

    article: Article | None = None
    duplicate_of: Article | None = None
    # Usernames the draft named that are not members (their fields stay as for a new article).
    unknown_people: set[str] = field(default_factory=set)


class DraftInvalid(Exception):
    """Draft number ``index`` is not valid; nothing of the batch was written."""

    def __init__(self, index: int, error: ValidationError) -> None:
        super().__init__(f"draft {index}: {error}")
        self.index = index
        self.error = error


def create_many(*, project: Project, drafts: list[Draft], created_by: User | None = None) -> list[Drafted]:
    """Create many articles at once with ``create``'s rules: every draft, or none (DraftInvalid).

    A draft whose normalised text the project already holds, or an earlier draft of the batch
    holds, is not created (``duplicate_of``). The articles, their extraction runs and what the
    drafts say of people and times are written with a few multi-row INSERTs, and one task per
    article is sent once the transaction commits: a thousand articles cost about as much as
    their text takes to hash, where one ``create`` each cost ten queries and a broker round trip.
    """
    built: list[Article] = []
    for index, draft in enumerate(drafts):
        article = _new_article(project, draft, created_by)
        try:
            # The project and the people are ours, not the draft's: checking that they exist
            # would cost two queries an article. Duplicates are found below, in one query.
            article.full_clean(
                exclude=["text_sha256", "project", "created_by", "assignee"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            raise DraftInvalid(index, error) from None
        article.text_sha256 = textlib.sha256(article.text)
        built.append(article)
    names = {name for draft in drafts for name in (draft.created_by, draft.assignee) if name}
    members = dict(
        Membership.objects.filter(project=project, user__username__in=names).values_list("user__username", "user_id")
    )
    hashes = [article.text_sha256 for article in built]
    existing: dict[str, Article] = {}
    for begin in range(0, len(hashes), 500):
        for found in Article.objects.filter(project=project, text_sha256__in=hashes[begin : begin + 500]):
            existing[found.text_sha256] = found
    results: list[Drafted] = []
    fresh: list[Article] = []
    now = timezone.now()
    for article, draft in zip(built, drafts, strict=True):
        if article.text_sha256 in existing:
            results.append(Drafted(duplicate_of=existing[article.text_sha256]))
            continue
        existing[article.text_sha256] = article
        if draft.created_by in members:
            article.created_by_id = members[draft.created_by]
        if draft.assignee in members:
            article.assignee_id = members[draft.assignee]
        unknown = {name for name in (draft.created_by, draft.assignee) if name and name not in members}
        article.created_at = draft.created_at or now
        article.updated_at = draft.updated_at or now
        results.append(Drafted(article=article, unknown_people=unknown))
        fresh.append(article)
    if not fresh:
        return results
    columns = [f.attname for f in Article._meta.concrete_fields if not f.primary_key]
    rows = [{name: getattr(article, name) for name in columns} for article in fresh]
    try:
        with transaction.atomic():
            ids = bulkrows.insert(Article, rows, returning=True)
    except IntegrityError:
        # Lost a race with a concurrent import of one of these texts: one at a time, so each
        # article says which one it duplicates.
        return [_create_one(project, draft, created_by) for draft in drafts]
    for article, pk in zip(fresh, ids, strict=True):
        article.pk = pk
        article._state.adding = False
    _enqueue_many(fresh)
    return results


def _new_article(project: Project, draft: Draft, created_by: User | None) -> Article:
    published_at = draft.published_at
    if isinstance(published_at, date) and not isinstance(published_at, datetime):
        published_at = datetime(published_at.year, published_at.month, published_at.day, tzinfo=UTC)
    return Article(
        project=project,
        title=draft.title,
        text=textlib.normalise(draft.text),
        url=draft.url,
        publisher=draft.publisher,
        published_at=published_at,
        language=draft.language,
        fetched_at=draft.fetched_at,
        created_by=created_by,
    )


def _create_one(project: Project, draft: Draft, created_by: User | None) -> Drafted:
    try:
        article = create(
            project=project, title=draft.title, text=draft.text, created_by=created_by, url=draft.url,
            publisher=draft.publisher, published_at=draft.published_at, language=draft.language,
            fetched_at=draft.fetched_at,
        )  # fmt: skip
    except DuplicateArticle as duplicate:
        return Drafted(duplicate_of=duplicate.existing)
    unknown = keep_imported(
        article=article, created_by=draft.created_by, assignee=draft.assignee,
        created_at=draft.created_at, updated_at=draft.updated_at,
    )  # fmt: skip
    return Drafted(article=article, unknown_people=unknown)


def _enqueue_many(created: list[Article]) -> None:
    """Queued extraction runs for new articles, their tasks sent by a worker once this commits."""
    from .tasks import queue_extractions

    run_ids = bulkrows.insert(
        ExtractionRun, [{"article_id": article.pk, "status": "queued"} for article in created], returning=True
    )
    pairs = [[article.pk, run] for article, run in zip(created, run_ids, strict=True)]
    queueing.send_batch_on_commit(queue_extractions, [pairs], job_model=ExtractionRun, job_pks=run_ids)


def enqueue_extraction(article: Article) -> ExtractionRun:
    """Record a queued extraction run and send the task once the surrounding transaction commits.

    Sending on commit means the worker never looks for an article (or run) it cannot see yet.
    """
    from .tasks import extract_entities

    run = ExtractionRun.objects.create(article=article, status="queued")
    queueing.send_on_commit(extract_entities, [article.pk, run.pk], job=run)
    return run


def set_text(*, article: Article, text: str) -> Article:
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
        suggestions.text_changed(article.pk)
        enqueue_extraction(article)
    return article


def extract_project(*, project: Project, only_missing: bool = False, chunk_size: int = 200) -> list[int]:
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


def revise(
    *,
    article: Article,
    new_text: str,
    user: User | None,
    expected_sha256: str | None = None,
) -> RevisionResult:
    """Replace an article's text with a corrected one, keeping the old text as a revision.

    Only editors correct a text (``user=None`` is a trusted internal caller). Every claim is
    placed again in the new text by ``claims.reanchor``; machine entity mentions are dropped
    and extraction re-runs; mentions a person made are moved when they can be placed exactly.
    Raises ValidationError naming ``text``, or StaleText when ``expected_sha256`` is out of date.
    """
    if user is not None and not workflow.is_editor(claims.role_of(article.project_id, user)):
        raise PermissionDenied("Only editors correct an article's text.")
    normalised = textlib.normalise(new_text)
    if not normalised:
        raise ValidationError({"text": "The article text is empty."})
    if len(normalised) > settings.MAX_ARTICLE_CHARS:
        raise ValidationError(
            {"text": f"The text has {len(normalised)} characters; the limit is {settings.MAX_ARTICLE_CHARS}."}
        )
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
        placed = claims.reanchor(
            article=locked,
            old_text=old_text,
            new_text=normalised,
            by=user,
            threshold=settings.REANCHOR_MIN_CONFIDENCE,
        )
        result = RevisionResult(
            article=locked, revision=revision, placed=placed.placed, needs_attention=placed.needs_attention
        )
        result.mentions_dropped = _reanchor_person_mentions(locked, old_text, normalised)
        suggestions.text_changed(locked.pk)
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


def assign(*, article: Article, assignee: User | None, by: User) -> Article:
    """Put the article in a member's queue (editors and admins), or in nobody's."""
    if not workflow.is_editor(claims.role_of(article.project_id, by)):
        raise PermissionDenied(workflow.EDITORS_ONLY)
    if assignee is not None and claims.role_of(article.project_id, assignee) is None:
        raise ValidationError({"assignee": f"{assignee.get_username()} is not a member of this project."})
    article.assignee = assignee
    article.save(update_fields=["assignee", "updated_at"])
    return article


def keep_imported(
    *,
    article: Article,
    created_by: str | None,
    assignee: str | None,
    created_at: datetime | None,
    updated_at: datetime | None,
) -> set[str]:
    """What an imported record says of its article: its people (members only) and its times.

    Returns the usernames that are not members of the project (their fields stay as imported:
    the importer as creator, nobody assigned).
    """
    names = {name for name in (created_by, assignee) if name}
    members = dict(
        Membership.objects.filter(project_id=article.project_id, user__username__in=names).values_list(
            "user__username", "user_id"
        )
    )
    values: dict[str, object] = {}
    if created_by in members:
        values["created_by_id"] = members[created_by]
    if assignee in members:
        values["assignee_id"] = members[assignee]
    if created_at is not None:
        values["created_at"] = created_at
    if updated_at is not None:
        values["updated_at"] = updated_at
    if values:
        # update(), not save(): auto_now would move updated_at to now again.
        Article.objects.filter(pk=article.pk).update(**values)
    return names - set(members)
