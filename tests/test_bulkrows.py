"""bulkrows: the bulk validator gives full_clean's verdict and messages; insert writes what the ORM reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from annotations import bulkrows, limits
from annotations.models import Claim, Source

pytestmark = pytest.mark.django_db

CLAIM_FIELDS = (
    *("quote", "prefix", "suffix", "claim_text", "claimant", "claimant_type", "verdict", "rationale", "status"),
)
SOURCE_FIELDS = ("url", "title", "publisher", "excerpt", "stance", "archived_url", "accessed_at")

HOSTILE = [
    "",
    "ok",
    "x" * (limits.CLAIMANT_CHARS + 1),
    "x" * (limits.QUOTE_CHARS + 1),
    "nul\x00byte",
    "approved",
    "false",
    "bogus",
    "javascript:alert(1)",
    "data:text/html,hi",
    "https://example.org/a",
    "ftp://example.org/a",
    # Addresses on both sides of the URL fields' quick pattern: what it takes, Django must take.
    "http://example.org",
    "https://Example.ORG:8443/path?q=1#frag",
    "HTTPS://example.org/",
    "https://sub-domain.example.co.uk/a/b",
    "https://-lead.example.org/",
    "https://trail-.example.org/",
    "https://" + "a" * 64 + ".org/",
    "https://" + ("a" * 60 + ".") * 5 + "org/",
    "https://example.org./",
    "https://user:pass@example.org/",
    "https://127.0.0.1/",
    "https://[::1]/",
    "https://localhost/",
    "https://bücher.example/",
    "https://example.org/a b",
    "https://example.org/\ttab",
    "https://example.org:123456/",
    "https://example.1org/",
    "https://example.o/",
    "https://example.org/" + "p" * 2100,
    # Characters ASCII's \S takes and Django's (Unicode) \s refuses, and NUL.
    "https://example.org/a\u00a0b",
    "https://example.org/\u2028",
    "https://example.org/\u3000x",
    "https://example.org/\x85",
    "https://example.org/\x1f",
    "https://example.org/a\x00b",
    "not a date",
    "2026-01-02T03:04:05Z",
    None,
    17,
]


def _full_clean_errors(model, fields: tuple[str, ...], name: str, value) -> dict[str, list[str]]:
    instance = model(**{name: value})
    try:
        instance.clean_fields(exclude=[f.name for f in model._meta.fields if f.name not in fields])
    except TypeError:
        return {name: ["(full_clean crashes)"]}
    except ValidationError as error:
        return {k: v for k, v in error.message_dict.items() if k == name}
    return {}


@pytest.mark.parametrize(("model", "fields"), [(Claim, CLAIM_FIELDS), (Source, SOURCE_FIELDS)])
@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:20])
def test_the_bulk_cleaner_agrees_with_full_clean(model, fields, value):
    cleaner = bulkrows.Cleaner(model, fields)
    for name in fields:
        got = {k: v for k, v in cleaner.clean({name: value}).items() if k == name}
        expected = _full_clean_errors(model, fields, name, value)
        if expected == {name: ["(full_clean crashes)"]}:
            assert got and got[name], name  # where full_clean raises TypeError, a refusal here
        else:
            assert got == expected, name


def test_the_cleaner_converts_values_as_clean_does():
    values = {"url": "https://example.org/", "accessed_at": "2026-01-02T03:04:05Z"}
    assert bulkrows.Cleaner(Source, SOURCE_FIELDS).clean(values) == {}
    assert values["accessed_at"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_insert_returns_keys_in_order_and_fills_defaults(article, author):
    stamp = timezone.now() - timedelta(days=1)
    rows = [
        {
            "article_id": article.pk,
            "start": n,
            "end": n + 5,
            "quote": article.text[n : n + 5],
            "created_by_id": author.pk,
            "created_at": stamp,
            "updated_at": stamp,
        }
        for n in range(0, 50, 5)
    ]
    keys = bulkrows.insert(Claim, rows, returning=True)
    stored = {c.pk: c for c in Claim.objects.filter(pk__in=keys)}
    assert [stored[k].start for k in keys] == list(range(0, 50, 5))
    first = stored[keys[0]]
    # Columns the rows did not name take the model's defaults, as bulk_create would give them.
    assert (first.status, first.version, first.anchor_status, first.claimant_type) == (
        "unstarted",
        1,
        "anchored",
        "person",
    )
    assert first.created_at == stamp and first.approved_at is None


def test_insert_splits_statements_past_the_parameter_limit(article, author, monkeypatch):
    monkeypatch.setattr(bulkrows, "_MAX_PARAMETERS", 60)  # two or three rows a statement
    rows = [{"article_id": article.pk, "start": n, "end": n + 1, "quote": article.text[n]} for n in range(11)]
    keys = bulkrows.insert(Claim, rows, returning=True)
    assert len(keys) == len(set(keys)) == 11
    assert sorted(Claim.objects.filter(pk__in=keys).values_list("start", flat=True)) == list(range(11))


def test_a_large_insert_keeps_the_row_order_of_its_keys(article, author):
    # Past bulkrows._COPY_FROM rows PostgreSQL takes COPY with keys drawn first; SQLite a VALUES list.
    count = bulkrows._COPY_FROM * 3
    rows = [
        {"article_id": article.pk, "start": n, "end": n + 2, "quote": article.text[n : n + 2]} for n in range(count)
    ]
    keys = bulkrows.insert(Claim, rows, returning=True)
    starts = dict(Claim.objects.filter(pk__in=keys).values_list("pk", "start"))
    assert [starts[k] for k in keys] == list(range(count))


def test_insert_with_copy_writes_the_row_and_its_history_row_alike(article, author):
    """One statement on PostgreSQL, two on SQLite: the same rows either way."""
    from annotations import claims

    claim = claims.create(article=article, by=author, start=0, end=5, verdict="false", claimant="Someone")
    stored = Claim.objects.get(pk=claim.pk)
    history = list(stored.history.all())
    assert len(history) == 1
    (row,) = history
    for field in Claim._meta.concrete_fields:
        assert getattr(row, field.attname) == getattr(stored, field.attname), field.attname
    assert (row.history_type, row.history_user_id, row.history_change_reason) == ("+", author.pk, None)
    assert row.history_date == stored.created_at == stored.updated_at == claim.created_at


def test_insert_with_copy_is_all_or_nothing(article, author):
    """A copy that fails (its key taken) leaves no row behind, on both databases."""
    from django.db import IntegrityError, transaction

    from annotations.claims import _history_model

    history = _history_model(Claim)
    now = timezone.now()
    taken = history.objects.create(
        id=10**6, article_id=article.pk, start=0, end=1, created_at=now, updated_at=now, history_date=now
    ).history_id
    before = Claim.objects.count()
    row = {"article_id": article.pk, "start": 0, "end": 5, "quote": article.text[:5], "created_by_id": author.pk}
    with pytest.raises(IntegrityError), transaction.atomic():
        bulkrows.insert_with_copy(Claim, row, history, {"history_id": taken, "history_type": "+"})
    assert Claim.objects.count() == before


def test_insert_copies_copies_every_column_in_key_order(article, author):
    """The history rows of a bulk write, made by the database from the rows just written."""
    from django.db import transaction

    from annotations.claims import _history_model

    history = _history_model(Claim)
    now = timezone.now()
    rows = [
        {"article_id": article.pk, "start": n, "end": n + 4, "quote": article.text[n : n + 4],
         "created_by_id": author.pk, "claimant": f"Person {n}", "created_at": now, "updated_at": now}
        for n in (3, 0, 2)
    ]  # fmt: skip
    with transaction.atomic():
        keys = bulkrows.insert(Claim, rows, returning=True)
        other = bulkrows.insert(Claim, [rows[0]], returning=True)  # written, but not asked to be copied
        bulkrows.insert_copies(Claim, list(reversed(keys)), history, {"history_type": "+", "history_date": now,
                               "history_user_id": author.pk, "history_change_reason": "imported"})  # fmt: skip
    copies = list(history.objects.filter(id__in=keys + other).order_by("history_id"))
    assert [c.id for c in copies] == sorted(keys)
    for copy in copies:
        stored = Claim.objects.get(pk=copy.id)
        for field in Claim._meta.concrete_fields:
            assert getattr(copy, field.attname) == getattr(stored, field.attname), field.attname
        assert (copy.history_type, copy.history_user_id, copy.history_change_reason) == ("+", author.pk, "imported")
        assert copy.history_date == now
    bulkrows.insert_copies(Claim, [], history, {})  # nothing to copy: no statement
    assert history.objects.filter(id__in=keys).count() == 3


def test_insert_copies_maps_the_columns_it_is_told_and_returns_the_new_keys(article, author):
    """The captures of a bulk write: made from the sources' rows, the other columns their defaults."""
    from django.db import transaction

    from annotations import claims
    from annotations.models import Capture, RunStatus, Source

    claim = claims.create(article=article, by=author, start=0, end=4)
    rows = [
        {"claim_id": claim.pk, "url": f"https://e.example/{n}", "excerpt": f"excerpt {n}", "added_by_id": author.pk}
        for n in range(3)
    ]
    with transaction.atomic():
        sources = bulkrows.insert(Source, rows, returning=True)
        made = bulkrows.insert_copies(
            Source,
            list(reversed(sources[:2])),
            Capture,
            {"requested_by_id": author.pk},
            taken={"source_id": "id", "url": "url", "excerpt": "excerpt"},
            returning=True,
        )
    captures = list(Capture.objects.filter(pk__in=made).order_by("pk"))
    assert len(made) == 2 and [c.pk for c in captures] == sorted(made)
    assert [(c.source_id, c.url, c.excerpt) for c in captures] == [
        (sources[0], "https://e.example/0", "excerpt 0"),
        (sources[1], "https://e.example/1", "excerpt 1"),
    ]
    assert all(c.requested_by_id == author.pk and c.status == RunStatus.QUEUED and c.text == "" for c in captures)
    assert all(c.created_at is not None for c in captures)
    assert not Capture.objects.filter(source_id=sources[2]).exists()
