"""Set-based writes for large imports: rows as tuples, straight to SQL, many rows a statement.

``bulk_create`` builds a model instance per row and compiles every value through the ORM's
SQL compiler: tens of microseconds a row, and a 64,000-student cohort writes about a million
rows (issue 11). Here each value goes only through its field's ``get_db_prep_save`` (the
conversion ``bulk_create`` applies, skipped for text, integers, booleans and keys, which need
none), the fields left out get their default as ``bulk_create`` would give them (``auto_now``
and ``auto_now_add`` fields: the time of the call), and one INSERT carries many rows. Like
``bulk_create``: no signals, no model validation, the database's constraints still apply.
"""

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db import connection
from django.db.models import Field, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone

# Values these fields hold are already what the database driver takes.
_PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallAutoField",
        "SmallIntegerField",
        "TextField",
    }
)
# Bind parameters per statement: under SQLite's and PostgreSQL's limits, and large enough
# that the per-statement cost vanishes.
MAX_PARAMS = 30_000


def _converter(field: Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How a value of ``field`` is prepared, or None when it goes as it is.

    Imports repeat few distinct values (a date, a time, grades): each is converted once.
    """
    if field.get_internal_type() in _PLAIN_TYPES:
        return None
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value is None:
            return None
        try:
            return seen[value]
        except KeyError:
            prepared = seen[value] = field.get_db_prep_save(value, connection)
            return prepared
        except TypeError:  # not hashable: converted every time
            return field.get_db_prep_save(value, connection)

    return convert


def _defaults(
    model: type[Model], given: Sequence[str]
) -> tuple[list[Field[Any, Any]], list[Any], list[Field[Any, Any]], list[Callable[[], Any]]]:
    """The concrete fields left out of ``given``: those with a fixed value (prepared once) and
    those whose default is a callable, called for each row as ``bulk_create`` would."""
    named = {model._meta.get_field(name).attname for name in given}
    now = timezone.now()
    fixed, values, per_row, makers = [], [], [], []
    for field in model._meta.concrete_fields:
        if field.attname in named or field.primary_key or field.db_default is not NOT_PROVIDED:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            fixed.append(field)
            values.append(field.get_db_prep_save(now, connection))
        elif field.has_default() and callable(field.default):
            per_row.append(field)
            makers.append(field.default)
        else:
            fixed.append(field)
            values.append(field.get_db_prep_save(field.get_default(), connection))
    return fixed, values, per_row, makers


def _batches(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """INSERT ``rows`` (tuples of values in the order of ``fields``) into ``model``'s table.

    Returns, when ``returning`` names fields, their values for every inserted row, in the
    order the database gives them: match them back by a key, not by position.
    """
    if connection.vendor == "postgresql":
        return _copy_rows(model, fields, rows, returning=returning)
    meta = model._meta
    fixed, fixed_values, per_row, makers = _defaults(model, fields)
    given = [meta.get_field(name) for name in fields]
    columns = [f.column for f in [*given, *per_row, *fixed]]
    converting = [(i, c) for i, f in enumerate(given) if (c := _converter(f)) is not None]
    made = [_converter(f) or (lambda v: v) for f in per_row]
    quote = connection.ops.quote_name
    # Names from the model's metadata, quoted; the values travel as parameters.
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))}) VALUES "  # noqa: S608
    tail = ""
    if returning:
        tail = " RETURNING " + ", ".join(quote(meta.get_field(f).column) for f in returning)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    out: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for batch in _batches(rows, max(1, MAX_PARAMS // len(columns))):
            params: list[Any] = []
            for row in batch:
                if converting:
                    row = list(row)
                    for i, convert in converting:
                        row[i] = convert(row[i])
                params += row
                if makers:
                    params += [convert(make()) for convert, make in zip(made, makers, strict=True)]
                params += fixed_values
            cursor.execute(head + ", ".join([one] * len(batch)) + tail, params)
            if returning:
                out += cursor.fetchall()
    return out


def _copy_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """PostgreSQL: ``COPY … FROM STDIN`` (a multi-row INSERT costs psycopg some 10 µs a
    parameter to quote). COPY returns nothing: the ids come from the table's sequence first,
    so ``returning`` may name the primary key and the given fields only."""
    meta = model._meta
    fixed, fixed_values, per_row, makers = _defaults(model, fields)
    given = [meta.get_field(name) for name in fields]
    with_ids = bool(returning)
    columns = [meta.pk.column] * with_ids + [f.column for f in [*given, *per_row, *fixed]]
    converting = [(i, c) for i, f in enumerate(given) if (c := _converter(f)) is not None]
    made = [_converter(f) or (lambda v: v) for f in per_row]
    names = [meta.pk.attname] * with_ids + [meta.get_field(f).attname for f in fields]
    picks = [names.index(meta.get_field(f).attname) for f in returning]
    quote = connection.ops.quote_name
    copy_sql = f"COPY {quote(meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"
    out: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for batch in _batches(rows, 20_000):
            ids: list[int] = []
            if with_ids:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [meta.db_table, meta.pk.column, len(batch)],
                )
                ids = [pk for (pk,) in cursor.fetchall()]
            with cursor.cursor.copy(copy_sql) as copy:
                for n, row in enumerate(batch):
                    full = [ids[n], *row] if with_ids else list(row)
                    if with_ids:
                        out.append(tuple(full[i] for i in picks))
                    for i, convert in converting:
                        full[i + with_ids] = convert(full[i + with_ids])
                    if makers:
                        full += [
                            convert(make()) for convert, make in zip(made, makers, strict=True)
                        ]
                    copy.write_row([*full, *fixed_values])
    return out


def update_rows(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """UPDATE ``fields`` of rows given as ``(pk, *values)``, one statement run for all rows."""
    meta = model._meta
    quote = connection.ops.quote_name
    converters = [_converter(meta.get_field(name)) for name in fields]
    assignments = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in fields)
    table, key = quote(meta.db_table), quote(meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608
    params = [
        [*(v if c is None else c(v) for c, v in zip(converters, values, strict=True)), pk]
        for pk, *values in rows
    ]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
    return len(params)


def listed(values: Iterable[str]) -> RawSQL:
    """A sub-select of these strings, for ``field__in=listed(values)`` with 64,000 values.

    Django prepares each value of a plain ``__in`` list one by one (some 20 µs each); here
    the list travels as one JSON parameter and the database unpacks it.
    """
    sql = {
        "sqlite": "SELECT value FROM json_each(%s)",
        "postgresql": "SELECT jsonb_array_elements_text(%s::jsonb)",
    }[connection.vendor]
    return RawSQL(sql, [json.dumps(list(values))])  # noqa: S611 - fixed SQL, one parameter


def upsert_by_key(
    queryset: QuerySet[Any], wanted: dict[str, dict[str, Any]], fields: Sequence[str]
) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """Rows of ``queryset`` by their ``key`` field: create the keys of ``wanted`` not stored,
    update those whose ``fields`` differ (``bulk_create``, ``bulk_update``; a few hundred rows).

    Returns every row by key (read again once if any was created), the new and the changed rows.
    """
    existing = {row.key: row for row in queryset}
    new, changed = [], []
    for key, values in wanted.items():
        current = existing.get(key)
        if current is None:
            new.append(queryset.model(key=key, **values))
        elif any(getattr(current, f) != values[f] for f in fields):
            for f in fields:
                setattr(current, f, values[f])
            changed.append(current)
    if new:
        queryset.model.objects.bulk_create(new)
        existing = {row.key: row for row in queryset.all()}
    if changed:
        queryset.model.objects.bulk_update(changed, list(fields))
    return existing, new, changed
