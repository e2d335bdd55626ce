"""Validation and INSERTs for bulk writes of thousands of rows, with the models' own rules.

Not an owner of any write: claims.py (and the importers' owners) decide what is written and
check the rules; this module only makes two mechanical steps cheap enough that 7,000 claims
with their sources and history rows fit in a fraction of a second.

- ``Cleaner`` applies each model field's validation (``Field.clean``: type, choices, blank,
  length, validators) as ``full_clean`` would, but decides the common cases (a string within
  its length, a listed choice) with one comparison, decided once per field; anything else, and
  every value that fails the quick test, goes through the field's own ``clean``, so the result
  and the error messages are Django's. ``full_clean`` costs ~60 µs a claim.
- ``insert`` writes rows with multi-row ``INSERT ... VALUES (...), (...)`` statements, each
  column's conversion to its database value chosen once. Django's ``bulk_create`` prepares
  every value through its SQL compiler (~2 µs each, 30 columns a history row), which was two
  thirds of a bulk write.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import connections, models, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .models import HTTP_URL

# Rows x columns per statement: under SQLite's default variable limit (32,766) and
# PostgreSQL's protocol limit (65,535 parameters).
_MAX_PARAMETERS = 30_000
_STRING_FIELDS = (models.CharField, models.TextField)
# From this many rows PostgreSQL gets COPY; fewer go in one INSERT, seen like any other statement.
_COPY_FROM = 50
# Host names of plain labels, an optional port and a path of printable ASCII (no space, no NUL,
# no Unicode space that Django's ``\s`` would refuse): a strict subset of
# what URLValidator(schemes=["http", "https"]) accepts (its regex also takes IP addresses,
# user:password@, IDNs, "localhost" and a trailing dot; those go through it).
_PLAIN_HTTP_URL = re.compile(
    r"https?://((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})(?::[0-9]{1,5})?(?:[/?#][!-~]*)?\Z",
    re.ASCII,
)
_MAX_HOSTNAME = 253  # as URLValidator: RFC 1034
# Columns whose Python value is already what the driver takes: no per-value conversion.
_PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.FloatField, models.BooleanField)


def _quick_check(field: models.Field[Any, Any]) -> Callable[[Any], bool] | None:
    """A test that passes only values the field's ``clean`` would accept unchanged, or None.

    None means the field always goes through ``clean`` (dates, numbers, URLs: values to
    convert or validators beyond a length).
    """
    if not isinstance(field, _STRING_FIELDS):
        return None
    limit = field.max_length
    blank = field.blank
    others = [v for v in field.validators if not isinstance(v, (MaxLengthValidator, ProhibitNullCharactersValidator))]
    if others == [HTTP_URL] and not field.choices and limit is not None:
        # Django's URL check is the dearest of a bulk write of sources (~35 µs each); a plain
        # http(s) address it is sure to accept passes this narrower pattern in ~2 µs.
        return lambda value: (
            isinstance(value, str)
            and len(value) <= min(limit, HTTP_URL.max_length)
            and (match := _PLAIN_HTTP_URL.match(value)) is not None
            and len(match[1]) <= _MAX_HOSTNAME
        )
    if others:
        return None
    if field.choices:
        allowed = {str(value) for value, _label in field.flatchoices}
        # isinstance first: a list or dict from JSON is not hashable, and is no choice anyway.
        return lambda value: isinstance(value, str) and (value in allowed or (blank and value == ""))
    if limit is None:
        return lambda value: isinstance(value, str) and (blank or value != "") and "\x00" not in value
    return lambda value: (
        isinstance(value, str) and len(value) <= limit and (blank or value != "") and "\x00" not in value
    )


class Cleaner:
    """``full_clean``'s field validation for the named fields of ``model``, for many rows."""

    def __init__(self, model: type[models.Model], names: Iterable[str]) -> None:
        self.checks: list[tuple[models.Field[Any, Any], str, Callable[[Any], bool] | None]] = []
        for name in names:
            field = model._meta.get_field(name)
            assert isinstance(field, models.Field), f"{name} is not a column of {model.__name__}"
            self.checks.append((field, name, _quick_check(field)))

    def clean(self, values: dict[str, Any]) -> dict[str, list[str]]:
        """Clean ``values`` in place (converted as ``clean`` converts them); errors by field."""
        errors: dict[str, list[str]] = {}
        for field, name, quick in self.checks:
            value = values[name] if name in values else field.get_default()
            if quick is not None and quick(value):
                continue
            if field.blank and value in field.empty_values:
                continue  # as full_clean: an empty value of a field that may be blank is not validated
            try:
                values[name] = field.clean(value, None)
            except ValidationError as error:
                errors[name] = list(error.messages)
            except (TypeError, ValueError):
                # JSON of the wrong type (a number for a date): Django's parsers raise rather
                # than refuse; here it is the field's own "invalid" message.
                message = field.error_messages.get("invalid", "Enter a valid value.")
                errors[name] = [str(message) % {"value": value} if "%(value)" in str(message) else str(message)]
        return errors


