"""The full-text indexes behind "what was checked before": created by migration 0011, kept by the database.

SQLite (the default): an FTS5 table per indexed text (claims' ``claim_text``, the fact-check
library's ``claim_reviewed``), filled and emptied by triggers on the table it indexes. Triggers,
not calls in ``claims.py``: a claim also disappears when its article or project is deleted (a
cascade no owner function sees), and an index that missed one row would match a claim that no
longer says what it said. The FTS tables keep their own copy of the text (not "external content"),
so removing a row needs only its id and can never corrupt the index.

Django's SQLite schema editor rebuilds a table (copy, drop, rename) for many later migrations of
it, and dropping the old table drops its triggers. ``ensure`` runs after every ``migrate``
(``apps.py``): it puts back any missing trigger and then rebuilds that index from the table.

PostgreSQL: no extra table. GIN indexes on ``to_tsvector('english', text)`` and GiST trigram
indexes (``pg_trgm``) on the columns themselves, always in step with every write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Porter stemming over Unicode words, accents folded: "taxes" finds "tax", "Bogotá" finds "Bogota".
SQLITE_TOKENIZER = "porter unicode61 remove_diacritics 2"
# The dictionary PostgreSQL's full-text search stems with (the articles are English so far).
PG_CONFIG = "english"


@dataclass(frozen=True)
class Indexed:
    table: str  # the indexed table
    column: str  # its text column
    fts: str  # the SQLite FTS5 table


CLAIMS = Indexed("annotations_claim", "claim_text", "annotations_claim_fts")
FACT_CHECKS = Indexed("annotations_factcheck", "claim_reviewed", "annotations_factcheck_fts")
ALL = (CLAIMS, FACT_CHECKS)


def _triggers(ix: Indexed) -> dict[str, str]:
    return {
        f"{ix.fts}_ai": (
            f"CREATE TRIGGER IF NOT EXISTS {ix.fts}_ai AFTER INSERT ON {ix.table} BEGIN "
            f"INSERT INTO {ix.fts}(rowid, text) VALUES (new.id, new.{ix.column}); END"
        ),
        f"{ix.fts}_ad": (
            f"CREATE TRIGGER IF NOT EXISTS {ix.fts}_ad AFTER DELETE ON {ix.table} BEGIN "
            f"DELETE FROM {ix.fts} WHERE rowid = old.id; END"
        ),
        f"{ix.fts}_au": (
            f"CREATE TRIGGER IF NOT EXISTS {ix.fts}_au AFTER UPDATE OF {ix.column} ON {ix.table} BEGIN "
            f"DELETE FROM {ix.fts} WHERE rowid = old.id; "
            f"INSERT INTO {ix.fts}(rowid, text) VALUES (new.id, new.{ix.column}); END"
        ),
    }


def _pg_indexes(ix: Indexed) -> list[str]:
    return [
        f"CREATE INDEX IF NOT EXISTS {ix.table}_{ix.column}_tsv ON {ix.table} "
        f"USING GIN (to_tsvector('{PG_CONFIG}', {ix.column}))",
        f"CREATE INDEX IF NOT EXISTS {ix.table}_{ix.column}_trgm ON {ix.table} USING GIST ({ix.column} gist_trgm_ops)",
    ]


def rebuild_sqlite(cursor: Any, ix: Indexed) -> None:
    cursor.execute(f"DELETE FROM {ix.fts}")
    cursor.execute(f"INSERT INTO {ix.fts}(rowid, text) SELECT id, {ix.column} FROM {ix.table}")


def install(connection: Any) -> None:
    """Create the indexes (migration 0011, forwards)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for ix in ALL:
                cursor.execute(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {ix.fts} USING fts5(text, tokenize='{SQLITE_TOKENIZER}')"
                )
                for sql in _triggers(ix).values():
                    cursor.execute(sql)
                rebuild_sqlite(cursor, ix)
        elif connection.vendor == "postgresql":
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            for ix in ALL:
                for sql in _pg_indexes(ix):
                    cursor.execute(sql)


def uninstall(connection: Any) -> None:
    """Drop them (migration 0011, backwards)."""
    with connection.cursor() as cursor:
        for ix in ALL:
            if connection.vendor == "sqlite":
                for name in _triggers(ix):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(f"DROP TABLE IF EXISTS {ix.fts}")
            elif connection.vendor == "postgresql":
                cursor.execute(f"DROP INDEX IF EXISTS {ix.table}_{ix.column}_tsv")
                cursor.execute(f"DROP INDEX IF EXISTS {ix.table}_{ix.column}_trgm")


def ensure(connection: Any) -> list[str]:
    """Put back triggers a table rebuild dropped, and rebuild those indexes; returns what was repaired."""
    if connection.vendor != "sqlite":
        return []
    repaired: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {row[0] for row in cursor.fetchall()}
        for ix in ALL:
            if ix.fts not in present or ix.table not in present:
                continue  # before migration 0011 (or after it was reversed)
            missing = [name for name in _triggers(ix) if name not in present]
            if missing:
                for name in missing:
                    cursor.execute(_triggers(ix)[name])
                rebuild_sqlite(cursor, ix)
                repaired.append(ix.fts)
    return repaired
