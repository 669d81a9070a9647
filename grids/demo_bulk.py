"""Fast bulk writing for `seed_demo`: rows streamed into their tables in chunks.

On PostgreSQL each chunk goes in with one COPY; elsewhere (SQLite, `make run`) with one
bulk_create. `BulkWriter` hands out the primary keys itself, counting on from the table's
largest, so rows can point at each other before they are written and the same seed gives the
same ids; closing it moves the table's sequence past them.

`loading(...)` drops the tables' secondary indexes and foreign keys for the load and puts them
back at the end (one CREATE INDEX per index, one validating ALTER TABLE per key): building an
index once is several times faster than keeping it up to date row by row, and one join checks a
key faster than a deferred trigger per row.
"""

import json
from contextlib import contextmanager
from operator import attrgetter

from django.core.management.color import no_style
from django.db import connection
from django.db.models import DateField, FileField, JSONField

CHUNK = 5000


class BulkWriter:
    """Writes instances of `model` in chunks of `chunk`; `add` gives the instance its pk.

    Runs one query to start (the largest pk), one per chunk, and one or two to close.
    """

    def __init__(self, model, chunk=CHUNK):
        self.model = model
        self.chunk = chunk
        self.pending = []
        self.written = 0
        meta = model._meta
        self.fields = [(field, field.column) for field in meta.concrete_fields]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX({quote(meta.pk.column)}) FROM {quote(meta.db_table)}")
            self.next_pk = (cursor.fetchone()[0] or 0) + 1
        columns = ", ".join(quote(column) for _field, column in self.fields)
        self.copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"

    def assign(self, obj):
        """Give `obj` the next pk (before it is complete, so other rows can point at it)."""
        if obj.pk is None:
            obj.pk = self.next_pk
            self.next_pk += 1
        return obj

    def add(self, obj):
        """Queue `obj` for writing (with a pk of its own if it has none); returns it."""
        self.assign(obj)
        self.pending.append(obj)
        if len(self.pending) >= self.chunk:
            self.flush()
        return obj

    def flush(self):
        if not self.pending:
            return
        if connection.vendor == "postgresql":
            self._copy(self.pending)
        else:
            self.model.objects.bulk_create(self.pending)
        self.written += len(self.pending)
        self.pending = []

    def _copy(self, objs):
        fields = [field for field, _column in self.fields]
        # Values go to COPY as they are (psycopg adapts them), but for the fields that set
        # themselves on save (auto_now), JSON, which goes as its text, and files (their name).
        on_save = [f for f in fields if isinstance(f, DateField) and (f.auto_now or f.auto_now_add)]
        as_text = [
            (i, _json_text if isinstance(f, JSONField) else f.get_prep_value)
            for i, f in enumerate(fields)
            if isinstance(f, JSONField | FileField)
        ]
        values = attrgetter(*(field.attname for field in fields))
        connection.ensure_connection()
        with connection.connection.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
            for obj in objs:
                for field in on_save:
                    field.pre_save(obj, True)
                row = values(obj)
                if as_text:
                    row = list(row)
                    for i, text in as_text:
                        row[i] = text(row[i])
                copy.write_row(row)

    def close(self):
        """Write what is left and move the pk sequence past the written rows."""
        self.flush()
        if self.written:
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [self.model]):
                    cursor.execute(sql)
        return self.written


def _json_text(value):
    return None if value is None else json.dumps(value)


@contextmanager
def writers(*models, chunk=CHUNK):
    """A BulkWriter per model, closed (in the order given) when the block ends."""
    opened = [BulkWriter(model, chunk) for model in models]
    yield opened
    for writer in opened:
        writer.close()


@contextmanager
def loading(*models):
    """Drop the non-unique secondary indexes and the foreign keys of `models`' tables for the
    block and put them back after it (PostgreSQL; elsewhere it does nothing). Runs a few
    queries per index and key."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        # Deferred checks of rows written so far run now: a table with pending trigger
        # events cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c WHERE c.contype = 'f' "
            "AND c.conrelid = ANY(%s::regclass[]) ORDER BY c.oid",
            [tables],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) "
            "AND NOT i.indisprimary AND NOT i.indisunique "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY i.indexrelid",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
            )
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
