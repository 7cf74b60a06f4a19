"""On PostgreSQL, trigram GIN indexes over the folded search columns, so that ``LIKE '%word%'`` searches
use an index. SQLite has no such index type; there the search scans the (small) folded columns."""

from django.db import migrations

INDEXES = [
    ("companies_company_search_name_trgm", "companies_company USING gin (search_name gin_trgm_ops)"),
    ("companies_company_search_body_trgm", "companies_company USING gin (search_body gin_trgm_ops)"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, target in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _target in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("companies", "0002_provinces")]
    operations = [migrations.RunPython(create, drop)]
