"""What was checked before: the approved claims and published fact checks most like a text.

Read-only; scoped to the asker: approved, unretracted claims of the projects they belong to, and
the fact-check libraries of those projects (``factchecks.py``).

How matches are found and ordered, the same on both databases:

1. **Candidates** come from the database's full-text index (``fulltext.py``) with the text's
   content words (lower-cased, stop words dropped, at most ``MAX_TERMS``) joined by OR: on SQLite
   FTS5 ranked by bm25 (Porter stems); on PostgreSQL ``to_tsvector('english')`` ranked by
   ``ts_rank``, plus the nearest texts by trigram distance (``pg_trgm``'s ``<->``), which also
   finds texts that share parts of words. Up to ``CANDIDATES`` from each source and index.
2. **Order**, in Python, so it is identical whatever the database: the score is the mean of
   (a) the cosine overlap of the two texts' content-word stems (suffixes stripped, cut to six
   letters, so "immigrants" meets "immigration") and (b) pg_trgm's trigram similarity of the two
   texts, computed here exactly as PostgreSQL defines it; rounded to 4 decimals. Ties: the newer
   check first (a claim's first approval, a fact check's publication date), then approved claims
   before library entries, then the lower id.
3. Matches scoring below ``SIMILAR_MIN_SCORE`` (setting) are not shown.

Candidates differ between databases (bm25 and ts_rank are different formulas), the order of the
candidates found by both never does; tests run the same expectations on both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.urls import reverse

from . import fulltext
from .models import Claim, ClaimStatus, FactCheck, Membership, Verdict

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

MAX_TERMS = 32
CANDIDATES = 50
_WORD = re.compile(r"[^\W_]+")
# Words that carry no claim: left out of the index query (with them, an OR query matches nearly
# every row and costs a scan) and out of the score.
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves said says say saying will would s t don re ve ll d m
    """.split()  # noqa: SIM905 - a paragraph of words reads better than 150 quoted strings
)
_SUFFIXES = ("ingly", "edly", "ings", "ing", "ies", "ied", "ed", "es", "s", "ly")
LABELS = dict(Verdict.choices)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def terms(text: str) -> list[str]:
    """The content words of a text, in order, each once: what the index is asked for."""
    seen: dict[str, None] = {}
    for word in words(text):
        if word not in STOP_WORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)[:MAX_TERMS]


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:6]


def _stems(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())}


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each alphanumeric word, lower-cased, padded with two spaces before and one after."""
    grams: set[str] = set()
    for word in words(text):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's ``similarity(a, b)``: shared trigrams over all trigrams of the two texts."""
    x, y = trigrams(a), trigrams(b)
    union = len(x | y)
    return len(x & y) / union if union else 0.0


def score(query: str, text: str) -> float:
    """The ordering score (module docstring, rule 2): 0 (nothing shared) to 1 (the same words)."""
    q, d = _stems(query), _stems(text)
    overlap = len(q & d) / math.sqrt(len(q) * len(d)) if q and d else 0.0
    return round((overlap + trigram_similarity(query, text)) / 2, 4)


@dataclass(frozen=True)
class Match:
    kind: str  # "claim" or "fact_check"
    id: int
    text: str
    score: float
    verdict: str
    verdict_label: str
    publisher: str
    date: date | None
    url: str  # the claim's review page here, or the published review
    claimant: str = ""
    project: str = ""  # the project's name (a claim's, or the library's)
    article: str = ""  # a claim's article title

    @property
    def is_claim(self) -> bool:
        return self.kind == "claim"


# --- candidates ------------------------------------------------------------------------------------