def _parameter_limit(alias: str) -> int:
    connection = connections[alias]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        return min(_MAX_PARAMETERS, raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return _MAX_PARAMETERS


Column = tuple["models.Field[Any, Any]", str, Any, bool]


def _row_builder(columns: list[Column], connection: Any) -> Callable[[Mapping[str, Any]], list[Any]]:
    """A function from a row (dict by attname) to its database values in ``columns`` order.

    A missing column takes its prepared default; plain columns are taken as they are; the
    others are converted by their field, the last conversion kept per column, since the rows
    written together share their timestamps.
    """
    names = [name for _field, name, _missing, _plain in columns]
    missing = [value for _field, _name, value, _plain in columns]
    converted = [(number, field, name) for number, (field, name, _m, plain) in enumerate(columns) if not plain]
    last: list[tuple[Any, Any]] = [(None, None)] * len(columns)

    def db_row(row: Mapping[str, Any]) -> list[Any]:
        values = [row.get(name, default) for name, default in zip(names, missing, strict=True)]
        for number, field, name in converted:
            value = values[number]
            if value is None or name not in row:
                continue
            seen, prepared = last[number]
            if seen is not value:
                prepared = field.get_db_prep_save(value, connection)
                last[number] = (value, prepared)
            values[number] = prepared
        return values

    return db_row


def _columns(model: type[models.Model], first: Mapping[str, Any], connection: Any) -> list[Column]:
    """The columns to write (the key only when the rows bring it), each with its missing value."""
    pk = model._meta.pk
    assert pk is not None
    layout = _layout(model, pk.attname in first, connection.alias)
    if not any(missing is _NOW or missing is _CALL for _f, _n, missing, _p in layout):
        return list(layout)
    now = timezone.now()
    columns: list[Column] = []
    for field, name, missing, plain in layout:
        if missing is _NOW:
            missing = field.get_db_prep_save(now, connection)
        elif missing is _CALL:
            missing = field.get_db_prep_save(field.get_default(), connection)
        columns.append((field, name, missing, plain))
    return columns


# What a missing column gets, when it is not the same every time: the time of the write (an
# auto_now(_add) stamp), or a call of the field's default.
_NOW, _CALL = object(), object()


@functools.cache
def _layout(model: type[models.Model], with_key: bool, alias: str) -> tuple[Column, ...]:
    """The columns of ``model`` and their missing values, worked out once: a single-row write
    (a claim POST) spent a tenth of its time preparing the same thirty defaults again."""
    connection = connections[alias]
    columns: list[Column] = []
    for field in model._meta.concrete_fields:
        if field.primary_key and not with_key:
            continue
        missing: Any
        if isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add):
            missing = _NOW
        elif field.has_default() and callable(field.default):
            missing = _CALL
        else:
            missing = field.get_db_prep_save(field.get_default(), connection)
        target = field.target_field if isinstance(field, models.ForeignKey) else field
        columns.append((field, field.attname, missing, isinstance(target, _PLAIN_FIELDS)))
    return tuple(columns)


