"""``Product.export_markets`` gets a model of its own for the table Django made for it, and each row a copy of
the market's country and the product's category, with an index on (country, category, product): the product
list filtered by category and market reads that index instead of every product sold in the country. The
table, its rows and its constraints stay; only the model is new to Django's state."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

OLD_BY_MARKET_INDEX = "products_product_export_markets_market_product"
CREATE_OLD_BY_MARKET_INDEX = (
    f"CREATE INDEX {OLD_BY_MARKET_INDEX} ON products_product_export_markets (exportmarket_id, product_id)"
)


def copy_country_and_category(apps, schema_editor):
    ProductExportMarket = apps.get_model("products", "ProductExportMarket")
    ExportMarket = apps.get_model("companies", "ExportMarket")
    Product = apps.get_model("products", "Product")
    ProductExportMarket.objects.update(
        country=Subquery(ExportMarket.objects.filter(pk=OuterRef("exportmarket_id")).values("country")),
        category_id=Subquery(Product.objects.filter(pk=OuterRef("product_id")).values("category_id")),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0014_text_stored_form"),
        ("products", "0010_text_stored_form"),
    ]

    operations = [
        # 0007's index by market, made with SQL, becomes the model's (SQLite rebuilds the table below to add
        # the columns, and a rebuilt table keeps only the indexes the model declares). Dropped first, so that
        # going back recreates it after the table's last rebuild.
        migrations.RunSQL(f"DROP INDEX IF EXISTS {OLD_BY_MARKET_INDEX}", CREATE_OLD_BY_MARKET_INDEX),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ProductExportMarket",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "exportmarket",
                            models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="companies.exportmarket"),
                        ),
                        (
                            "product",
                            models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="products.product"),
                        ),
                    ],
                    options={
                        "db_table": "products_product_export_markets",
                        "unique_together": {("product", "exportmarket")},
                    },
                ),
                migrations.AlterField(
                    model_name="product",
                    name="export_markets",
                    field=models.ManyToManyField(
                        blank=True,
                        help_text="The company's export markets in which this product is sold.",
                        related_name="products",
                        through="products.ProductExportMarket",
                        to="companies.exportmarket",
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="productexportmarket",
            name="country",
            field=models.CharField(
                default="", editable=False, help_text="A copy of the export market's country.", max_length=2
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="productexportmarket",
            name="category",
            field=models.ForeignKey(
                null=True,
                db_index=False,
                editable=False,
                help_text="A copy of the product's category.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="products.category",
            ),
        ),
        migrations.RunPython(copy_country_and_category, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="productexportmarket",
            name="category",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                help_text="A copy of the product's category.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="products.category",
            ),
        ),
        migrations.AddIndex(
            model_name="productexportmarket",
            index=models.Index(fields=["country", "category", "product"], name="product_market_sold_where"),
        ),
        migrations.AddIndex(
            model_name="productexportmarket",
            index=models.Index(fields=["exportmarket", "product"], name="product_market_by_market"),
        ),
    ]
