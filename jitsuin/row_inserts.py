"""One multi-row INSERT of new model instances, built from the fields' own preparation.

Django's ``bulk_create`` compiles every value of every row through its SQL compiler
(``prepare_value``, ``field_as_sql``, ``pre_save_val``): for the pipeline's batches that was
the largest CPU cost after the signatures (cProfile: ~15 % of a batch from CSRs). The statement
here is the same ``INSERT ... VALUES (...), (...) RETURNING pk`` (on PostgreSQL ``INSERT ...
SELECT * FROM UNNEST(...)``, as Django 5.2 writes it there: ``rows_sql``): only quoted column
names and column types are formatted in, every value is a parameter prepared by its field
(``pre_save`` then ``get_db_prep_save``, as Django does, or ``db_value`` where that gives the
value back unchanged). No signals, as ``bulk_create``. Anything unusual (a
database expression as a value, a model with parents, a database that cannot return the new
keys) takes Django's ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router
from django.db.backends.base.operations import BaseDatabaseOperations

# Fields whose database preparation gives a value of this exact type back unchanged (on
# every backend Django has): ``get_prep_value`` is ``to_python`` (str) or ``int()``.
_UNCHANGED: dict[type[models.Field], type] = {
    models.CharField: str,
    models.TextField: str,
    models.EmailField: str,
    models.SlugField: str,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.PositiveSmallIntegerField: int,
}
_AUTOMATIC = frozenset({models.AutoField, models.BigAutoField, models.SmallAutoField})
# Per field: the type its preparation gives back unchanged (an automatic key, or a key to
# one, is an int like any integer), or None.
_unchanged_type: dict[models.Field, type | None] = {}
# Per backend: whether it gives ints back as they are. PostgreSQL with psycopg 3 does not
# (adapt_integerfield_value types them: Int4, Int8); Django's default does, and its default
# validate_autopk_value (MySQL refuses 0 for a key).
_ints_unchanged: dict[type, bool] = {}


def db_value(field: models.Field, value: Any, connection: Any) -> Any:
    """``field.get_db_prep_save(value, connection)``, without its calls where they give the
    value back as it is (a str for a plain character field; an int for a plain integer
    field or a key to one, where the backend keeps ints as they are; None for any of them):
    a batch prepares dozens of values per row (cProfile: ~10 % of the pipeline's batches)."""
    plain = _unchanged_type.get(field, ...)
    if plain is ...:
        keys = type(field) in (models.ForeignKey, models.OneToOneField)
        target = field.target_field if keys else field
        plain = int if type(target) in _AUTOMATIC else _UNCHANGED.get(type(target))
        _unchanged_type[field] = plain
    if plain is None or not (value is None or type(value) is plain):
        return field.get_db_prep_save(value, connection)
    if plain is int and not _keeps_ints(connection):
        return field.get_db_prep_save(value, connection)
    return value


def _keeps_ints(connection: Any) -> bool:
    ops = type(connection.ops)
    if ops not in _ints_unchanged:
        _ints_unchanged[ops] = (
            ops.adapt_integerfield_value is BaseDatabaseOperations.adapt_integerfield_value
            and ops.validate_autopk_value is BaseDatabaseOperations.validate_autopk_value
        )
    return _ints_unchanged[ops]


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
    returning = "" if with_pk else f" RETURNING {quote(meta.pk.column)}"
    size = max(1, connection.ops.bulk_batch_size(fields, objs))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            chunk = [[db_value(f, v, connection) for f, v in zip(fields, row, strict=True)]
                     for row in rows[start : start + size]]  # fmt: skip
            source, params = rows_sql(connection, fields, chunk)
            sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) {source}{returning}"  # noqa: S608
            cursor.execute(sql, params)
            if not with_pk:
                for obj, (pk,) in zip(objs[start : start + size], cursor.fetchall(), strict=True):
                    obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


def rows_sql(
    connection: Any, fields: Sequence[models.Field], rows: list[list[Any]]
) -> tuple[str, list[Any]]:
    """The rows part of an INSERT of ``rows`` (prepared values, one per field), and its
    parameters, as Django's ``bulk_create`` writes it: ``VALUES (%s, ...), (...)``, or on
    PostgreSQL ``SELECT * FROM UNNEST((%s)::type[], ...)``, one array per column (Django 5.2's
    compiler, on the same conditions). On PostgreSQL that keeps the statement short: psycopg
    parses a statement with more than 50 parameters again on every execution (cProfile: a
    quarter of the pipeline's batches on PostgreSQL, most of it splitting the placeholders of
    a few INSERTs with thousands of them)."""
    if connection.vendor == "postgresql" and len(rows) > 1 and _unnestable(connection, fields):
        types = [f.db_type(connection).split("(")[0] for f in fields]
        columns = ", ".join(f"(%s)::{db_type}[]" for db_type in types)
        arrays = [list(column) for column in zip(*rows, strict=True)]
        return f"SELECT * FROM UNNEST({columns})", arrays  # noqa: S608 (column types only)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return "VALUES " + ", ".join([one] * len(rows)), [value for row in rows for value in row]


def _unnestable(connection: Any, fields: Sequence[models.Field]) -> bool:
    """Django's conditions for UNNEST (django/db/backends/postgresql/compiler.py): no field
    whose placeholder depends on the value, only the backend's own column types."""
    return not any(hasattr(f, "get_placeholder") for f in fields) and all(
        (f.target_field if f.is_relation else f).get_internal_type() in connection.data_types
        for f in fields
    )
