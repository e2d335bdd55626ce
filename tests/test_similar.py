"""What was checked before: matching approved claims and the fact-check library (annotations/similar.py).

The same expectations run on SQLite (FTS5) and PostgreSQL (tsvector + pg_trgm): run this file with
DATABASE_URL pointing at PostgreSQL to check the second backend.
"""

from __future__ import annotations

import pytest
from django.db import connection

from annotations import claims, factchecks, fulltext, similar
from annotations.factchecks import FactCheckRecord
from annotations.models import Article, Claim, ClaimStatus, FactCheck

pytestmark = pytest.mark.django_db

TEXT = (
    "The mayor said unemployment in the city fell to 4 percent last year.\n"
    "She added that crime rates doubled since 2015 according to police figures.\n"
    "Tax revenue from tourism reached 2 billion dollars.\n"
)


def _approved(article: Article, author, editor, sentence: str, verdict: str = "false") -> Claim:
    start = article.text.index(sentence)
    claim = claims.create(article=article, by=author, start=start, end=start + len(sentence), verdict=verdict)
    claims.add_source(claim=claim, by=author, url="https://example.org/evidence")
    claims.move(claim=claim, by=author, target=ClaimStatus.IN_REVIEW)
    return claims.move(claim=claim, by=editor, target=ClaimStatus.APPROVED)


@pytest.fixture
def checked(project, author, editor):
    from annotations import articles

    article = articles.create(project=project, title="Council", text=TEXT, created_by=author)
    return _approved(article, author, editor, "crime rates doubled since 2015 according to police figures")


def _library(project, *texts: str, by=None) -> None:
    records = [
        FactCheckRecord(
            claim_reviewed=t,
            url=f"https://checks.example.org/{n}",
            verdict="false",
            rating_label="False",
            publisher_name="Checkers",
        )
        for n, t in enumerate(texts)
    ]
    factchecks.import_records(project=project, by=by, records=records)


def test_it_finds_an_approved_claim_worded_differently(checked, author):
    matches = similar.for_text("Police figures show that crime has doubled since 2015", author)
    assert [(m.kind, m.id) for m in matches][:1] == [("claim", checked.pk)]
    assert matches[0].verdict == "false"
    assert matches[0].url.endswith(f"/claims/{checked.pk}/review/")


def test_it_finds_library_fact_checks_and_orders_by_score(project, author):
    _library(
        project,
        "Unemployment in the city fell to 4 percent",
        "The city's unemployment rate is the lowest in the state",
        "Tourism brought in 2 billion dollars of tax revenue",
    )
    matches = similar.for_text("Unemployment fell to 4 percent in the city last year", author)
    assert [m.text for m in matches][:2] == [
        "Unemployment in the city fell to 4 percent",
        "The city's unemployment rate is the lowest in the state",
    ]
    assert matches[0].publisher == "Checkers" and matches[0].verdict_label == "False"
    assert all(a.score >= b.score for a, b in zip(matches, matches[1:], strict=False))


def test_ties_put_the_newer_check_first_then_the_lower_id(project, author):
    from datetime import date

    records = [
        FactCheckRecord(claim_reviewed="Bridges collapsed in 2020", url="https://x.example/1"),
        FactCheckRecord(
            claim_reviewed="Bridges collapsed in 2020", url="https://x.example/2", published_at=date(2021, 1, 1)
        ),
        FactCheckRecord(claim_reviewed="Bridges collapsed in 2020", url="https://x.example/3"),
    ]
    factchecks.import_records(project=project, by=None, records=records)
    urls = [m.url for m in similar.for_text("Bridges collapsed in 2020", author)]
    assert urls == ["https://x.example/2", "https://x.example/1", "https://x.example/3"]


def test_unapproved_and_retracted_claims_and_other_projects_are_not_matched(project, author, editor, outsider):
    from annotations import articles

    article = articles.create(project=project, title="Council", text=TEXT, created_by=author)
    sentence = "Tax revenue from tourism reached 2 billion dollars"
    start = TEXT.index(sentence)
    claims.create(article=article, by=author, start=start, end=start + len(sentence))  # not approved
    approved = _approved(article, author, editor, "unemployment in the city fell to 4 percent last year")
    claims.retract(claim=approved, by=editor, note="wrong")
    assert similar.for_text(sentence, author) == []
    assert similar.for_text("unemployment in the city fell to 4 percent", author) == []
    _library(project, sentence)
    assert similar.for_text(sentence, outsider) == []
    assert [m.kind for m in similar.for_text(sentence, author)] == ["fact_check"]


