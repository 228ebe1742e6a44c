"""One row of a model by the values of a few columns, its SQL built once per database.

Every request reads its session's row and its user's row before anything else. Through the
ORM each read builds and compiles its query anew (filters, lookups, the select list), which
cost more CPU than the database's answer: about 0.5 ms for the session, 0.4 ms for the user,
on every request. ``row_read`` makes the same ``SELECT`` (the columns asked for, ``WHERE`` each
condition, at most one row) from SQL written once per model, columns, conditions and database,
adapts the values as the ORM adapts a filter's (``get_db_prep_value``), converts the row as the
ORM converts one (the backend's converters, then the field's), and builds the instance with
``Model.from_db``, as a queryset does. Columns not asked for are deferred, as ``only()`` leaves
them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import MultipleObjectsReturned
from django.db import connections, router
from django.db.models import Field, Model
from django.db.models.options import Options

#: The comparisons a condition may make.
_OPERATORS = frozenset({"=", ">", "<", ">=", "<="})

type _Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Plan:
    sql: str
    #: The fields compared, in the order of their parameters.
    compared: tuple[Field[Any, Any], ...]
    attnames: tuple[str, ...]
    #: Each selected column's converters and the expression they are called with.
    converters: tuple[tuple[int, tuple[_Converter, ...], Any], ...]


_plans: dict[tuple[Any, ...], _Plan] = {}
_plans_lock = threading.Lock()


def _plan(
    model: type[Model],
    columns: tuple[str, ...] | None,
    where: tuple[tuple[str, str], ...],
    alias: str,
) -> _Plan:
    key = (model, columns, where, alias)
    plan = _plans.get(key)
    if plan is None:
        with _plans_lock:
            plan = _plans.get(key) or _plan_make(model, columns, where, alias)
            _plans[key] = plan
    return plan


def _column(meta: Options[Any], name: str) -> tuple[Field[Any, Any], str]:
    """The model's field ``name`` and its column (a field with a column of its own, not a
    relation's other side)."""
    field = meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise ValueError(f"{meta.label}.{name} has no column of its own")
    return field, field.column


def _plan_make(
    model: type[Model],
    columns: tuple[str, ...] | None,
    where: tuple[tuple[str, str], ...],
    alias: str,
) -> _Plan:
    connection = connections[alias]
    quote = connection.ops.quote_name
    meta = model._meta
    table = meta.db_table
    if columns is None:
        columns = tuple(field.name for field in meta.concrete_fields)
    # In the model's field order: ``Model.from_db`` takes values by position among them.
    order = {field.name: position for position, field in enumerate(meta.concrete_fields)}
    if meta.pk is None or meta.pk.name not in columns:
        raise ValueError(f"row_read loads {meta.label}'s primary key among its columns")
    selected = [_column(meta, name) for name in sorted(columns, key=lambda n: order.get(n, -1))]
    conditions = []
    compared = []
    for name, operator in where:
        if operator not in _OPERATORS:
            raise ValueError(f"row_read compares with {sorted(_OPERATORS)}, not {operator!r}")
        field, column = _column(meta, name)
        conditions.append(f"{quote(table)}.{quote(column)} {operator} %s")
        compared.append(field)
    # Names from the model's own metadata, quoted; operators from the list above; values
    # only as parameters.
    select = ", ".join(f"{quote(table)}.{quote(column)}" for _, column in selected)
    sql = f"SELECT {select} FROM {quote(table)} WHERE {' AND '.join(conditions)} LIMIT 2"  # noqa: S608
    converters = []
    for position, (field, _) in enumerate(selected):
        col = field.get_col(table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            converters.append((position, tuple(found), col))
    return _Plan(
        sql=sql,
        compared=tuple(compared),
        attnames=tuple(field.attname for field, _ in selected),
        converters=tuple(converters),
    )


def row_read[M: Model](
    model: type[M],
    *,
    columns: Sequence[str] | None = None,
    where: Sequence[tuple[str, str]],
    values: Sequence[Any],
) -> M | None:
    """The one row of ``model`` whose columns ``where`` names (``(field name, operator)``)
    compare as asked with ``values``, with ``columns`` loaded (in any order, the primary key
    among them; every column of the model when None), or None if there is none. More than one
    raises ``model.MultipleObjectsReturned``, as ``get()``. A value its field cannot take
    raises as the ORM does (``ValueError``, ``TypeError``, ``ValidationError``); a number
    beyond the database's range finds nothing, as the ORM's lookup does."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    plan = _plan(model, None if columns is None else tuple(columns), tuple(where), alias)
    params = [
        field.get_db_prep_value(value, connection, prepared=False)
        for field, value in zip(plan.compared, values, strict=True)
    ]
    with connection.cursor() as cursor:
        try:
            cursor.execute(plan.sql, params)
        except OverflowError:
            # A number beyond what the database can hold (SQLite): no row has it, as the
            # ORM answers such a lookup.
            return None
        rows = cursor.fetchmany(2)
    if not rows:
        return None
    if len(rows) > 1:
        error: type[Exception] = getattr(model, "MultipleObjectsReturned", MultipleObjectsReturned)
        raise error(f"more than one {model.__name__} matches")
    row = list(rows[0])
    for position, converters, expression in plan.converters:
        value = row[position]
        for converter in converters:
            value = converter(value, expression, connection)
        row[position] = value
    return model.from_db(alias, list(plan.attnames), row)