def _sqlite_candidates(ix: fulltext.Indexed, query_terms: list[str], scope: str, params: list[Any]) -> list[int]:
    match = " OR ".join(f'"{t}"' for t in query_terms)
    sql = (
        f"SELECT {ix.fts}.rowid FROM {ix.fts} JOIN {ix.table} t ON t.id = {ix.fts}.rowid {scope} "
        f"AND {ix.fts} MATCH %s ORDER BY bm25({ix.fts}), {ix.fts}.rowid LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, match, CANDIDATES])
        return [row[0] for row in cursor.fetchall()]


def _pg_candidates(ix: fulltext.Indexed, query_terms: list[str], text: str, scope: str, params: list[Any]) -> list[int]:
    config = fulltext.PG_CONFIG
    tsquery = " | ".join(query_terms)
    vector = f"to_tsvector('{config}', t.{ix.column})"
    ranked = (
        f"SELECT t.id FROM {ix.table} t {scope} AND {vector} @@ to_tsquery('{config}', %s) "
        f"ORDER BY ts_rank({vector}, to_tsquery('{config}', %s)) DESC, t.id LIMIT %s"
    )
    # Ordered by the distance alone, so the GiST index answers it (a second sort key would make it
    # a scan of every row); ties at the cut are settled by rule 2 among what comes back.
    nearest = f"SELECT t.id FROM {ix.table} t {scope} ORDER BY t.{ix.column} <-> %s LIMIT %s"
    with connection.cursor() as cursor:
        cursor.execute(ranked, [*params, tsquery, tsquery, CANDIDATES])
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(nearest, [*params, text, CANDIDATES])
        ids += [row[0] for row in cursor.fetchall()]
    return list(dict.fromkeys(ids))


def _candidates(ix: fulltext.Indexed, text: str, scope: str, params: list[Any]) -> list[int]:
    query_terms = terms(text)
    if not query_terms:
        return []
    if connection.vendor == "postgresql":
        return _pg_candidates(ix, query_terms, text, scope, params)
    return _sqlite_candidates(ix, query_terms, scope, params)


# --- matching --------------------------------------------------------------------------------------


def project_ids_of(user: AbstractBaseUser | AnonymousUser) -> list[int]:
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return []
    return list(Membership.objects.filter(user_id=user.pk).values_list("project_id", flat=True))


def _in(ids: Iterable[int]) -> tuple[str, list[int]]:
    values = list(ids) or [-1]
    return ", ".join(["%s"] * len(values)), values


def for_text(
    text: str,
    user: AbstractBaseUser | AnonymousUser,
    *,
    limit: int = 5,
    exclude_claims: Iterable[int] = (),
    project_ids: list[int] | None = None,
    min_score: float | None = None,
) -> list[Match]:
    """The ``limit`` best matches of ``text`` among what ``user`` may see, best first.

    A fixed number of queries whatever the sizes (the desk calls it for a new claim and can call
    it for each suggestion). ``project_ids``, when the caller already has the user's projects.
    """
    projects = project_ids if project_ids is not None else project_ids_of(user)
    if not projects or not text.strip():
        return []
    floor = settings.SIMILAR_MIN_SCORE if min_score is None else min_score
    marks, values = _in(projects)
    excluded = list(exclude_claims)
    claim_scope = (
        "JOIN annotations_article a ON a.id = t.article_id "
        f"WHERE t.status = %s AND t.retracted_at IS NULL AND a.project_id IN ({marks})"
    )
    claim_params: list[Any] = [ClaimStatus.APPROVED, *values]
    if excluded:
        claim_scope += f" AND t.id NOT IN ({', '.join(['%s'] * len(excluded))})"
        claim_params += excluded
    claim_ids = _candidates(fulltext.CLAIMS, text, claim_scope, claim_params)
    check_ids = _candidates(fulltext.FACT_CHECKS, text, f"WHERE t.project_id IN ({marks})", list(values))
    found: list[Match] = []
    if claim_ids:
        rows = Claim.objects.filter(pk__in=claim_ids).select_related("article__project")
        found += [_claim_match(c, score(text, c.claim_text)) for c in rows]
    if check_ids:
        checks = FactCheck.objects.filter(pk__in=check_ids).select_related("project")
        found += [_check_match(f, score(text, f.claim_reviewed)) for f in checks]
    found = [m for m in found if m.score >= floor]
    found.sort(key=order_key)
    return found[:limit]


def order_key(match: Match) -> tuple[float, int, int, int]:
    """Rule 2's order: score, then newer, then claims before library entries, then lower id."""
    day = match.date.toordinal() if match.date else 0
    return (-match.score, -day, 0 if match.is_claim else 1, match.id)


def for_claim(claim: Claim, user: AbstractBaseUser | AnonymousUser, *, limit: int = 5) -> list[Match]:
    """What was checked before that looks like this claim (never the claim itself)."""
    return for_text(claim.claim_text or claim.quote, user, limit=limit, exclude_claims=[claim.pk])


def _claim_match(claim: Claim, value: float) -> Match:
    project = claim.article.project
    return Match(
        kind="claim",
        id=claim.pk,
        text=claim.claim_text or claim.quote,
        score=value,
        verdict=claim.verdict,
        verdict_label=LABELS.get(claim.verdict, ""),
        publisher=project.publisher_name or project.name,
        date=claim.approved_at.date() if claim.approved_at else None,
        url=reverse("claim-workflow", args=[project.slug, claim.pk]),
        claimant=claim.claimant,
        project=project.name,
        article=claim.article.title,
    )


def _check_match(check: FactCheck, value: float) -> Match:
    return Match(
        kind="fact_check",
        id=check.pk,
        text=check.claim_reviewed,
        score=value,
        verdict=check.verdict,
        verdict_label=check.rating_label or LABELS.get(check.verdict, ""),
        publisher=check.publisher_name,
        date=check.published_at,
        url=check.url,
        claimant=check.claimant,
        project=check.project.name,
    )
