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


def postgresql_bytewise_text(table: str, columns: list[str]) -> migrations.RunPython:
    """Give folded search columns the bytewise "C" collation on PostgreSQL (and, reversed, the database's
    default again): they hold machine-folded text, so a b-tree index on them then serves both
    ``LIKE 'prefix%'`` and ``ORDER BY`` (with a language collation it can serve neither). A no-op on other
    databases, whose default comparison is already bytewise."""

    def alter(collation: str):
        def run(apps, schema_editor):
            if schema_editor.connection.vendor != "postgresql":
                return
            for column in columns:
                schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE text COLLATE "{collation}"')

        return run

    return migrations.RunPython(alter("C"), alter("default"))


def postgresql_indexes_dropped(indexes: list[tuple[str, str]]) -> migrations.RunPython:
    """Drop (and, reversed, create again) indexes that ``postgresql_indexes`` created."""
    created = postgresql_indexes(indexes)
    return migrations.RunPython(created.reverse_code, created.code)
