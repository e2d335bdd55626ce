"""A query shape compiled to SQL once per database, run again with new values.

Building a queryset (filters, joins, annotations) and compiling it costs Django about 0.2 ms in
Python, several times what SQLite or PostgreSQL then take to run it. For the lookup every claim
write makes (the article, scoped to the writer's projects, with their role) that was a sixth of
the request. ``CompiledQuery`` builds the queryset once with stand-in values, finds where they
went among the SQL parameters, and afterwards runs the same SQL with the real values.

Only values that reach the SQL as plain integer parameters can be stand-ins (ids); ``_compile``
refuses any shape where a stand-in is missing, repeated (unless named in ``may_repeat``: a user
id both Exists clauses test) or transformed, or where anything else in the SQL changes from one
build to the next (a time, a setting: it would be frozen at its first value).

``all`` gives what the queryset would (model instances with their ``select_related`` objects and
annotations, or ``values_list`` rows, converters applied): the rows go through Django's own
iterable with a compiler that was set up once and answers ``as_sql`` with the stored SQL and the
new values.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)

# Where the stand-ins start, one per named value: positive and within a 32-bit column's range,
# so that a lookup on a positive field (a span's start and end) keeps its condition (Django
# drops or empties a condition whose value the column cannot hold). Only compiling sees them, and
# ``_compile`` builds twice with different stand-ins, so a constant of the query that happened to
# equal one would be caught there.
_STAND_IN_BASE = 1_987_654_000


class CompiledQuery(Generic[M]):
    def __init__(
        self,
        model: type[M],
        build: Callable[..., models.QuerySet[M, Any]],
        *names: str,
        may_repeat: tuple[str, ...] = (),
    ) -> None:
        self.model = model
        self.build = build
        self.names = names
        self.may_repeat = may_repeat
        self._compiled: dict[str, tuple[str, list[object], list[list[int]]]] = {}
        # alias -> the stand-in queryset and its compiler, set up (select, klass_info) once.
        self._compilers: dict[str, tuple[models.QuerySet[M, Any], Any]] = {}

    def first(self, **values: int) -> M | None:
        """The first row the shape gives for ``values`` (integers, e.g. ids), or None.

        Through ``all``: Django's own row iterable with the stored compiler (a third cheaper
        than ``Model.objects.raw``, which matches its columns to fields on every run).
        """
        rows = self.all(**values)
        return rows[0] if rows else None

    def all(self, **values: int) -> list[Any]:
        """Every row the shape gives for ``values``, as the queryset would give them: model
        instances with their select_related objects and annotations, or values_list rows."""
        alias = router.db_for_read(self.model)
        low, high = connections[alias].ops.integer_field_range("BigIntegerField")
        if not _ids_within(values, low, high):
            return []
        compiled = self._compiled.get(alias) or self._compile(alias)
        queryset, compiler = self._compilers[alias]
        sql, params = self._fill(compiled, values)
        # A shallow copy per run (threads share the stored one): the iterable asks the query for
        # its compiler and the compiler for its SQL, and gets the stored SQL with these values.
        run = copy.copy(compiler)
        # The stored compiler holds the connection of the thread that compiled it; each thread
        # has its own.
        run.connection = connections[alias]
        run.as_sql = lambda *_args, **_kwargs: (sql, tuple(params))
        query = copy.copy(queryset.query)
        query.get_compiler = lambda *_args, **_kwargs: run  # type: ignore[method-assign]
        # A new QuerySet around it (copying the stored one would evaluate it: pickling does),
        # with the stored one's kind of rows.
        rows: models.QuerySet[Any] = models.QuerySet(self.model, query=query, using=alias)
        rows._fields = queryset._fields  # type: ignore[attr-defined]
        rows._iterable_class = queryset._iterable_class
        return list(rows._iterable_class(rows))  # type: ignore[call-overload]

    def _fill(
        self, compiled: tuple[str, list[object], list[list[int]]], values: dict[str, int]
    ) -> tuple[str, list[object]]:
        sql, stored, positions = compiled
        params = list(stored)
        for name, found in zip(self.names, positions, strict=True):
            for position in found:
                params[position] = values[name]
        return sql, params

    def _compile(self, alias: str) -> tuple[str, list[object], list[list[int]]]:
        stand_ins = {name: _STAND_IN_BASE - number for number, name in enumerate(self.names)}
        queryset = self.build(**stand_ins).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        positions = self._positions(stand_ins, params)
        # Built again with other stand-ins, everything else must come out the same.
        again = {name: value - 1_000 for name, value in stand_ins.items()}
        sql_again, params_again = self.build(**again).using(alias).query.get_compiler(using=alias).as_sql()
        if (sql_again, self._positions(again, params_again), _others(params_again, positions)) != (
            sql,
            positions,
            _others(params, positions),
        ):
            raise ValueError("the query's SQL or its other parameters change between builds: it cannot be compiled")
        self._compilers[alias] = (queryset, compiler)
        self._compiled[alias] = compiled = (sql, list(params), positions)
        return compiled

    def _positions(self, stand_ins: dict[str, int], params: Any) -> list[list[int]]:
        positions = []
        for name, stand_in in stand_ins.items():
            found = [index for index, param in enumerate(params) if param == stand_in]
            if not found or (len(found) > 1 and name not in self.may_repeat):
                raise ValueError(f"{name!r} must reach the SQL exactly once as a parameter, found {len(found)}")
            positions.append(found)
        return positions


def _ids_within(values: dict[str, Any], low: int, high: int) -> bool:
    return all(type(value) is int and low <= value <= high for value in values.values())


def _others(params: Any, positions: list[list[int]]) -> list[object]:
    taken = {index for found in positions for index in found}
    return [param for index, param in enumerate(params) if index not in taken]


class CompiledInQuery(Generic[M]):
    """A shape that takes a list of ids (``pk__in``-style), compiled once per list length.

    Each length is its own ``CompiledQuery`` with one stand-in per element. Lists longer than
    ``MAX_COMPILED`` go through the ORM as built, so the compiled shapes stay few; an empty list
    gives no rows without a query, as the ORM does.
    """

    MAX_COMPILED = 64

    def __init__(self, model: type[M], build: Callable[[list[int]], models.QuerySet[M, Any]]) -> None:
        self.model = model
        self.build = build
        self._by_length: dict[int, CompiledQuery[M]] = {}

    def all(self, ids: list[int]) -> list[Any]:
        if not ids:
            return []
        if len(ids) > self.MAX_COMPILED:
            return list(self.build(ids))
        shape = self._by_length.get(len(ids))
        if shape is None:
            names = [f"id{n}" for n in range(len(ids))]
            shape = self._by_length[len(ids)] = CompiledQuery(
                self.model, lambda **values: self.build([values[name] for name in names]), *names
            )
        return shape.all(**{f"id{n}": value for n, value in enumerate(ids)})
