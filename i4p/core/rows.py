"""Inserting new rows with statements built once per model: the intake's hot path.

`Model.objects.create()` builds its INSERT statement afresh for every row. On the path every
report takes (the report, its sealed raw message, its audit row, its count request) that
costs more than the database does. `insert()` writes the same row, with the same defaults,
`auto_now` times and database conversions, from a statement kept per model and database.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connections
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=Model)

_statements: dict[tuple[type[Model], str], tuple[str, list[Field[Any, Any]], Field[Any, Any]]] = {}


def _statement(
    model: type[Model], using: str
) -> tuple[str, list[Field[Any, Any]], Field[Any, Any]]:
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [f for f in meta.local_concrete_fields if not (f is pk and f.db_returning)]
    returning = ""
    if pk.db_returning:
        returning, _ = connection.ops.return_insert_columns([pk]) or ("", [])  # type: ignore[attr-defined]
    # Names from the model, values always bound.
    sql = "INSERT INTO {} ({}) VALUES ({}) {}".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(quote(str(f.column)) for f in fields),
        ", ".join(["%s"] * len(fields)),
        returning,
    )
    return sql, fields, pk


def insert(row: M, *, using: str = "default") -> M:
    """Save `row`, a new instance, as `row.save(force_insert=True)` would; returns it, saved.

    Models with their own `save()` (unless it only guards updates and the model says so with
    `plain_insert = True`), save signals or a parent model take the ordinary path, so nothing
    that a save would do is skipped.
    """
    model = type(row)
    if (
        (model.save is not Model.save and not getattr(model, "plain_insert", False))
        or model._meta.parents
        or pre_save.has_listeners(model)
        or post_save.has_listeners(model)
        or not row._state.adding
    ):
        row.save(force_insert=True, using=using)
        return row
    key = (model, using)
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = _statement(model, using)
    sql, fields, pk = statement
    connection = connections[using]
    values = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if pk.db_returning:
            setattr(row, pk.attname, cursor.fetchone()[0])
    row._state.adding = False
    row._state.db = using
    return row