@functools.cache
def _insert_sql(model: type[models.Model], with_key: bool, alias: str, mark: str) -> tuple[str, str]:
    """``INSERT INTO table (columns) `` and one row's ``(?, ?, ...)`` for ``_layout``'s columns,
    written once: a claim POST built them, quoting thirty names, for each of its two INSERTs."""
    quote = connections[alias].ops.quote_name
    columns = _layout(model, with_key, alias)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(str(f.column)) for f, *_ in columns)}) "
    return head, "(" + ", ".join([mark] * len(columns)) + ")"


@functools.cache
def _insert_with_copy_sql(
    model: type[models.Model], copy_model: type[models.Model], with_key: bool, extra: frozenset[str], alias: str
) -> str:
    """``insert_with_copy``'s statement on PostgreSQL, written once per shape (its parameters
    are the row's values, then ``_copy_columns``'): a claim POST quoted ninety names for it."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    columns = _layout(model, with_key, alias)
    targets, selected, _fill = _copy_plan(model, copy_model, extra, alias, "new.", None)
    names = ", ".join(quote(str(f.column)) for f, *_ in columns)
    return (
        f"WITH new AS (INSERT INTO {quote(model._meta.db_table)} ({names}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING *) "
        f"INSERT INTO {quote(copy_model._meta.db_table)} ({targets}) SELECT {selected} FROM new "
        f"RETURNING {quote(str(pk.column))}"
    )


def insert_with_copy(
    model: type[models.Model],
    row: Mapping[str, Any],
    copy_model: type[models.Model],
    extra: Mapping[str, Any],
    *,
    using: str = "default",
) -> Any:
    """INSERT one new row, and a copy of it with ``extra`` into ``copy_model``; return its key.

    The copy is a history row: ``copy_model`` has a column of the same name for each of
    ``model``'s (its own key aside), the new row's key included. On PostgreSQL both go in one
    statement (a data-modifying WITH), atomic without a transaction of its own: one round trip
    instead of four (BEGIN, two INSERTs, COMMIT), a third of a claim POST's time there. SQLite
    gets the two INSERTs in a transaction, where a statement costs no round trip.
    """
    connection = connections[using]
    pk = model._meta.pk
    assert pk is not None
    if connection.vendor != "postgresql":
        with transaction.atomic(using=using):
            (key,) = insert(model, [row], returning=True, using=using)
            insert(copy_model, [{**row, pk.attname: key, **extra}], using=using)
        return key
    columns = _columns(model, row, connection)
    sql = _insert_with_copy_sql(model, copy_model, pk.attname in row, frozenset(extra), using)
    _targets, _selected, extra_params = _copy_columns(model, copy_model, extra, connection, "new.")
    params = _row_builder(columns, connection)(row) + extra_params
    # Outside a transaction the statement is atomic by itself; inside one it gets a savepoint,
    # as the two INSERTs do on SQLite, so a refused row leaves the caller's transaction usable.
    savepoint = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(sql, params)
        (key,) = cursor.fetchone()
    return key


@functools.cache
def _copy_plan(
    model: type[models.Model],
    copy_model: type[models.Model],
    extra: frozenset[str],
    alias: str,
    prefix: str,
    taken: tuple[tuple[str, str], ...] | None,
) -> tuple[str, str, tuple[tuple[models.Field[Any, Any], str, Any], ...]]:
    """``_copy_columns``' SQL, worked out once per shape: the targets, the selected columns, and
    the columns given as parameters, each with its field and missing value (see ``_layout``)."""
    quote = connections[alias].ops.quote_name
    by_name = {field.attname: field.column for field in model._meta.concrete_fields}
    copied = by_name if taken is None else {name: by_name[source] for name, source in taken}
    copy_pk = copy_model._meta.pk
    assert copy_pk is not None
    targets, selected, fill = [], [], []
    for field, name, missing, _plain in _layout(copy_model, copy_pk.attname in {*copied, *extra}, alias):
        targets.append(quote(str(field.column)))
        if name in copied:
            selected.append(prefix + quote(str(copied[name])))
        else:
            selected.append("%s")
            fill.append((field, name, missing))
    return ", ".join(targets), ", ".join(selected), tuple(fill)


def _copy_columns(
    model: type[models.Model],
    copy_model: type[models.Model],
    extra: Mapping[str, Any],
    connection: Any,
    prefix: str,
    taken: Mapping[str, str] | None = None,
) -> tuple[str, str, list[Any]]:
    """For an INSERT INTO ``copy_model`` (targets) SELECT (selected) of ``model``'s rows: each
    column of the same name taken from the row (``prefix`` its table), or only the columns
    ``taken`` names (``copy_model``'s attname: ``model``'s), the others from ``extra`` or their
    default, as parameters."""
    shape = None if taken is None else tuple(sorted(taken.items()))
    targets, selected, fill = _copy_plan(model, copy_model, frozenset(extra), connection.alias, prefix, shape)
    params: list[Any] = []
    now = None
    for field, name, missing in fill:
        if name in extra:
            value = extra[name]
            if value is not None:
                value = field.get_db_prep_save(value, connection)
        elif missing is _NOW:
            now = now or timezone.now()
            value = field.get_db_prep_save(now, connection)
        elif missing is _CALL:
            value = field.get_db_prep_save(field.get_default(), connection)
        else:
            value = missing
        params.append(value)
    return targets, selected, params


def insert_copies(
    model: type[models.Model],
    keys: Sequence[Any],
    copy_model: type[models.Model],
    extra: Mapping[str, Any],
    *,
    taken: Mapping[str, str] | None = None,
    returning: bool = False,
    using: str = "default",
) -> list[Any]:
    """A copy of each of ``model``'s rows ``keys``, with ``extra``, into ``copy_model`` (as
    ``insert_with_copy``'s) in one INSERT ... SELECT: the rows never leave the database, where
    sending 7,000 history rows back was a fifth of a bulk write. Call inside the transaction
    that wrote the rows; copies are made in key order. ``taken`` limits what is copied to the
    columns it maps (see ``_copy_columns``); ``returning`` returns the copies' keys, in no
    particular order (neither database promises one for RETURNING).
    """
    if not keys:
        return []
    connection = connections[using]
    pk = model._meta.pk
    copy_pk = copy_model._meta.pk
    assert pk is not None and copy_pk is not None
    quote = connection.ops.quote_name
    targets, selected, params = _copy_columns(model, copy_model, extra, connection, "", taken)
    table, key = quote(model._meta.db_table), quote(str(pk.column))
    # One parameter for all the keys: an array on PostgreSQL, a JSON list SQLite unpacks.
    keys_param: list[Any] | str
    if connection.vendor == "postgresql":
        wanted, keys_param = f"{key} = ANY(%s)", list(keys)
    else:
        wanted, keys_param = f"{key} IN (SELECT value FROM json_each(%s))", json.dumps(list(keys))
    tail = f" RETURNING {quote(str(copy_pk.column))}" if returning else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(copy_model._meta.db_table)} ({targets}) "
            f"SELECT {selected} FROM {table} WHERE {wanted} ORDER BY {key}{tail}",
            [*params, keys_param],
        )
        return [copied for (copied,) in cursor.fetchall()] if returning else []


def keys_subquery(keys: Sequence[int], using: str = "default") -> RawSQL:
    """``keys`` as a subquery for ``field__in``, in one bound parameter: an array PostgreSQL
    unnests, a JSON list SQLite unpacks. Django binds a list with a parameter per key, which
    cost 0.15 s to prepare for 5,000 keys and meets the databases' parameter limits."""
    if connections[using].vendor == "postgresql":
        return RawSQL("SELECT UNNEST(%s::bigint[])", [list(keys)])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(list(keys))])


