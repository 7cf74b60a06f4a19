"""The rows that say where a product is sold keep copies of the market's country and the product's category
(``ProductExportMarket``, for the product list's filter by category and market): every write that changes
either keeps them in step, and the filter answers from them."""

import pytest
from django.db import connection
from django.urls import reverse

from companies.services import export_market_update
from products.models import Product, ProductExportMarket
from products.services import product_create, product_update
from tests.helpers import form_data, product_names, stale_market_copies

ACCOUNTING = "Phần mềm kế toán MISA SME"
BASE_STATION = "Trạm gốc 5G"


def test_created_and_replaced_markets_carry_their_copies(registry, categories):
    misa = registry["misa"]
    product = product_create(
        company=misa,
        name="MISA AMIS",
        category=categories["accounting"],
        maturity="commercial",
        export_markets=misa.export_markets.all(),
    )
    assert sorted(ProductExportMarket.objects.filter(product=product).values_list("country", flat=True)) == [
        "JP",
        "KH",
    ]
    product_update(product=product, data={}, export_markets=misa.export_markets.filter(country="KH"))
    assert list(ProductExportMarket.objects.filter(product=product).values_list("country", flat=True)) == ["KH"]
    assert stale_market_copies() == []


def test_a_new_category_is_copied(api_client, registry, categories):
    product_update(product=registry["accounting"], data={"category": categories["5g"]})

    assert stale_market_copies() == []
    assert product_names(api_client, {"category": "software", "market": "JP"}) == []
    assert product_names(api_client, {"category": "telecommunications", "market": "JP"}) == [ACCOUNTING]


def test_a_markets_new_country_is_copied(api_client, registry):
    export_market_update(market=registry["misa"].export_markets.get(country="JP"), data={"country": "TH"})

    assert stale_market_copies() == []
    assert product_names(api_client, {"category": "software", "market": "JP"}) == []
    assert product_names(api_client, {"category": "accounting-software", "market": "TH"}) == [ACCOUNTING]


def test_a_market_read_before_its_country_changed_is_copied_with_the_new_one(registry):
    # A request reads the markets it names, then waits for the company's lock while another changes a
    # country: the row it writes copies the country as stored, not as it was read.
    product, cambodia = registry["accounting"], registry["misa"].export_markets.get(country="KH")
    export_market_update(market=registry["misa"].export_markets.get(country="KH"), data={"country": "LA"})

    product_update(product=product, data={}, export_markets=[cambodia])  # cambodia.country is still "KH"

    assert list(ProductExportMarket.objects.filter(product=product).values_list("country", flat=True)) == ["LA"]
    assert stale_market_copies() == []


def test_a_product_moved_to_another_company_is_sold_nowhere(registry):
    product_update(product=registry["accounting"], data={"company": registry["danang"]})
    assert not ProductExportMarket.objects.filter(product=registry["accounting"]).exists()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "software", "market": "JP"}, [ACCOUNTING]),  # the parent of the product's category
        ({"category": "accounting-software", "market": "JP,US"}, [ACCOUNTING]),
        ({"category": "5g-equipment", "market": "US"}, [BASE_STATION]),
        ({"category": "5g-equipment", "market": "JP"}, []),
        ({"category": "software", "market": "KH"}, []),  # a market of MISA's, but the product is not sold there
    ],
)
def test_filter_by_category_and_market(api_client, registry, params, expected):
    assert product_names(api_client, params) == expected


def test_admin_product_edit_copies_its_category(admin_client, registry, categories):
    product = registry["accounting"]
    url = reverse("admin:products_product_change", args=[product.pk])
    data = form_data(admin_client.get(url))
    data["category"] = categories["5g"].pk

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert Product.objects.get(pk=product.pk).category == categories["5g"]
    assert stale_market_copies() == []


def test_admin_market_added_inline_carries_its_copies(admin_client, registry):
    product = registry["accounting"]
    url = reverse("admin:products_product_change", args=[product.pk])
    data = form_data(admin_client.get(url))
    prefix = next(name for name in data if name.endswith("-TOTAL_FORMS")).removesuffix("-TOTAL_FORMS")
    data[f"{prefix}-TOTAL_FORMS"] = int(data[f"{prefix}-TOTAL_FORMS"]) + 1
    added = int(data[f"{prefix}-TOTAL_FORMS"]) - 1
    data[f"{prefix}-{added}-exportmarket"] = registry["misa"].export_markets.get(country="KH").pk
    data[f"{prefix}-{added}-product"] = product.pk

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert sorted(ProductExportMarket.objects.filter(product=product).values_list("country", flat=True)) == [
        "JP",
        "KH",
    ]
    assert stale_market_copies() == []


def test_admin_inline_row_given_another_market_takes_its_country(admin_client, registry):
    product = registry["accounting"]
    url = reverse("admin:products_product_change", args=[product.pk])
    data = form_data(admin_client.get(url))
    row = next(name for name in data if name.endswith("-exportmarket"))
    data[row] = registry["misa"].export_markets.get(country="KH").pk

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert list(ProductExportMarket.objects.filter(product=product).values_list("country", flat=True)) == ["KH"]
    assert stale_market_copies() == []


def test_the_migrations_leave_the_indexes_the_model_declares(db):
    # SQLite rebuilds a table to add a column, keeping only the indexes the model declares: the index by
    # market, once made with SQL (migration 0007), is now one of them (0011); 0013 put the name into the other.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, ProductExportMarket._meta.db_table)
    indexed = [tuple(details["columns"]) for details in constraints.values() if details["index"]]
    assert ("exportmarket_id", "product_id") in indexed
    assert ("country", "category_id", "product_name", "product_id") in indexed


def test_admin_market_country_edit_is_copied(admin_client, registry):
    company = registry["misa"]
    url = reverse("admin:companies_company_change", args=[company.pk])
    data = form_data(admin_client.get(url))
    japan = company.export_markets.get(country="JP")
    row = next(name for name, value in data.items() if name.endswith("-id") and value == japan.pk)
    data[row.removesuffix("-id") + "-country"] = "TH"

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert company.export_markets.filter(country="TH").exists()
    assert stale_market_copies() == []
