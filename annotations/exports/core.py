"""The streaming core shared by every format: rows are read in chunks and written as they come.

Memory stays flat whatever the size of the project: articles are walked by keyset pagination on
their id (``id > last ORDER BY id LIMIT n``, an index range scan, unlike OFFSET), and each chunk
fetches its claims, sources and mentions in one query each. So the number of queries grows with
the number of chunks, not with the number of rows, except that a chunk with more than
``EXPORT_CHUNK_CLAIMS`` claims reads them a page at a time (by ids read once, in order), so that
one article with any number of claims is never held whole either: its JSONL line is written in
parts. Values come from ``.values()`` rather than
model instances: the export touches every row once and the instances would only cost time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, Func, IntegerField, OuterRef, QuerySet, TextField
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .. import bulkrows, gcpause
from ..models import Article, Capture, Claim, ClaimComment, EntityMention, Project, RunStatus, Source, spans_inside
from .encoding import SOURCE_FIELDS, iso

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

    from .params import ExportParams
    from .registry import ExportFormat

ARTICLE_FIELDS = (
    "id",
    "title",
    "url",
    "publisher",
    "published_at",
    "language",
    "fetched_at",
    "created_at",
    "updated_at",
)
ARTICLE_TEXT_FIELDS = ("text", "text_sha256")
CLAIM_FIELDS = (
    "id",
    "article_id",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "claim_text",
    "claimant",
    "claimant_type",
    "status",
    "verdict",
    "rationale",
    "anchor_status",
    "anchor_confidence",
    "previous_quote",
    "version",
    "corrected_at",
    "correction_note",
    "approved_at",
    "retracted_at",
    "retraction_note",
    "created_at",
    "updated_at",
)
COMMENT_FIELDS = ("claim_id", "body", "created_at")
# A capture as exports carry it: its hash and facts, never its text or body (the API and the
# capture page have those), so a chunk's memory does not grow with the pages its sources cite.
CAPTURE_FIELDS = (
    "id",
    "source_id",
    "url",
    "final_url",
    "fetched_at",
    "http_status",
    "content_type",
    "title",
    "sha256",
    "body_bytes",
    "excerpt_state",
    "excerpt_start",
    "excerpt_end",
)
# A claim's "same claim as" link, as (name in the row after "same_as_", path from the claim's link).
LINK_FIELDS = (
    ("claim_id", "earlier_claim_id"),
    ("check_url", "fact_check__url"),
    ("check_text", "fact_check__claim_reviewed"),
    ("check_publisher", "fact_check__publisher_name"),
    ("check_rating", "fact_check__rating_label"),
    ("check_verdict", "fact_check__verdict"),
    ("check_date", "fact_check__published_at"),
    # Whose they are: a link to another project's claim or library is not this project's to export.
    ("claim_project", "earlier_claim__article__project_id"),
    ("check_project", "fact_check__project_id"),
)
MENTION_FIELDS = ("id", "article_id", "start", "end", "text", "label", "model", "corrected_at", "original_label")

ProgressCallback = Callable[[int, int], None]
# The order of claims in every export: by article, then by place in its text.
CLAIM_ORDER = ("article_id", "start", "end", "id")
PIECE_CHARS = 256 * 1024


@dataclass(slots=True)
class Bundle:
    """One article with the claims the export keeps (each with ``sources`` and ``mentions``)."""

    article: dict[str, Any]
    claims: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    # Every sentence with its check-worthiness score, when the export asked (JSONL only).
    suggestions: list[dict[str, Any]] | None = None
    # An article with more claims than a page comes in parts: ``part`` counts them from 0,
    # ``last`` marks the one that ends it, which alone carries ``mentions`` and ``suggestions``.
    # Formats with a row per claim need not look; one row per article (JSONL) writes the row's
    # opening with part 0 and its close with the last.
    part: int = 0
    last: bool = True


@dataclass(slots=True)
class _Span:
    start: int
    end: int
    row: dict[str, Any]


@dataclass
class ExportContext:
    """What a format may need besides the rows: the project (with its publisher settings) and the parameters."""

    project: Project
    params: ExportParams


class ExportStream:
    """One export of one project in one format: counts, chunks of bundles and the encoded text."""

    def __init__(self, project: Project, params: ExportParams, *, chunk_articles: int | None = None) -> None:
        from .registry import get_format

        self.project = project
        self.params = params
        self.format: ExportFormat = get_format(params.format)
        self.chunk_articles = chunk_articles or settings.EXPORT_CHUNK_ARTICLES
        # Bounds the article text held at once in a JSONL chunk: a few huge articles must not
        # make one chunk hold hundreds of megabytes.
        self.chunk_chars = settings.EXPORT_CHUNK_CHARS
        # Bounds the claims held at once: one article may have any number of them.
        self.claim_page = max(1, settings.EXPORT_CHUNK_CLAIMS)
        self.context = ExportContext(project=project, params=params)
        self.row_count = 0
        self.claim_count = 0
        self.article_count = 0
        # The captures written, and a digest of their hashes in the order written (the manifest's).
        self.capture_count = 0
        self.capture_digest = hashlib.sha256()

    # --- querysets ---------------------------------------------------------------------------

    def _kept_claims(self, *, by_article: bool = False) -> QuerySet[Claim]:
        """Claims passing the filters and the format's own rules; callers scope them to articles."""
        return self.format.scope(Claim.objects.filter(self.params.claim_q(by_article=by_article)))

    def claims(self) -> QuerySet[Claim]:
        """The claims this export contains, within the project."""
        return self._kept_claims().filter(article__project=self.project)

    def articles(self) -> QuerySet[Article]:
        """The articles this export walks: those with a kept claim, or all of them for a full dump."""
        articles = Article.objects.filter(project=self.project)
        if self.params.article is not None:
            articles = articles.filter(pk=self.params.article)
        if not (self.format.includes_empty_articles and not self.params.narrows_claims):
            articles = articles.filter(Exists(self._kept_claims(by_article=True).filter(article_id=OuterRef("pk"))))
        return articles

    def count_claims(self) -> int:
        return self.claims().count()

    def count_articles(self) -> int:
        return self.articles().count()

    # --- chunks ------------------------------------------------------------------------------

    def _id_pages(self) -> Iterator[list[tuple[int, int]]]:
        """Pages of (article id, text length), by keyset on the primary key."""
        articles = self.articles().order_by("pk")
        columns: tuple[Any, ...] = ("pk", Length("text")) if self.format.needs_text else ("pk",)
        last = 0
        while True:
            page = list(articles.filter(pk__gt=last).values_list(*columns)[: self.chunk_articles])
            if not page:
                return
            yield [(row[0], row[1] if len(row) > 1 else 0) for row in page]
            last = page[-1][0]

    def _chunks(self) -> Iterator[list[int]]:
        for page in self._id_pages():
            chunk: list[int] = []
            chars = 0
            for article_id, length in page:
                if chunk and chars + length > self.chunk_chars:
                    yield chunk
                    chunk, chars = [], 0
                chunk.append(article_id)
                chars += length
            if chunk:
                yield chunk

    def _bundles(self, article_ids: list[int]) -> Iterator[list[Bundle]]:
        """The chunk's articles as bundles, in article order, in lists of at most ``claim_page`` claims.

        A chunk's claims are read a page at a time (the first by the claims' order, the rest by
        their ids, read once in that order), each page with its sources, captures and comments:
        an article with 100,000 claims is never held whole.
        Its claims then come in several parts, each a ``Bundle`` of the same article with ``part``
        counting from 0 and ``last`` on the one that ends it (possibly with no claims); an
        article whose claims fit one page is one bundle, as are those with none.
        """
        fmt = self.format
        article_fields = ARTICLE_FIELDS + (ARTICLE_TEXT_FIELDS if fmt.needs_text else ())
        articles = list(
            _values(
                Article.objects.filter(pk__in=article_ids).order_by("pk"),
                article_fields,
                created_by_name=_username("created_by"),
                assignee_name=_username("assignee"),
            )
        )
        mentions: dict[int, list[dict[str, Any]]] = {}
        spans_by_article: dict[int, list[_Span]] = {}
        if fmt.needs_mentions and self.params.include_mentions:
            for mention in (
                EntityMention.objects.filter(article_id__in=article_ids)
                .order_by("article_id", "start", "end", "id")
                .values(*MENTION_FIELDS)
            ):
                mentions.setdefault(mention["article_id"], []).append(mention)
                spans_by_article.setdefault(mention["article_id"], []).append(
                    _Span(mention["start"], mention["end"], mention)
                )
        scored: dict[int, list[dict[str, Any]]] | None = None
        if fmt.needs_mentions and self.params.include_suggestions:
            from ..suggestions import export_rows

            scored = export_rows(article_ids)

        def bundle(article: dict[str, Any], part: int, claims: list[dict[str, Any]], last: bool) -> Bundle:
            found = Bundle(article, claims, part=part, last=last)
            if last:
                found.mentions = mentions.get(article["id"], [])
                if scored is not None:
                    found.suggestions = scored.get(article["id"], [])
            return found

        # The ids come from this project's articles, so no join back to the project is needed.
        claims = self._kept_claims(by_article=True).filter(article_id__in=article_ids)
        waiting = iter(articles)  # articles not yet begun, in order
        current: dict[str, Any] | None = None  # the article whose claims the last page ended in
        part = 0
        later: Iterator[list[int]] | None = None  # the ids of the pages after the first, in order
        while True:
            page = self._claim_page(claims, next(later, []) if later is not None else None, spans_by_article)
            done: list[Bundle] = []
            by_article: dict[int, list[dict[str, Any]]] = {}
            for row in page:
                by_article.setdefault(row["article_id"], []).append(row)
            for article_id, rows in by_article.items():
                if current is not None and current["id"] == article_id:
                    done.append(bundle(current, part, rows, last=False))
                    part += 1
                    continue
                if current is not None:  # its claims ended with the last page
                    done.append(bundle(current, part, [], last=True))
                current = next(waiting)
                while current["id"] != article_id:
                    done.append(bundle(current, 0, [], last=True))  # an article with no kept claim
                    current = next(waiting)
                done.append(bundle(current, 0, rows, last=False))
                part = 1
            if len(page) < self.claim_page and later is None or not page:
                break
            if later is None:
                # More than a page: the order of the rest is read once, as ids, and each page
                # is read by them. Paging by a cursor on (start, end) would write a claim twice,
                # or not at all, if its span moved across the cursor between two pages, and
                # each page's sort would take in everything after it.
                written = {row["id"] for row in page}
                rest = [pk for pk in claims.order_by(*CLAIM_ORDER).values_list("id", flat=True) if pk not in written]
                later = (rest[n : n + self.claim_page] for n in range(0, len(rest), self.claim_page))
            # Whole articles go out at once; only the one the page ended in may go on.
            yield self._closed(done)
            del page, done, by_article, rows  # the next page is read with none of this one held
        if current is not None:
            done.append(bundle(current, part, [], last=True))
        done.extend(bundle(article, 0, [], last=True) for article in waiting)
        yield self._closed(done)

    @staticmethod
    def _closed(parts: list[Bundle]) -> list[Bundle]:
        """An article's parts, merged where they all fall in one list: one bundle, as before paging."""
        merged: list[Bundle] = []
        for part in parts:
            previous = merged[-1] if merged else None
            if previous is not None and previous.article is part.article and not previous.last:
                previous.claims.extend(part.claims)
                previous.last = part.last
                previous.mentions, previous.suggestions = part.mentions, part.suggestions
            else:
                merged.append(part)
        return merged

    def _claim_page(
        self, claims: QuerySet[Claim], keys: Sequence[int] | None, spans_by_article: dict[int, list[_Span]]
    ) -> list[dict[str, Any]]:
        """The first ``claim_page`` claims in the export's order (``keys`` None), or the claims
        ``keys`` in that order, with their sources, captures, comments and (when asked) mentions."""
        fmt = self.format
        if keys is not None:
            if not keys:
                return []
            claims = claims.filter(id__in=bulkrows.keys_subquery(keys))
        # The link rides on the claims' own query (LEFT JOINs): no query more per page.
        links = {f"same_as_{name}": _link_column(name, path) for name, path in LINK_FIELDS} if fmt.needs_links else {}
        project_id = self.project.pk
        page: list[dict[str, Any]] = []
        by_id: dict[int, dict[str, Any]] = {}
        ordered = claims.order_by(*CLAIM_ORDER)
        for row in _values(
            ordered if keys is not None else ordered[: self.claim_page],
            CLAIM_FIELDS,
            created_by_name=_username("created_by"),
            reviewed_by_name=_username("reviewed_by"),
            retracted_by_name=_username("retracted_by"),
            **links,
        ):
            if links and project_id not in (row["same_as_claim_project"], row["same_as_check_project"]):
                # Linked to a check of a project the export's readers may not belong to: what it
                # says stays there (the desk and the API hide it from non-members too).
                for name in links:
                    row[name] = None
            row["sources"] = []
            row["comments"] = []
            by_id[row["id"]] = row
            page.append(row)
        if not page:
            return page
        if keys is not None:
            # In the order read at the start: a span edited since then does not move its claim.
            place = {pk: n for n, pk in enumerate(keys)}
            page.sort(key=lambda row: place[row["id"]])
        # The claims' children by a subquery (no bound parameter per claim: a list of 5,000 ids
        # cost Django 0.15 s to prepare): the chunk's claims when they fit one page, otherwise
        # the page's ids as one parameter. A claim added since the claims were read may bring
        # children of its own: they are left out with it (``by_id.get``).
        whole = keys is None and len(page) < self.claim_page
        ids: Any = claims.values("id") if whole else bulkrows.keys_subquery(list(by_id))
        # Only the columns the format writes: each datetime costs a conversion per row.
        source_people = {"added_by_name": _username("added_by")} if fmt.source_fields == SOURCE_FIELDS else {}
        by_source: dict[int, dict[str, Any]] = {}
        if fmt.needs_sources:
            for source in _values(
                Source.objects.filter(claim_id__in=ids).order_by("claim_id", "id"),
                ("id", "claim_id", *fmt.source_fields),
                **source_people,
            ):
                owner = by_id.get(source["claim_id"])
                if owner is None:
                    continue
                owner["sources"].append(source)
                if fmt.needs_captures:
                    by_source[source["id"]] = source
                    source["captures"] = []
        if fmt.needs_captures and by_source:
            for capture in _values(
                Capture.objects.filter(source__claim_id__in=ids, status=RunStatus.DONE).order_by(
                    "source_id", "fetched_at", "id"
                ),
                CAPTURE_FIELDS,
            ):
                cited = by_source.get(capture["source_id"])
                if cited is not None:
                    cited["captures"].append(capture)
        if fmt.needs_comments:
            for comment in _values(
                ClaimComment.objects.filter(claim_id__in=ids).order_by("claim_id", "created_at", "id"),
                COMMENT_FIELDS,
                author_name=_username("author"),
            ):
                commented = by_id.get(comment["claim_id"])
                if commented is not None:
                    commented["comments"].append(comment)
        if fmt.needs_mentions and self.params.include_mentions:
            for claim in page:
                # The same rule as the desk uses (Claim.mentions_inside), so the export agrees with it.
                spans = spans_by_article.get(claim["article_id"], [])
                inside = spans_inside(_Span(claim["start"], claim["end"], claim), spans)
                claim["mentions"] = [span.row for span in inside]
        return page

    def bundle_chunks(self) -> Iterator[list[Bundle]]:
        for article_ids in self._chunks():
            parts = self._bundles(article_ids)
            while True:
                with gcpause.paused():  # while the rows of a page are made
                    bundles = next(parts, None)
                if bundles is None:
                    break
                yield bundles
                bundles.clear()  # before the next page is read: the caller may still hold the list

    # --- text --------------------------------------------------------------------------------

    def iter_text(self, on_progress: ProgressCallback | None = None) -> Iterator[str]:
        """The export as text, in the pieces of ``iter_bytes``."""
        for piece in self.iter_bytes(on_progress):
            yield piece.decode("utf-8")

    def iter_bytes(self, on_progress: ProgressCallback | None = None) -> Iterator[bytes]:
        """The export as UTF-8, in pieces of a few hundred KB. Counts are final once the iterator is done.

        ``on_progress(articles_done, articles_total)`` is called after every chunk; the total is
        only counted when a callback wants it. A format whose rows are already UTF-8
        (``row_bytes``: JSONL, orjson's own output) is never decoded and encoded again.
        """
        fmt = self.format
        encoded = fmt.encodes_rows
        separator: Any = fmt.separator.encode() if encoded else fmt.separator
        join: Any = b"".join if encoded else "".join
        per_article = fmt.unit == "article"
        total = self.count_articles() if on_progress else 0
        done = 0
        self.row_count = self.claim_count = self.article_count = self.capture_count = 0
        self.capture_digest = hashlib.sha256()
        yield fmt.header(self.context).encode()
        # Pieces of about PIECE_CHARS: few enough writes, yet a chunk's text is never held twice.
        pending: list[Any] = []
        pending_chars = 0
        for bundles in self.bundle_chunks():
            for bundle in bundles:
                with gcpause.paused():
                    rows = list(fmt.row_bytes(bundle, self.context) if encoded else fmt.rows(bundle, self.context))
                if per_article and not (bundle.part == 0 and bundle.last):
                    # One row in parts: no separator inside it, and counted once, with its end.
                    if separator and self.row_count and bundle.part == 0:
                        pending.append(separator)
                    pending.extend(rows)
                    pending_chars += sum(len(row) for row in rows)
                    self.row_count += bundle.last
                    rows = []
                for row in rows:
                    if separator and self.row_count:
                        pending.append(separator)
                    pending.append(row)
                    pending_chars += len(row)
                    self.row_count += 1
                self.claim_count += len(bundle.claims)
                if fmt.needs_captures:
                    for claim in bundle.claims:
                        for source in claim["sources"]:
                            for capture in source["captures"]:
                                self.capture_count += 1
                                self.capture_digest.update(f"{capture['sha256']}\n".encode())
                # Written: nothing of it is held while the next page is read.
                bundle.claims, rows = [], []
                if pending_chars >= PIECE_CHARS:
                    yield _encode(join(pending))
                    pending, pending_chars = [], 0
            ended = sum(bundle.last for bundle in bundles)
            self.article_count += ended
            done += ended
            if on_progress:
                on_progress(done, total)
        if pending:
            yield _encode(join(pending))
        yield fmt.footer(self.context, self.row_count).encode()


