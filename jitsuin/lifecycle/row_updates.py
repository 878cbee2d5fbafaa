"""One UPDATE for rows that each take their own value (``CASE id WHEN ... THEN ... END``).

Django's ``bulk_update`` builds a ``Case(When(...))`` expression per row and field and then
resolves and compiles each of them: for the worker's batches that cost more CPU than the rest
of recording the certificates. The statement here is the same, built directly from the
fields' own database preparation: only quoted column names are formatted in, every value is
a parameter.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models

from jitsuin.row_inserts import db_value


def update_each(
    model: type[models.Model], values: dict[Any, dict[str, Any]], **common: Any
) -> None:
    """Set, in one statement, ``values[pk][field]`` on each row ``pk`` and ``common`` on all
    of them (every row of ``values`` names the same fields)."""
    if not values:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    pk_column = quote(meta.pk.column)
    pks = list(values)
    fields = list(next(iter(values.values())))
    assignments: list[str] = []
    params: list[Any] = []
    for name in fields:
        field = meta.get_field(name)
        cast = f"::{field.cast_db_type(connection)}" if connection.vendor == "postgresql" else ""
        whens = " ".join([f"WHEN %s THEN %s{cast}"] * len(pks))
        assignments.append(f"{quote(field.column)} = CASE {pk_column} {whens} END")
        for pk in pks:
            params += [pk, _prepared(field, values[pk][name])]
    for name, value in common.items():
        field = meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        params.append(_prepared(field, value))
    in_list = ", ".join(["%s"] * len(pks))
    table, changes = quote(meta.db_table), ", ".join(assignments)
    sql = f"UPDATE {table} SET {changes} WHERE {pk_column} IN ({in_list})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *pks])


def _prepared(field: Any, value: Any) -> Any:
    if isinstance(value, models.Model):
        value = value.pk
    return db_value(field, value, connection)
