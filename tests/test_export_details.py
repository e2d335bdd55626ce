"""Smaller promises of the exports and the JSONL parser: IRIs, records, and the approval-date backfill."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from annotations.exports import ExportStream, parse_params
from annotations.imports.base import ImportProblem, Metadata
from annotations.imports.jsonl import JsonLinesParser
from tests.factories import ArticleFactory, ClaimFactory, SourceFactory
from tests.standards import w3c_must_failures

TEXT = "The minister said 20 ships were stuck in Odesa. Port officials disputed it."


def parse(line: dict) -> list:
    return JsonLinesParser().parse_text(json.dumps(line), source="x.jsonl", metadata=Metadata())


def test_it_collects_every_username_a_record_names(db):
    (record,) = parse({
        "title": "Ships", "text": TEXT, "created_by": "ann", "assignee": "bo",
        "claims": [{
            "start": 18, "end": 47, "quote": "20 ships were stuck in Odesa.", "created_by": "cy", "reviewed_by": "di",
            "sources": [{"url": "https://example.org/port", "added_by": "ed"}],
            "comments": [{"author": "fay", "body": "Checked.", "created_at": "2022-05-27T10:00:00+00:00"}],
        }],
    })  # fmt: skip
    assert record.usernames() == {"ann", "bo", "cy", "di", "ed", "fay"}
    assert record.claims[0].comments[0].created_at == datetime(2022, 5, 27, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "claim, mentions, message",
    [
        ({"mention_ids": [9]}, [], "claims[0].mention_ids: 9 is not the id of a mention on this line."),
        ({"version": 0}, [], "claims[0].version: must be at least 1."),
        ({"anchor_confidence": 2}, [], "claims[0].anchor_confidence: must be a number from 0 to 1."),
        ({"claimant_type": "robot"}, [], "claims[0].claimant_type: 'robot' is not one of"),
        ({"comments": [{"author": "x"}]}, [], "claims[0].comments[0].body: is missing or empty."),
        ({}, [{"id": 1, "start": 0, "end": 3, "label": "X"}] * 2, "mentions: two mentions have the same id."),
    ],
)
def test_it_names_the_field_of_a_bad_exported_value(db, claim, mentions, message):
    line = {"title": "Ships", "text": TEXT, "mentions": mentions,
            "claims": [{"start": 18, "end": 47, "quote": "20 ships were stuck in Odesa.", **claim}]}  # fmt: skip
    with pytest.raises(ImportProblem) as problem:
        parse(line)
    assert message in str(problem.value)


def test_it_gives_an_iri_target_as_a_uri(project):
    article = ArticleFactory(project=project, url="https://news.example/économie/é?q=ü", text=TEXT)
    claim = ClaimFactory(article=article, start=18, end=47, status="approved", verdict="false")
    SourceFactory(claim=claim, url="https://stats.example/données", stance="refutes")
    params = parse_params({"format": "webannotation-lines"}, project=project)
    (line,) = "".join(ExportStream(project, params).iter_text()).splitlines()
    annotation = json.loads(line)
    assert annotation["target"]["source"] == "https://news.example/%C3%A9conomie/%C3%A9?q=%C3%BC"
    assert annotation["body"][-1]["source"]["id"] == "https://stats.example/donn%C3%A9es"
    assert w3c_must_failures(annotation, "annotations/annotationMusts.test") == []


@pytest.mark.django_db(transaction=True)
def test_migration_0003_dates_each_approved_claim_by_its_first_approval():
    before = [("annotations", "0002_team_review_revisions_imports")]
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    project = apps.get_model("annotations", "Project").objects.create(name="Old", slug="old")
    article = apps.get_model("annotations", "Article").objects.create(
        project=project, title="Old", text=TEXT, text_sha256="0" * 64
    )
    Claim = apps.get_model("annotations", "Claim")  # noqa: N806 - a model class
    History = apps.get_model("annotations", "HistoricalClaim")  # noqa: N806
    first, later = datetime(2024, 1, 2, 3, 4, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
    fields = {"article_id": article.pk, "start": 18, "end": 47, "quote": TEXT[18:47], "version": 1}
    approved = Claim.objects.create(status="approved", **fields)
    reopened = Claim.objects.create(status="in_review", **fields)  # approved once, then sent back
    never = Claim.objects.create(status="approved", **fields)  # no history: imported approved
    submitted = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [(approved, "in_review", submitted), (approved, "approved", first), (approved, "approved", later),
            (reopened, "approved", first)]  # fmt: skip
    for claim, status, when in rows:
        History.objects.create(
            id=claim.pk, history_date=when, history_type="~", created_at=when, updated_at=when,
            **{**fields, "status": status},
        )  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.migrate(leaves)
    from annotations.models import Claim as CurrentClaim

    dates = dict(CurrentClaim.objects.values_list("pk", "approved_at"))
    assert dates[approved.pk] == first and dates[reopened.pk] == first
    assert dates[never.pk] == CurrentClaim.objects.get(pk=never.pk).updated_at


@pytest.mark.parametrize(
    "stamp",
    [datetime(2024, 5, 31, 12, 0, tzinfo=UTC), datetime(2024, 5, 31, 12, 0, 0, 120, tzinfo=UTC),
     datetime(999, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)],
)  # fmt: skip
def test_it_writes_each_datetime_as_python_does_though_the_database_formats_it(project, stamp):
    """The database writes the ISO text (no datetime object per value); it must be isoformat()'s."""
    from annotations.models import Claim, Source

    article = ArticleFactory(project=project, text=TEXT)
    claim = ClaimFactory(article=article, start=18, end=47, status="approved", verdict="false")
    source = SourceFactory(claim=claim, url="https://stats.example/a", stance="refutes")
    Claim.objects.filter(pk=claim.pk).update(created_at=stamp, approved_at=stamp, corrected_at=None)
    Source.objects.filter(pk=source.pk).update(accessed_at=stamp)
    params = parse_params({"format": "jsonl"}, project=project)
    (line,) = "".join(ExportStream(project, params).iter_text()).splitlines()
    (exported,) = json.loads(line)["claims"]
    assert exported["created_at"] == exported["approved_at"] == stamp.isoformat()
    assert exported["corrected_at"] is None
    assert exported["sources"][0]["accessed_at"] == stamp.isoformat()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="about text SQLite stores")
def test_it_reads_a_datetime_sqlite_holds_in_another_shape(project):
    """Django writes naive UTC text; anything else a row holds still comes out as ISO 8601."""
    article = ArticleFactory(project=project, text=TEXT)
    claim = ClaimFactory(article=article, start=18, end=47, status="approved", verdict="false")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE annotations_claim SET approved_at = %s, updated_at = %s WHERE id = %s",
            ["2024-05-31T12:00:00+02:00", "2024-05-31 12:00:00.5", claim.pk],
        )
    params = parse_params({"format": "jsonl"}, project=project)
    (line,) = "".join(ExportStream(project, params).iter_text()).splitlines()
    (exported,) = json.loads(line)["claims"]
    assert exported["approved_at"] == "2024-05-31T12:00:00+02:00"
    assert exported["updated_at"] == "2024-05-31T12:00:00.500000+00:00"
    assert exported["created_at"] == claim.created_at.isoformat()