def _encode(piece: str | bytes) -> bytes:
    return piece if isinstance(piece, bytes) else piece.encode("utf-8")


@dataclass(frozen=True)
class WriteResult:
    row_count: int
    claim_count: int
    article_count: int
    sha256: str
    bytes: int
    capture_count: int = 0
    captures_sha256: str = ""


def write_export(
    stream: ExportStream, out: SupportsWrite[bytes], on_progress: ProgressCallback | None = None
) -> WriteResult:
    """Write the export to a binary file, hashing as it goes (the file is never read back)."""
    digest = hashlib.sha256()
    size = 0
    for data in stream.iter_bytes(on_progress):
        if not data:
            continue
        digest.update(data)
        out.write(data)
        size += len(data)
    return WriteResult(
        row_count=stream.row_count,
        claim_count=stream.claim_count,
        article_count=stream.article_count,
        sha256=digest.hexdigest(),
        bytes=size,
        capture_count=stream.capture_count,
        captures_sha256=stream.capture_digest.hexdigest(),
    )


DATETIME_FIELDS = frozenset(
    {
        "published_at",
        "fetched_at",
        "created_at",
        "updated_at",
        "accessed_at",
        "corrected_at",
        "approved_at",
        "retracted_at",
    }
)


def _values(queryset: QuerySet[Any], fields: tuple[str, ...], **expressions: Any) -> Iterator[dict[str, Any]]:
    """``queryset.values(...)`` with datetimes as ISO 8601 text, made by the database.

    Parsing a datetime into an aware object only to format it back into text was most of an
    export's time: psycopg's text loader for timestamptz costs microseconds a value (a third
    of a PostgreSQL export), and on SQLite Django parses the stored text. So the database
    writes the text (``IsoText``), and the rows are read from the cursor as tuples and zipped
    with their names, which is also cheaper than Django's dict per row.
    """
    if connection.vendor not in IsoText.VENDORS:
        for row in queryset.values(*fields, **expressions):
            for name in DATETIME_FIELDS.intersection(row):
                row[name] = iso(row[name])
            yield row
        return
    stamps = {name for name in fields if name in DATETIME_FIELDS}
    columns = {f"{name}{ISO_SUFFIX}": IsoText(name) for name in fields if name in stamps}
    odd = {ODD_COLUMN: _OddDatetimes(*sorted(stamps))} if stamps and connection.vendor == "sqlite" else {}
    query = queryset.values(*(name for name in fields if name not in stamps), **expressions, **columns, **odd).query
    # The names in the order of the row, as Django's own ValuesIterable reads them.
    selected = query.selected or [*query.extra_select, *query.values_select, *query.annotation_select]
    names = [name.removesuffix(ISO_SUFFIX) for name in selected]
    compiler = query.get_compiler(queryset.db)
    if not odd:
        for values in compiler.results_iter(chunk_size=ROWS_PER_FETCH):
            yield dict(zip(names, values, strict=True))
        return
    for values in compiler.results_iter(chunk_size=ROWS_PER_FETCH):
        row = dict(zip(names, values, strict=True))
        if row.pop(ODD_COLUMN):
            for name in stamps:
                row[name] = sqlite_iso(row[name])
        yield row


