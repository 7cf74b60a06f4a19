"""Autocomplete (``registry.search.name_suggestions``) reads names in order of their folded form and by
prefix: a bytewise collation and a b-tree index on ``search_name`` make both index scans on PostgreSQL."""

from django.db import migrations

from registry.migration_operations import postgresql_bytewise_text, postgresql_indexes


class Migration(migrations.Migration):
    dependencies = [("companies", "0012_default_order_index")]

    operations = [
        postgresql_bytewise_text("companies_company", ["search_name"]),
        postgresql_indexes([("companies_company_search_name_order", "companies_company (search_name, id)")]),
    ]
