"""Searching claims across a person's projects (read-only): by words, by entity, and the entity pages.

The filters chain onto a scoped queryset (``Claim.objects.visible_to(user)``), so the API
(``/api/v1/claims/?q=…&entity=…``), the search page and the entity pages all share one scope.
Words are looked up in the same full-text index as the matcher (``fulltext.py``): every word
must be there (Porter-stemmed on SQLite, the English dictionary on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from . import fulltext
from .models import Claim, EntityMention
from .similar import words

MAX_WORDS = 32


def with_words(claims: QuerySet[Claim], query: str) -> QuerySet[Claim]:
    found = words(query)[:MAX_WORDS]
    if not found:
        return claims
    ix = fulltext.CLAIMS
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT id FROM {ix.table} WHERE to_tsvector('{fulltext.PG_CONFIG}', {ix.column}) "
            f"@@ plainto_tsquery('{fulltext.PG_CONFIG}', %s)"
        )
        return claims.filter(pk__in=RawSQL(sql, [" ".join(found)]))
    match = " AND ".join(f'"{w}"' for w in found)
    return claims.filter(pk__in=RawSQL(f"SELECT rowid FROM {ix.fts} WHERE {ix.fts} MATCH %s", [match]))


def mentions_of(name: str, label: str = "") -> QuerySet[EntityMention]:
    """Shown mentions (a person's removals left out) of an entity: its text, any case, and label."""
    mentions = EntityMention.objects.annotate(lower_text=Lower("text")).filter(lower_text=name.strip().lower())
    return mentions.filter(label=label) if label else mentions


def mentioning(claims: QuerySet[Claim], name: str, label: str = "") -> QuerySet[Claim]:
    """Claims whose span holds a mention of the entity (the desk's rule: inside the claim's span)."""
    inside = mentions_of(name, label).filter(
        article_id=OuterRef("article_id"), start__gte=OuterRef("start"), end__lte=OuterRef("end")
    )
    return claims.filter(Exists(inside))


@dataclass(frozen=True)
class Entity:
    name: str
    label: str
    mentions: int


def entity_in(article_ids: Any, name: str, label: str) -> Entity | None:
    """The entity as found in these articles (its most common spelling), or None when it is not there."""
    rows = (
        mentions_of(name, label)
        .filter(article_id__in=article_ids)
        .values("text", "label")
        .annotate(n=Count("id"))
        .order_by("-n", "text", "label")
    )
    if not rows:
        return None
    total = sum(row["n"] for row in rows)
    return Entity(name=rows[0]["text"], label=label or rows[0]["label"], mentions=total)