def test_a_claim_never_matches_itself(checked, author):
    assert all(m.id != checked.pk or m.kind != "claim" for m in similar.for_claim(checked, author))


def _indexed(table: fulltext.Indexed, text: str) -> list[int]:
    """Rows the full-text index finds for a word: the index itself, not the table."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"SELECT rowid FROM {table.fts} WHERE {table.fts} MATCH %s ORDER BY rowid", [text])
        else:
            cursor.execute(
                f"SELECT id FROM {table.table} WHERE to_tsvector('english', {table.column}) "
                "@@ plainto_tsquery('english', %s) ORDER BY id",
                [text],
            )
        return [row[0] for row in cursor.fetchall()]


def test_the_index_follows_every_claim_door(project, author, editor):
    from annotations import articles
    from annotations.imports.base import ClaimRecord

    article = articles.create(project=project, title="Council", text=TEXT, created_by=author)
    one = claims.create(article=article, by=author, start=0, end=10, claim_text="zebras outnumber people")
    assert _indexed(fulltext.CLAIMS, "zebras") == [one.pk]
    claims.update(claim=one, by=author, expected_version=one.version, claim_text="giraffes outnumber people")
    assert _indexed(fulltext.CLAIMS, "zebras") == []
    assert _indexed(fulltext.CLAIMS, "giraffes") == [one.pk]
    many = claims.create_many(
        article=article, by=author, items=[{"start": 11, "end": 20, "claim_text": "okapis are rare"}]
    )
    assert _indexed(fulltext.CLAIMS, "okapis") == [many[0]]  # create_many returns ids
    imported = claims.import_claims(
        article=article, by=author, records=[ClaimRecord(start=21, end=30, claim_text="lemurs sing")]
    )
    assert _indexed(fulltext.CLAIMS, "lemurs") == [imported.claims[0]]  # ids too
    claims.delete(claim=one, by=author)
    assert _indexed(fulltext.CLAIMS, "giraffes") == []
    # A cascade no owner function sees: the article goes, and its claims leave the index with it.
    article.delete()
    assert _indexed(fulltext.CLAIMS, "okapis") == [] and _indexed(fulltext.CLAIMS, "lemurs") == []


def test_the_library_index_follows_imports_and_updates(project):
    _library(project, "Penguins can fly")
    assert len(_indexed(fulltext.FACT_CHECKS, "penguins")) == 1
    # The same review (same URL) imported again with new words: updated in place, index too.
    _library(project, "Puffins can fly")
    assert _indexed(fulltext.FACT_CHECKS, "penguins") == []
    assert _indexed(fulltext.FACT_CHECKS, "puffins") == list(FactCheck.objects.values_list("pk", flat=True))


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite triggers only")
def test_a_table_rebuild_that_dropped_the_triggers_is_repaired(checked):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER annotations_claim_fts_ai")
        cursor.execute("DELETE FROM annotations_claim_fts")
    assert fulltext.ensure(connection) == ["annotations_claim_fts"]
    assert _indexed(fulltext.CLAIMS, "crime") == [checked.pk]
    assert fulltext.ensure(connection) == []


def test_scores_are_the_same_formula_as_pg_trgm():
    assert similar.trigram_similarity("word", "two words") == pytest.approx(0.36363637, abs=1e-6)
    pair = ["Crime doubled since 2015", "crime rates doubled, police say"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT similarity(%s, %s)", pair)
            (expected,) = cursor.fetchone()
        assert similar.trigram_similarity(*pair) == pytest.approx(expected, abs=1e-6)


def test_matching_costs_the_same_queries_for_one_match_or_many(project, author, django_assert_num_queries):
    from django.db import connection as conn

    _library(project, "Penguins can fly over the sea")
    projects = similar.project_ids_of(author)
    # Index queries for claims and the library (two each on PostgreSQL: full text, trigram; one each
    # on SQLite), then one fetch of the library rows found (no claim matched: no claim fetch).
    expected = 5 if conn.vendor == "postgresql" else 3
    with django_assert_num_queries(expected):
        assert len(similar.for_text("penguins fly", author, project_ids=projects)) == 1
    _library(project, *[f"Penguins can fly over sea number {n}" for n in range(2, 30)])
    with django_assert_num_queries(expected):
        assert len(similar.for_text("penguins fly", author, project_ids=projects, limit=20)) == 20
