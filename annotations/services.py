"""Operations that span several models or reach outside the database (tasks, files)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from . import text as textlib
from .models import Article, Project

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
    except IntegrityError:
        # Lost a race with a concurrent import of the same text.
        raise DuplicateArticle(Article.objects.get(project=project, text_sha256=article.text_sha256)) from None
    return article