ISO_SUFFIX = "__iso"
ODD_COLUMN = "datetimes_odd__"
# Rows per fetch from the cursor: a chunk's rows are all kept anyway, so fewer calls is all it changes.
ROWS_PER_FETCH = 2000


class IsoText(Func):
    """A datetime column as ``datetime.isoformat()`` writes it in UTC, formatted by the database.

    SQLite: Django stores an aware datetime as naive UTC text, ``YYYY-MM-DD HH:MM:SS[.ffffff]``,
    which is reshaped; any other text is left as stored and flagged (``odd``) for ``sqlite_iso``.
    PostgreSQL: ``to_char`` in UTC, with the microseconds only when there are some, as Python.
    """

    VENDORS = frozenset({"sqlite", "postgresql"})
    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.source_expressions[0])
        reshaped = f"substr({column}, 1, 10) || 'T' || substr({column}, 12) || '+00:00'"
        sql = f"CASE WHEN {_djangos_shape(column)} THEN {reshaped} ELSE {column} END"
        return sql, tuple(params) * 5

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.source_expressions[0])
        sql = (
            f"to_char({column} AT TIME ZONE 'UTC', CASE WHEN {column} = date_trunc('second', {column}) "
            f"""THEN 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"' END)"""
        )
        return sql, tuple(params) * 3


