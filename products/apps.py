from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "products"
    verbose_name = "Products"

    def ready(self):
        from companies.services import register_market_country_copy

        from . import changes  # noqa: F401  (registers products with the change log)
        from .services import product_markets_copy_again

        register_market_country_copy(product_markets_copy_again)
