"""On PostgreSQL, trigram GIN indexes over the folded search columns of products and categories, and a
pattern index on the category path so that "this category and its descendants" (a prefix ``LIKE``) uses an
index whatever the database collation."""

from django.db import migrations

from registry.migration_operations import postgresql_indexes


class Migration(migrations.Migration):
    dependencies = [("products", "0001_initial"), ("companies", "0003_search_indexes_postgresql")]
    operations = [
        postgresql_indexes(
            [
                ("products_product_search_name_trgm", "products_product USING gin (search_name gin_trgm_ops)"),
                ("products_product_search_body_trgm", "products_product USING gin (search_body gin_trgm_ops)"),
                ("products_category_search_name_trgm", "products_category USING gin (search_name gin_trgm_ops)"),
                ("products_category_path_pattern", "products_category (path varchar_pattern_ops)"),
            ]
        )
    ]
