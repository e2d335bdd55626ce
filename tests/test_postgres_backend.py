"""The PostgreSQL backend splits Django's own batches under the protocol's parameter limit."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Article, Claim, Source
from tests.factories import ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the parameter limit of server-bound statements is PostgreSQL's")
    if not connection.settings_dict["OPTIONS"].get("server_side_binding"):
        pytest.skip("prepared statements are off (DATABASE_PREPARED_STATEMENTS=0)")


def test_batches_stay_under_the_protocol_limit(postgresql):
    from workbench.postgresql.base import MAX_PARAMETERS

    assert connection.ops.bulk_batch_size(["id"], list(range(100_000))) == MAX_PARAMETERS
    assert connection.ops.bulk_batch_size(["a", "b", "c"], list(range(100_000))) == MAX_PARAMETERS // 3


def test_deleting_an_article_splits_the_collectors_lists(postgresql, project, author, monkeypatch):
    # At the real limit this needs 65,536 claims (deleting such an article failed with
    # "number of parameters must be between 0 and 65535"); a limit of 100 shows the same split
    # (Django deletes rows by id 100 at a time whatever the limit).
    monkeypatch.setattr("workbench.postgresql.base.MAX_PARAMETERS", 100)
    article = ArticleFactory(project=project, text="Word " * 100)
    claims = ClaimFactory.create_batch(120, article=article, start=0, end=4, quote="Word", created_by=author)
    for claim in claims:
        Source.objects.create(claim=claim, url=f"https://example.org/{claim.pk}")
    with CaptureQueriesContext(connection) as queries:
        Article.objects.get(pk=article.pk).delete()
    assert not Claim.objects.filter(article_id=article.pk).exists()
    assert not Source.objects.filter(claim__in=[c.pk for c in claims]).exists()
    lists = [len(found.split(",")) for q in queries for found in re.findall(r" IN \(([^()]*)\)", q["sql"])]
    assert lists and max(lists) <= 100  # 120 claims, 120 sources: lists of at most 100
