"""An index on the product-market links by market, then product: "products sold in Thailand" reads the
links of Thailand's market rows from the index alone instead of scanning every link."""

from django.db import migrations

INDEX = "products_product_export_markets_market_product"


class Migration(migrations.Migration):
    dependencies = [("products", "0006_drop_redundant_indexes")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {INDEX} ON products_product_export_markets (exportmarket_id, product_id)",
            f"DROP INDEX {INDEX}",
        )
    ]
