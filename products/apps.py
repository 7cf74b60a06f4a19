from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "products"
    verbose_name = "Products"

    def ready(self):
        from . import changes  # noqa: F401  (registers products with the change log)
