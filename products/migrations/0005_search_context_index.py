"""Fill the new ``search_context`` column and index it (trigram GIN) on PostgreSQL."""

from django.db import migrations

from registry.migration_operations import postgresql_indexes
from registry.text import fold_join


def fill_search_context(apps, schema_editor):
    Product = apps.get_model("products", "Product")
    for product in Product.objects.select_related("company", "category"):
        product.search_context = fold_join(
            product.category.name,
            product.category.name_en,
            product.company.name,
            product.company.name_en,
            product.company.short_name,
        )
        product.save(update_fields=["search_context"])


class Migration(migrations.Migration):
    dependencies = [("products", "0004_product_search_context")]
    operations = [
        migrations.RunPython(fill_search_context, migrations.RunPython.noop),
        postgresql_indexes(
            [("products_product_search_context_trgm", "products_product USING gin (search_context gin_trgm_ops)")]
        ),
    ]
