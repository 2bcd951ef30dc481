"""A small read the ORM builds once per process and the page then runs with new values.

On a page that answers in a few milliseconds, compiling a query (joins, subqueries,
annotations) costs more than running it: the roles query of every page was 10 ms of Python
for 0.3 ms of SQLite. ``Prepared`` compiles a ``values_list()`` query once per database,
with placeholder values for its parameters, then only substitutes them and applies the
backend's converters (dates, decimals, booleans read as the ORM would return them).
The query goes through ``connection.cursor()``, so tests still count it.
"""

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler

# Integers no real key holds, one per parameter: their positions in the compiled parameters
# are where the values of each run go.
_PLACEHOLDER_BASE = -7_340_000_001


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]
    compiler: SQLCompiler
    converters: dict[int, Any]


class Prepared:
    """``Prepared(lambda user_id: User.objects.filter(pk=user_id).values_list("username"))``,
    then ``.rows(user_id=3)``: the rows as tuples, as ``values_list()`` gives them.

    The parameters are integers (keys). The builder must use each one as a plain query
    parameter (a filter value), never in Python logic, since it runs once with placeholders.
    """

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self._build = build
        self._names = tuple(inspect.signature(build).parameters)
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def _compile(self, using: str) -> _Compiled:
        placeholders = {name: _PLACEHOLDER_BASE - i for i, name in enumerate(self._names)}
        queryset = self._build(**placeholders)
        compiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        by_value = {value: name for name, value in placeholders.items()}
        slots = tuple(
            (i, by_value[p]) for i, p in enumerate(params) if type(p) is int and p in by_value
        )
        if {name for _i, name in slots} != set(self._names):
            raise ValueError(f"every parameter must be a query parameter: {self._names}")
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        converters = compiler.get_converters(fields)
        return _Compiled(sql, tuple(params), slots, compiler, converters)

    def rows(self, using: str = DEFAULT_DB_ALIAS, **values: int) -> list[tuple[Any, ...]]:
        connection = connections[using]
        key = (using, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(using)
        params = list(compiled.params)
        for i, name in compiled.slots:
            params[i] = int(values[name])
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            return [
                tuple(row) for row in compiled.compiler.apply_converters(rows, compiled.converters)
            ]
        return [tuple(row) for row in rows]


def columns(model: type[Model], prefix: str = "") -> list[str]:
    """The ``values_list()`` names of every column of ``model``, reached through ``prefix``."""
    return [f"{prefix}{f.attname}" for f in model._meta.concrete_fields]


def instance[M: Model](model: type[M], values: Sequence[Any], using: str = DEFAULT_DB_ALIAS) -> M:
    """The model instance of a row slice read with ``columns(model)``, as the ORM builds it."""
    return model.from_db(using, [f.attname for f in model._meta.concrete_fields], list(values))
