"""articles.create_many: create's rules for a whole batch, in a number of queries that does not grow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import articles
from annotations.models import Article, ExtractionRun, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _drafts(count: int, prefix: str = "Report") -> list[articles.Draft]:
    return [
        articles.Draft(title=f"{prefix} {n}", text=f"{prefix} {n}: the minister said so.  \r\n") for n in range(count)
    ]


def test_every_draft_becomes_a_normalised_article_with_a_queued_extraction(project, author):
    done = articles.create_many(project=project, drafts=_drafts(3), created_by=author)
    created = [d.article for d in done]
    assert all(a is not None and a.pk for a in created)
    stored = Article.objects.get(pk=created[0].pk)
    assert stored.text == "Report 0: the minister said so."  # as create() normalises it
    assert stored.text_sha256 == created[0].text_sha256 and stored.created_by == author
    assert ExtractionRun.objects.filter(article__in=[a.pk for a in created], status="queued").count() == 3


def test_duplicates_of_the_project_and_of_the_batch_are_named_not_created(project, author):
    first = articles.create(project=project, title="Old", text="Report 0: the minister said so.")
    drafts = [*_drafts(2), articles.Draft(title="Again", text="Report 1: the minister said so.")]
    done = articles.create_many(project=project, drafts=drafts, created_by=author)
    assert done[0].duplicate_of == first and done[0].article is None
    assert done[1].article is not None
    assert done[2].duplicate_of is done[1].article
    assert Article.objects.filter(project=project).count() == 2


def test_an_invalid_draft_names_itself_and_nothing_is_written(project, author):
    drafts = [*_drafts(2), articles.Draft(title="x" * 1000, text="Long title."), articles.Draft(title="E", text=" ")]
    with pytest.raises(articles.DraftInvalid) as refused:
        articles.create_many(project=project, drafts=drafts, created_by=author)
    assert refused.value.index == 2 and "title" in refused.value.error.message_dict
    assert not Article.objects.exists() and not ExtractionRun.objects.exists()
    with pytest.raises(ValidationError):
        articles.create(project=project, title="x" * 1000, text="Long title.")  # the same rule as one create


def test_members_named_by_a_draft_are_kept_and_others_reported(project, author):
    editor = MembershipFactory(project=project, user=UserFactory(username="ed"), role=Role.EDITOR).user
    stamp = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    draft = articles.Draft(
        title="T", text="Text.", created_by="ed", assignee="stranger", created_at=stamp, updated_at=stamp
    )
    (done,) = articles.create_many(project=project, drafts=[draft], created_by=author)
    stored = Article.objects.get(pk=done.article.pk)
    assert stored.created_by == editor and stored.assignee is None
    assert stored.created_at == stamp == stored.updated_at
    assert done.unknown_people == {"stranger"}


def test_the_number_of_queries_does_not_grow_with_the_batch(project, author):
    def queries(count: int, prefix: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            articles.create_many(project=project, drafts=_drafts(count, prefix), created_by=author)
        return len(captured)

    assert queries(5, "Small") == queries(200, "Large")


def test_an_import_costs_the_same_queries_for_five_articles_or_fifty(project, author):
    import json

    from annotations.imports import pipeline
    from annotations.imports.base import Metadata

    def queries(count: int, prefix: str) -> int:
        lines = "\n".join(
            json.dumps(
                {
                    "title": f"{prefix} {n}",
                    "text": f"{prefix} {n} said so.",
                    "claims": [
                        {
                            "start": 0,
                            "end": len(prefix),
                            "quote": prefix,
                            "sources": [{"url": f"https://example.org/{n}", "stance": "supports"}],
                            "comments": [{"body": "Checked.", "author": "author"}],
                        }
                    ],
                }
            )
            for n in range(count)
        )
        with CaptureQueriesContext(connection) as captured:
            report = pipeline.import_all_or_nothing(
                project=project,
                user=author,
                items=[pipeline.ImportInput.file(f"{prefix}.jsonl", lines.encode())],
                metadata=Metadata(),
            )
        assert len(report.created) == count
        return len(captured)

    assert queries(5, "Small") == queries(50, "Large")
