import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from stdnum.vn import mst

from companies.models import Company, ExportMarket, ExportRevenue
from products.models import Product, ProductExportMarket
from products.services import company_refresh_product_search
from seeds.demo import DEMO_SOURCE_KEY, generate_demo_data, remove_demo_data
from seeds.loader import load_seed_data
from seeds.models import DeferredStatement
from tests.helpers import stale_market_copies

pytestmark = pytest.mark.django_db


def demo_snapshot():
    return list(
        Company.objects.filter(source__key=DEMO_SOURCE_KEY)
        .order_by("tax_code")
        .values_list("tax_code", "name", "province_id", "founded_year")
    )


def test_demo_data_is_deterministic_valid_and_removable():
    load_seed_data()
    seeded = Company.objects.count()

    report = generate_demo_data(companies=40, seed=3)
    first = demo_snapshot()
    assert report.rows["companies"] == len(first) == 40
    assert all(mst.is_valid(tax_code) for tax_code, *_ in first)
    assert any(name != name.encode("ascii", "ignore").decode() for _, name, *_ in first)  # Vietnamese diacritics
    assert Product.objects.filter(company__source__key=DEMO_SOURCE_KEY).count() == report.rows["products"]
    assert Company.objects.filter(source__key=DEMO_SOURCE_KEY, search_name="").count() == 0

    assert remove_demo_data() == 40
    assert Company.objects.count() == seeded
    assert not Product.objects.filter(slug__startswith="p", company__slug__startswith="demo-").exists()
    assert not ExportMarket.objects.filter(company__slug__startswith="demo-").exists()
    assert not ExportRevenue.objects.filter(company__slug__startswith="demo-").exists()

    generate_demo_data(companies=40, seed=3)
    assert demo_snapshot() == first


def test_demo_companies_are_found_by_the_api(client):
    load_seed_data()
    call_command("generate_demo_data", "--companies", "25", "--seed", "5")
    code = Company.objects.filter(source__key=DEMO_SOURCE_KEY).values_list("tax_code", flat=True).first()

    response = client.get(f"/api/v1/companies/{code}/")

    assert response.status_code == 200
    assert client.get("/api/v1/companies/", {"page_size": 100}).json()["count"] >= 25


def test_demo_rows_carry_the_search_texts_the_models_compute():
    load_seed_data()
    generate_demo_data(companies=30, seed=9)
    companies = list(Company.objects.filter(source__key=DEMO_SOURCE_KEY))
    stored_product_texts = {company.pk: company.search_products for company in companies}

    for company in companies:
        assert company.search_texts() == {"search_name": company.search_name, "search_body": company.search_body}
    products = Product.objects.filter(company__in=companies).select_related("company", "category")
    assert products.exists()
    for product in products:
        assert product.search_texts() == {
            "search_name": product.search_name,
            "search_body": product.search_body,
            "search_context": product.search_context,
        }
    assert ProductExportMarket.objects.filter(product__company__in=companies).exists()
    assert stale_market_copies() == []  # the loader writes the copies a product's markets keep
    company_refresh_product_search(company_ids=stored_product_texts)
    refreshed = dict(Company.objects.filter(pk__in=stored_product_texts).values_list("pk", "search_products"))
    assert refreshed == stored_product_texts


def test_demo_data_has_verified_figures_and_every_province():
    load_seed_data()
    generate_demo_data(companies=400, seed=2)
    demo = Company.objects.filter(source__key=DEMO_SOURCE_KEY)

    assert demo.values("province").distinct().count() == 34
    assert demo.filter(verification="verified", verified_at__isnull=False).exists()
    assert ExportRevenue.objects.filter(company__in=demo, verified=True).exists()
    assert ExportRevenue.objects.filter(company__in=demo).exclude(country="").exists()  # per-country figures


def demo_rows():
    """Every demo row the generator writes, by table, without the load's timestamps."""
    demo = Company.objects.filter(source__key=DEMO_SOURCE_KEY)
    return {
        "companies": list(demo.order_by("pk").values_list("pk", "tax_code", "name", "search_products")),
        "products": list(
            Product.objects.filter(company__in=demo).order_by("pk").values_list("pk", "company_id", "name")
        ),
        "markets": list(
            ExportMarket.objects.filter(company__in=demo).order_by("pk").values_list("pk", "company_id", "country")
        ),
        "revenues": list(
            ExportRevenue.objects.filter(company__in=demo).order_by("pk").values_list("pk", "year", "amount_usd")
        ),
        "product markets": list(
            ProductExportMarket.objects.filter(product__company__in=demo)
            .order_by("product_id", "exportmarket_id")
            .values_list("product_id", "exportmarket_id", "country")
        ),
    }


