"""The b-tree index on a product's folded name also holds its name: the lowest name among the names that
begin with a search phrase is then read from it alone (``registry.search.from_the_first``)."""

from django.db import migrations

from registry.migration_operations import postgresql_indexes, postgresql_indexes_dropped


class Migration(migrations.Migration):
    dependencies = [("products", "0013_product_market_name_copy")]

    operations = [
        postgresql_indexes(
            [("products_product_search_name_then_name", "products_product (search_name, id) INCLUDE (name)")]
        ),
        postgresql_indexes_dropped([("products_product_search_name_order", "products_product (search_name, id)")]),
    ]
