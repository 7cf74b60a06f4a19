"""Autocomplete (``registry.search.name_suggestions``) reads names in order of their folded form and by
prefix: a bytewise collation and a b-tree index on ``search_name`` make both index scans on PostgreSQL."""

from django.db import migrations

from registry.migration_operations import postgresql_bytewise_text, postgresql_indexes


class Migration(migrations.Migration):
    dependencies = [("products", "0008_default_order_index")]

    operations = [
        postgresql_bytewise_text("products_product", ["search_name"]),
        postgresql_indexes([("products_product_search_name_order", "products_product (search_name, id)")]),
    ]
