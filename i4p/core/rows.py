"""Inserting new rows with statements built once per model: the intake's hot path.

`Model.objects.create()` builds its INSERT statement afresh for every row. On the path every
report takes (the report, its sealed raw message, its audit row, its count request) that
costs more than the database does. `insert()` writes the same row, with the same defaults,
`auto_now` times and database conversions, from a statement kept per model and database;
`insert_together()` writes several such rows, and asks one question, in one statement on
PostgreSQL.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from django.db import connections, transaction
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=Model)

Plan = tuple[str, list[Field[Any, Any]], Field[Any, Any]]
_statements: dict[tuple[type[Model], str, str], Plan] = {}


@dataclass(frozen=True)
class Question:
    """An SQL expression answered by the statement that writes the rows, without a round trip
    of its own: `sql` with a `%s` for each of `params`."""

    sql: str
    params: tuple[Any, ...] = ()


def _plain(row: Model) -> bool:
    """Whether a kept statement may write `row`: models with their own `save()` (unless it
    only guards updates and the model says so with `plain_insert = True`), save signals or a
    parent model take the ordinary path, so nothing that a save would do is skipped."""
    model = type(row)
    return not (
        (model.save is not Model.save and not getattr(model, "plain_insert", False))
        or model._meta.parents
        or pre_save.has_listeners(model)
        or post_save.has_listeners(model)
        or not row._state.adding
    )


def _columns(
    model: type[Model], *, leave_out: Field[Any, Any] | None = None
) -> list[Field[Any, Any]]:
    """The columns an insert binds: all but a key the database makes (and `leave_out`)."""
    pk = model._meta.pk
    return [
        f
        for f in model._meta.local_concrete_fields
        if not (f is pk and f.db_returning) and f is not leave_out
    ]


def _statement(model: type[Model], using: str, ask: str) -> Plan:
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = _columns(model)
    returning = [quote(str(pk.column))] if pk.db_returning else []
    if ask:
        returning.append(f"({ask})")
    # Names from the model, values always bound.
    sql = "INSERT INTO {} ({}) VALUES ({}){}".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(quote(str(f.column)) for f in fields),
        ", ".join(["%s"] * len(fields)),
        f" RETURNING {', '.join(returning)}" if returning else "",
    )
    return sql, fields, pk


def _values(row: Model, fields: Sequence[Field[Any, Any]], connection: Any) -> list[Any]:
    return [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]


def _saved(row: Model, using: str) -> None:
    row._state.adding = False
    row._state.db = using


def _write(row: Model, using: str, ask: Question | None = None) -> Any:
    """Insert `row` from its kept statement; the answer to `ask`, read in the same one."""
    key = (type(row), using, ask.sql if ask is not None else "")
    plan = _statements.get(key)
    if plan is None:
        plan = _statements[key] = _statement(type(row), using, key[2])
    sql, fields, pk = plan
    connection = connections[using]
    values = _values(row, fields, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *(ask.params if ask is not None else ())])
        answer = cursor.fetchone() if pk.db_returning or ask is not None else None
    if answer is not None and pk.db_returning:
        setattr(row, pk.attname, answer[0])
    _saved(row, using)
    return answer[-1] if answer is not None and ask is not None else None


def insert(row: M, *, using: str = "default") -> M:
    """Save `row`, a new instance, as `row.save(force_insert=True)` would; returns it, saved.

    A model whose save does more than write (see `_plain`) takes the ordinary path.
    """
    if not _plain(row):
        row.save(force_insert=True, using=using)
        return row
    _write(row, using)
    return row


# -- several rows in one statement -------------------------------------------------------------

Link = tuple[Model, "Field[Any, Any] | None"]
_together: dict[tuple[Any, ...], tuple[str, list[list[Field[Any, Any]]]]] = {}


def insert_together(
    first: Model, *rows: tuple[Model, str], ask: Question | None = None, using: str = "default"
) -> Any:
    """Save `first`, then each of `rows` (new instances, each given with the name of its field
    that holds `first`'s key, or "" for none); returns the answer to `ask` (None without one).

    On PostgreSQL this is one statement (each insert a data-modifying WITH): one round trip,
    and the server parses and plans once for all the rows. Elsewhere, or when a model's save
    does more than write, one insert a row, the last one answering the question. The rows are
    those `insert()` writes either way. Call it inside a transaction: a row that fails must
    take the others with it.
    """
    links: list[Link] = [(row, _field(row, name)) for row, name in rows]
    every = [first, *(row for row, _ in rows)]
    connection = connections[using]
    if not rows or not _in_one_statement(using) or not all(map(_plain, every)):
        return _one_by_one(first, links, ask, using)
    key = (type(first), *((type(row), link) for row, link in rows), ask and ask.sql, using)
    plan = _together.get(key)
    if plan is None:
        plan = _together[key] = _together_statement(first, links, ask, using)
    sql, columns = plan
    values = [
        value
        for row, fields in zip(every, columns, strict=True)
        for value in _values(row, fields, connection)
    ]
    with _bound_by_the_server(using) as cursor:
        cursor.execute(sql, [*values, *(ask.params if ask is not None else ())])
        answer = cursor.fetchone()
    for row, pk_value in zip(every, answer, strict=False):  # the keys, then the answer
        setattr(row, _pk(type(row)).attname, pk_value)
        _saved(row, using)
    for row, link in links:
        if link is not None:
            setattr(row, link.attname, first.pk)
    return answer[len(every)] if ask is not None else None


def _in_one_statement(using: str) -> bool:
    """Whether the database writes rows that refer to each other in one statement."""
    return connections[using].vendor == "postgresql"


def _bound_by_the_server(using: str) -> Any:
    """A cursor (Django's wrapper, so errors, logs and query capture behave as usual) that
    sends the statement as written, `$1`, `$2`… bound by the server (psycopg's `RawCursor`).

    Django's own cursor has psycopg quote every value into the text of the statement, and
    psycopg keeps its parse of a statement only up to 50 values: a report's rows are about
    70, so each one was parsed afresh, which cost more than the round trips saved. Prepared
    statements stay as the connection has them (Django: off, for poolers)."""
    connection = connections[using]
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw: Any = psycopg.RawCursor(connection.connection)  # the stubs want a wrapper
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def _field(row: Model, name: str) -> Field[Any, Any] | None:
    """The field of `row` named `name` ("": none)."""
    if not name:
        return None
    field = row._meta.get_field(name)
    assert isinstance(field, Field), name
    return field


def _pk(model: type[Model]) -> Field[Any, Any]:
    pk = model._meta.pk
    assert pk is not None
    return pk


def _together_statement(
    first: Model, links: Sequence[Link], ask: Question | None, using: str
) -> tuple[str, list[list[Field[Any, Any]]]]:
    """`WITH r0 AS (INSERT … RETURNING id), r1 AS (INSERT … VALUES (…, (SELECT id FROM r0),
    …) RETURNING id), … SELECT (SELECT id FROM r0), (SELECT id FROM r1), …, (question)`, its
    values `$1`, `$2`… in order (the question's `%s` too).

    Every insert keeps its VALUES list, so the server types each bound value by its column as
    in a plain insert. PostgreSQL runs every data-modifying WITH once, to completion, as part
    of the one statement: all rows are written or none."""
    quote = connections[using].ops.quote_name
    parts: list[str] = []
    columns: list[list[Field[Any, Any]]] = []
    keys: list[str] = []
    bound = itertools.count(1)
    for index, (row, link) in enumerate([(first, None), *links]):
        fields = _columns(type(row), leave_out=link)
        names = [quote(str(f.column)) for f in fields]
        values = [f"${next(bound)}" for _ in fields]
        if link is not None:
            names.append(quote(str(link.column)))
            values.append(f"(SELECT {keys[0]})")
        key = quote(str(_pk(type(row)).column))
        parts.append(
            f"r{index} AS (INSERT INTO {quote(row._meta.db_table)} ({', '.join(names)}) "  # noqa: S608
            f"VALUES ({', '.join(values)}) RETURNING {key})"
        )
        keys.append(f"{key} FROM r{index}")
        columns.append(fields)
    answers = [f"(SELECT {key})" for key in keys]
    if ask is not None:
        first_part, *rest = ask.sql.split("%s")
        answers.append(f"({first_part}{''.join(f'${next(bound)}{part}' for part in rest)})")
    # Names from the models, values always bound.
    return f"WITH {', '.join(parts)} SELECT {', '.join(answers)}", columns


def _one_by_one(first: Model, links: Sequence[Link], ask: Question | None, using: str) -> Any:
    """One insert a row, the last one answering the question (asked on its own only when
    that row's model takes the ordinary save)."""
    every = [first, *(row for row, _ in links)]
    answer: Any = None
    asked = False
    with transaction.atomic(using=using, savepoint=False):
        for index, row in enumerate(every):
            if index == len(every) - 1 and ask is not None and _plain(row):
                answer, asked = _write(row, using, ask), True
            else:
                insert(row, using=using)
            if index == 0:
                for linked, link in links:
                    if link is not None:
                        setattr(linked, link.attname, first.pk)
        if ask is not None and not asked:
            with connections[using].cursor() as cursor:
                cursor.execute(f"SELECT ({ask.sql})", list(ask.params))
                answer = cursor.fetchone()[0]
    return answer
