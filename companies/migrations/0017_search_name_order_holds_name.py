"""The b-tree index on a company's folded names also holds its name: the lowest name among the names that
begin with a search phrase is then read from it alone (``registry.search.from_the_first``)."""

from django.db import migrations

from registry.migration_operations import postgresql_indexes, postgresql_indexes_dropped


class Migration(migrations.Migration):
    dependencies = [("companies", "0016_count_by_province_index")]

    operations = [
        postgresql_indexes(
            [("companies_company_search_name_then_name", "companies_company (search_name, id) INCLUDE (name)")]
        ),
        postgresql_indexes_dropped([("companies_company_search_name_order", "companies_company (search_name, id)")]),
    ]
