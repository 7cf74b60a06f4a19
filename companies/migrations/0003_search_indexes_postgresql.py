"""On PostgreSQL, trigram GIN indexes over the folded search columns, so that ``LIKE '%word%'`` searches
use an index. SQLite has no such index type; there the search scans the folded columns."""

from django.db import migrations

from registry.migration_operations import postgresql_indexes


class Migration(migrations.Migration):
    dependencies = [("companies", "0002_provinces")]
    operations = [
        postgresql_indexes(
            [
                ("companies_company_search_name_trgm", "companies_company USING gin (search_name gin_trgm_ops)"),
                ("companies_company_search_body_trgm", "companies_company USING gin (search_body gin_trgm_ops)"),
            ]
        )
    ]
