"""One multi-row INSERT of new model instances, built from the fields' own preparation.

Django's ``bulk_create`` compiles every value of every row through its SQL compiler
(``prepare_value``, ``field_as_sql``, ``pre_save_val``): for the pipeline's batches that was
the largest CPU cost after the signatures (cProfile: ~15 % of a batch from CSRs). The statement
here is the same ``INSERT ... VALUES (...), (...) RETURNING pk``: only quoted column names are
formatted in, every value is a parameter prepared by its field (``pre_save`` then
``get_db_prep_save``, as Django does). No signals, as ``bulk_create``. Anything unusual (a
database expression as a value, a model with parents, a database that cannot return the new
keys) takes Django's ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router


def insert_rows(objs: Sequence[models.Model]) -> None:
    """Insert ``objs`` (new instances of one model, all with a primary key or all without) and
    give each its primary key, as ``bulk_create(objs)``."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    alias = router.db_for_write(model)
    connection = connections[alias]
    with_pk = objs[0].pk is not None
    fields = [
        f
        for f in meta.local_concrete_fields
        if not getattr(f, "generated", False) and (with_pk or f is not meta.pk)
    ]
    rows = [[f.pre_save(obj, True) for f in fields] for obj in objs]
    plain = (
        not meta.parents
        and all(type(obj) is model and (obj.pk is not None) == with_pk for obj in objs)
        and (with_pk or connection.features.can_return_rows_from_bulk_insert)
        and not any(hasattr(value, "resolve_expression") for row in rows for value in row)
    )
    if not plain:
        model._default_manager.db_manager(alias).bulk_create(list(objs))
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = "" if with_pk else f" RETURNING {quote(meta.pk.column)}"
    size = max(1, connection.ops.bulk_batch_size(fields, objs))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            chunk = rows[start : start + size]
            params: list[Any] = [
                f.get_db_prep_save(value, connection)
                for row in chunk
                for f, value in zip(fields, row, strict=True)
            ]
            values = ", ".join([one] * len(chunk))
            sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}{returning}"  # noqa: S608
            cursor.execute(sql, params)
            if not with_pk:
                for obj, (pk,) in zip(objs[start : start + size], cursor.fetchall(), strict=True):
                    obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
