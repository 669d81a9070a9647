"""Inserts for the periodic sweeps: many rows in one statement, each row at most once.

A row that a unique constraint already holds (written by an earlier or a concurrent sweep)
is skipped by the database (ON CONFLICT DO NOTHING), and the statement returns the rows it
did write, so the caller acts on those only. Both statements run on PostgreSQL and on SQLite
(3.35 or later, for RETURNING).
"""

from django.conf import settings
from django.db import connections, router
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


def batch_size():
    """How many rows a sweep writes per statement and per transaction (settings.SWEEP_BATCH)."""
    return settings.SWEEP_BATCH


def insert_new(model, objs, fields):
    """Insert `objs` (unsaved instances of `model`) in one statement, skipping those a
    unique constraint already holds. `fields` names the fields to write. Returns the primary
    keys of the rows written. Runs one query (none for no objs)."""
    objs = list(objs)
    if not objs:
        return []
    opts = model._meta
    using = router.db_for_write(model)
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values([opts.get_field(name) for name in fields], objs)
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = [opts.pk]
    [(sql, params)] = compiler.as_sql()
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def insert_selected(model, fields, queryset, returning):
    """INSERT INTO `model` (`fields`) the rows `queryset` selects (a values_list with one
    column per field, in order), skipping those a unique constraint already holds. Returns
    the `returning` columns (field names) of the rows written. Runs one query."""
    opts = model._meta
    using = router.db_for_write(model)
    connection = connections[using]
    select, params = queryset.query.get_compiler(using=using).as_sql()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(opts.get_field(name).column) for name in fields)
    returned = ", ".join(quote(opts.get_field(name).column) for name in returning)
    # "WHERE true": SQLite reads an ON CONFLICT right after a join's ON as part of the join.
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({columns}) "
        f"SELECT * FROM ({select}) AS selected WHERE true "
        f"ON CONFLICT DO NOTHING RETURNING {returned}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = [opts.get_field(name) for name in returning]
    return [
        tuple(
            field.to_python(value) if value is not None else None
            for field, value in zip(converters, row, strict=True)
        )
        for row in rows
    ]
