"""Set-based SQL for the importer: many rows in, many keys looked up, on SQLite and PostgreSQL.

An import writes hundreds of thousands of rows. SQLAlchemy's `execute(insert(t),
rows)` prepares every row through its generic machinery; `insert_many` converts
the values with the same column types (`bind_processor`, so a timestamp is
stored exactly as SQLAlchemy stores it) and hands them to the driver's
`executemany` in one call. `in_values` looks up any number of keys with one
bound parameter (a JSON array read by SQLite's `json_each`, or a PostgreSQL
array), so the statement is compiled once instead of once per call with
hundreds of placeholders.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    Table,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

IN_CHUNK = 5_000


def in_values(connection: Connection, column: Any) -> Any:
    """`column IN (:values)` with one bound parameter named ``values`` (see `bind_values`)."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam("values", type_=ARRAY(String)))
    return column.in_(
        select(literal_column("value")).select_from(func.json_each(bindparam("values")))
    )


def bind_values(connection: Connection, values: Sequence[str]) -> dict[str, Any]:
    """The parameters for `in_values`."""
    if connection.dialect.name == "postgresql":
        return {"values": list(values)}
    return {"values": json.dumps(list(values))}


def existing(connection: Connection, column: Any, values: set[str]) -> set[str]:
    """Which of `values` are present in `column`."""
    found: set[str] = set()
    if not values:
        return found
    ordered = sorted(values)
    query = select(column).where(in_values(connection, column))
    for start in range(0, len(ordered), IN_CHUNK):
        chunk = ordered[start : start + IN_CHUNK]
        found.update(str(v) for (v,) in connection.execute(query, bind_values(connection, chunk)))
    return found


_Plan = tuple[str, bool, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...], tuple[str, ...]]
_PLANS: dict[tuple[str, str, tuple[str, ...]], _Plan] = {}


def _plan(connection: Connection, table: Table, columns: tuple[str, ...]) -> _Plan:
    dialect = connection.dialect
    key = (dialect.name, table.name, columns)
    plan = _PLANS.get(key)
    if plan is None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
        positional = bool(compiled.positional)
        names = tuple(compiled.positiontup or ()) if positional else columns
        processors = tuple(
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        )
        # Columns of one type (same class and arguments) convert a value the same way.
        kinds = tuple(repr(table.c[name].type) for name in names)
        plan = (compiled.string, positional, names, processors, kinds)
        _PLANS[key] = plan
    return plan


def insert_many(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT `rows` (dicts with the same keys) with one driver `executemany`."""
    if not rows:
        return
    sql, positional, names, processors, kinds = _plan(connection, table, tuple(rows[0]))
    columns = [[row[name] for row in rows] for name in names]
    # The same instants recur across a bundle's rows and columns (a revision's times,
    # its paradata): each distinct value of a column type is converted once.
    memos: dict[str, dict[tuple[type, Any], Any]] = {}
    for index, processor in enumerate(processors):
        if processor is not None:
            memo = memos.setdefault(kinds[index], {})
            columns[index] = _converted(processor, columns[index], memo)
    if positional:
        params: list[Any] = list(zip(*columns, strict=True))
    else:
        params = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    connection.exec_driver_sql(sql, params)


def _converted(
    processor: Callable[[Any], Any], values: list[Any], done: dict[tuple[type, Any], Any]
) -> list[Any]:
    # Keyed by the value's type as well: values equal across types (1 and True)
    # keep their own conversion.
    out = []
    for value in values:
        key = (type(value), value)
        try:
            converted = done.get(key, done)
        except TypeError:  # unhashable: converted every time
            converted = processor(value)
        else:
            if converted is done:
                converted = done[key] = processor(value)
        out.append(converted)
    return out
