"""SQL that only PostgreSQL runs, as a migration's operation (an index SQLite cannot make)."""

from django.db import migrations


def postgresql_only(create, drop):
    """A migration operation running the SQL `create` forwards and `drop` backwards, on
    PostgreSQL; other databases go without."""

    def run(sql):
        def on_postgresql(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql)

        return on_postgresql

    return migrations.RunPython(run(create), run(drop))