def streams(using: str = "default") -> bool:
    """Whether ``insert`` sends the rows of an iterator as they come (PostgreSQL's COPY), so
    that the database files each row while the caller produces the next; elsewhere it collects
    them first."""
    return connections[using].vendor == "postgresql"


def insert(
    model: type[models.Model],
    rows: Iterable[Mapping[str, Any]],
    *,
    returning: bool = False,
    expected: int | None = None,
    using: str = "default",
) -> list[Any]:
    """INSERT ``rows`` (dicts by attname; missing columns take the field's default) into ``model``.

    Returns the new primary keys in row order when ``returning`` (``INSERT ... RETURNING``,
    whose order both SQLite and PostgreSQL keep for a multi-row VALUES, as Django's own
    ``bulk_create`` relies on). Values must be validated already: nothing is checked here.
    Call inside a transaction; no signals are sent (as with ``bulk_create``). ``rows`` may be
    an iterator still being produced (see ``streams``); ``expected`` is then at most how many
    it gives, and every row has the keys of its first.
    """
    connection = connections[using]
    if not isinstance(rows, Sequence) and not streams(using):
        rows = list(rows)
    if isinstance(rows, Sequence):
        expected = len(rows)
    produced = iter(rows)
    first = next(produced, None)
    if first is None:
        return []
    pk = model._meta.pk
    assert pk is not None
    columns = _columns(model, first, connection)
    quote = connection.ops.quote_name
    keys: list[Any] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and (expected is None or expected > _COPY_FROM):
            # COPY, with the keys drawn from the table's sequence first when they are wanted:
            # psycopg parses a statement's placeholders in Python, so a multi-row VALUES of
            # 200,000 parameters costs seconds, and COPY's rows are encoded by its C extension.
            if returning:
                if expected is None:
                    raise ValueError("insert(returning=True) of an iterator needs expected=")
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [model._meta.db_table, pk.column, expected],
                )
                keys = [key for (key,) in cursor.fetchall()]
                if not any(f is pk for f, *_ in columns):
                    columns.insert(0, (pk, pk.attname, None, True))
            at = next(number for number, (f, *_) in enumerate(columns) if f is pk) if returning else -1
            db_row = _row_builder(columns, connection)
            names = ", ".join(quote(str(f.column)) for f, *_ in columns)
            written = 0
            with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN") as copy:
                for row in itertools.chain((first,), produced):
                    values = db_row(row)
                    if returning:
                        if written == len(keys):
                            raise ValueError(f"more rows than the {expected} expected")
                        values[at] = keys[written]
                    written += 1
                    copy.write_row(values)
            return keys[:written]
        rows = [first, *produced]
        tail = f" RETURNING {quote(str(pk.column))}" if returning else ""
        db_row = _row_builder(columns, connection)
        # SQLite takes "?" as it is; Django's cursor would rewrite every "%s" with a regex
        # (a tenth of a 7,000-claim write, on statements of 30,000 placeholders). Where queries
        # are being recorded (DEBUG, tests counting queries) Django formats each statement with
        # its parameters for the log, which needs "%s".
        mark = "?" if connection.vendor == "sqlite" and not connection.queries_logged else "%s"
        head, one = _insert_sql(model, pk.attname in first, using, mark)
        per_statement = max(1, _parameter_limit(using) // len(columns))
        for begin in range(0, len(rows), per_statement):
            batch = rows[begin : begin + per_statement]
            params = [value for row in batch for value in db_row(row)]
            cursor.execute(head + "VALUES " + ", ".join([one] * len(batch)) + tail, params)
            if returning:
                keys.extend(key for (key,) in cursor.fetchall())
    return keys
