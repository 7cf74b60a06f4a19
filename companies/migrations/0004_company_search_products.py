"""Company search also matches what the company makes: the folded names, descriptions and categories of its
products in one column, trigram-indexed on PostgreSQL like the others."""

from django.db import migrations, models

from registry.migration_operations import postgresql_indexes


def fill_search_products(apps, schema_editor):
    Company = apps.get_model("companies", "Company")
    Product = apps.get_model("products", "Product")
    for company_id in Company.objects.values_list("pk", flat=True):
        rows = (
            Product.objects.filter(company_id=company_id)
            .order_by("pk")
            .values_list("search_name", "search_body", "category__search_name")
        )
        text = "\n".join(part for row in rows for part in row if part)
        Company.objects.filter(pk=company_id).update(search_products=text)


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0003_search_indexes_postgresql"),
        ("products", "0002_search_indexes_postgresql"),
    ]

    operations = [
        migrations.AddField(
            model_name="company",
            name="search_products",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill_search_products, migrations.RunPython.noop),
        postgresql_indexes(
            [("companies_company_search_products_trgm", "companies_company USING gin (search_products gin_trgm_ops)")]
        ),
    ]