def _link_column(name: str, path: str) -> Any:
    column = F(f"same_as__{path}")
    # A day as its ISO text from the database too, not a date object per claim (a converter call each).
    return DateText(column) if name == "check_date" and connection.vendor in IsoText.VENDORS else column


class DateText(Func):
    """A date column as ``date.isoformat()`` writes it: SQLite stores that very text."""

    output_field = TextField()
    template = "%(expressions)s"

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.source_expressions[0])
        return f"to_char({column}, 'YYYY-MM-DD')", tuple(params)


def _djangos_shape(column: str) -> str:
    """SQLite: the column holds a datetime as Django writes it, ``YYYY-MM-DD HH:MM:SS[.ffffff]``."""
    return f"(length({column}) IN (19, 26) AND substr({column}, 11, 1) = ' ')"


class _OddDatetimes(Func):
    """SQLite: whether one of the row's datetimes is not in Django's own shape (so Python reads it)."""

    output_field = IntegerField()

    def get_db_converters(self, connection: Any) -> list[Any]:
        return []  # SQLite hands over the integer itself: no converter call per row

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        checks: list[str] = []
        params: list[Any] = []
        for expression in self.source_expressions:
            column, more = compiler.compile(expression)
            checks.append(f"({column} IS NOT NULL AND NOT {_djangos_shape(column)})")
            params += [*more] * 3
        return f"({' OR '.join(checks)})", tuple(params)


def sqlite_iso(value: str | None) -> str | None:
    """A datetime stored by Django on SQLite (naive UTC text) as ISO 8601 with its offset."""
    if value is None:
        return None
    if len(value) in (19, 26) and value[10] == " ":
        return f"{value[:10]}T{value[11:]}+00:00"
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return iso(parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC))


def _username(relation: str) -> Any:
    from django.contrib.auth import get_user_model
    from django.db.models import F

    return F(f"{relation}__{get_user_model().USERNAME_FIELD}")
