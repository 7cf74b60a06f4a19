from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "companies"
    verbose_name = "Companies"

    def ready(self):
        from . import changes  # noqa: F401  (registers companies, markets and revenue with the change log)
