"""The rows that say where a product is sold get a copy of the product's name, and the index on (country,
category, product) becomes one on (country, category, product name, product): within one category and
country it is in the product list's order, so a page of "products of a category sold in a country" is read
from it as far as the page goes."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_product_name(apps, schema_editor):
    ProductExportMarket = apps.get_model("products", "ProductExportMarket")
    Product = apps.get_model("products", "Product")
    ProductExportMarket.objects.update(
        product_name=Subquery(Product.objects.filter(pk=OuterRef("product_id")).values("name"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0012_covering_order_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="productexportmarket",
            name="product_name",
            field=models.CharField(
                default="", editable=False, help_text="A copy of the product's name.", max_length=200
            ),
            preserve_default=False,
        ),
        migrations.RunPython(copy_product_name, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="productexportmarket",
            name="product_market_sold_where",
        ),
        migrations.AddIndex(
            model_name="productexportmarket",
            index=models.Index(
                fields=["country", "category", "product_name", "product"], name="product_market_sold_where"
            ),
        ),
    ]