def test_demo_data_is_written_in_batches_with_the_same_rows(monkeypatch):
    """The generator writes and forgets a batch of companies at a time (its memory does not grow with N):
    the rows, ids included, are those of one big batch, the last, partial batch too."""
    load_seed_data()
    report = generate_demo_data(companies=23, seed=4)
    in_one_batch = demo_rows()
    remove_demo_data()
    monkeypatch.setattr("seeds.demo.BATCH_COMPANIES", 5)

    batched = generate_demo_data(companies=23, seed=4)

    assert batched.rows == report.rows
    assert batched.rows["companies"] == 23
    assert demo_rows() == in_one_batch  # the same ids too: they continue from the largest left


def test_the_command_reports_rows_per_second_and_peak_memory(capsys):
    load_seed_data()
    call_command("generate_demo_data", "--companies", "3", "--seed", "1")

    summary = capsys.readouterr().out.strip().splitlines()[-1]

    assert re.fullmatch(r"[\d,]+ rows in [\d.]+ s: [\d,]+ rows/s, peak memory [\d,]+ MiB", summary)


def search_indexes() -> set[str]:
    """The trigram indexes of the tables a load fills (PostgreSQL)."""
    with connection.cursor() as cursor:
        return {
            name
            for table in ("companies_company", "products_product")
            for name, constraint in connection.introspection.get_constraints(cursor, table).items()
            if constraint["index"] and constraint["type"] == "gin"
        }


class Killed(BaseException):
    """The process dying (a signal, a lost terminal) at that point."""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL's loads drop and rebuild indexes")
def test_a_load_killed_after_its_commit_leaves_its_index_builds_to_the_next_run(monkeypatch, capsys):
    """The load drops the trigram indexes in its transaction and builds them after its commit: had the process
    died in between, they were lost for good. They are written down in the same transaction instead."""
    load_seed_data()
    indexes = search_indexes()
    assert "products_product_search_context_trgm" in indexes

    def die():
        raise Killed

    monkeypatch.setattr("seeds.demo.run_deferred_statements", die)
    with pytest.raises(Killed):
        generate_demo_data(companies=5, seed=1)
    monkeypatch.undo()

    assert search_indexes() == set()
    left = list(DeferredStatement.objects.values_list("statement", flat=True))
    assert sum(statement.startswith("CREATE INDEX IF NOT EXISTS ") for statement in left) == len(indexes)
    assert any(statement.startswith('VACUUM (ANALYZE) "products_product"') for statement in left)

    call_command("generate_demo_data", "--finish")

    assert capsys.readouterr().out.splitlines() == [
        f"An earlier load was interrupted: {len(left)} statements left to run (search indexes, VACUUM).",
        f"Ran {len(left)} statements left by an interrupted load.",
    ]
    assert search_indexes() == indexes
    assert not DeferredStatement.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL's loads drop and rebuild indexes")
def test_the_next_load_builds_what_an_interrupted_one_left(monkeypatch):
    load_seed_data()
    indexes = search_indexes()
    monkeypatch.setattr("seeds.demo.run_deferred_statements", lambda: 0)
    generate_demo_data(companies=5, seed=1)  # its process died after the commit
    monkeypatch.undo()

    generate_demo_data(companies=5, seed=2)  # this load finds the indexes missing, so does not drop them

    assert search_indexes() == indexes
    assert not DeferredStatement.objects.exists()


def test_a_load_leaves_nothing_to_finish(capsys):
    load_seed_data()
    call_command("generate_demo_data", "--companies", "3", "--seed", "1")
    assert not DeferredStatement.objects.exists()
    capsys.readouterr()

    call_command("generate_demo_data", "--finish")
    call_command("generate_demo_data", "--remove")

    assert capsys.readouterr().out.splitlines() == [
        "Ran 0 statements left by an interrupted load.",
        "Removed 3 demo companies and everything they had.",
    ]
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("generate_demo_data", "--finish", "--remove")
