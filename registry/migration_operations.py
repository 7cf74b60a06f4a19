"""Migration operations every app shares."""

from django.db import migrations


def postgresql_indexes(indexes: list[tuple[str, str]]) -> migrations.RunPython:
    """Create (and, reversed, drop) indexes that only PostgreSQL has, such as trigram GIN indexes;
    ``indexes`` is a list of ``(name, "table USING method (column opclass)")``. Installs ``pg_trgm``.
    A no-op on other databases."""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, target in indexes:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, _target in indexes:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(create, drop)
