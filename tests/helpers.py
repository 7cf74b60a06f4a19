"""Small assertions shared by the API tests."""

import os
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def get_json(client, url_name: str, params=None, status: int = 200, **url_kwargs):
    """GET a named URL and return its JSON body after checking the status and that the body is JSON."""
    response = client.get(reverse(url_name, kwargs=url_kwargs or None), params or {})
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()


def tax_codes(client, params=None) -> list[str]:
    """Tax codes of the companies list for these query parameters, in the order returned."""
    return [row["tax_code"] for row in get_json(client, "company-list", params)["results"]]


def product_names(client, params=None) -> list[str]:
    return [row["name"] for row in get_json(client, "product-list", params)["results"]]


def registry_state() -> dict:
    """Every row a write could touch, by table, to show that a refused write changed nothing."""
    from companies.models import Company, ContactPerson, ExportMarket, ExportRevenue, Source
    from products.models import Product

    models = [Company, ContactPerson, Product, ExportMarket, ExportRevenue, Source]
    through = [Company.representatives.through, Product.standards.through, Product.export_markets.through]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in [*models, *through]}


def registry_changes(before: dict, *, ignore=()) -> dict:
    """What changed since ``registry_state()`` returned ``before``: per table (but those in ``ignore``),
    the rows added, removed and changed (by id); empty when nothing did."""
    changes = {}
    for table, rows in registry_state().items():
        if table in ignore:
            continue
        old = {row["id"]: row for row in before[table]}
        new = {row["id"]: row for row in rows}
        diff = {
            "added": [new[pk] for pk in new.keys() - old.keys()],
            "removed": [old[pk] for pk in old.keys() - new.keys()],
            "changed": {
                pk: {name: (old[pk][name], new[pk][name]) for name in new[pk] if old[pk][name] != new[pk][name]}
                for pk in new.keys() & old.keys()
                if old[pk] != new[pk]
            },
        }
        if any(diff.values()):
            changes[table] = {kind: value for kind, value in diff.items() if value}
    return changes


@contextmanager
def assert_selects(expected: int):
    """Exactly ``expected`` queries (SELECT statements) run inside. On PostgreSQL a search also sends, around
    some of its reads and as their plans decide, EXPLAIN, a savepoint and planner settings
    (``registry.search``): statements, not queries of the page."""
    with CaptureQueriesContext(connection) as captured:
        yield
    selects = [query["sql"] for query in captured if query["sql"].startswith("SELECT")]
    assert len(selects) == expected, "\n\n".join(selects)


def form_data(response) -> dict:
    """The POST body an administrator's browser would send for an unchanged change form."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        data[name] = (
            [getattr(item, "pk", item) for item in value]
            if isinstance(value, (list, tuple))
            else getattr(value, "pk", value)
        )
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{formset.prefix}-{name}"] = management.initial.get(name, management[name].value())
        for row in formset.forms:
            for name, field in row.fields.items():
                value = row.initial.get(name, field.initial)
                if value is not None:
                    data[f"{row.prefix}-{name}"] = getattr(value, "pk", value)
    return data


def require_redis(url: str) -> None:
    """Skip the test when no Redis server answers at ``url``; under CI (which runs one), fail it instead."""
    import redis

    try:
        answers = redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        answers = False
    if not answers:
        reason = f"no Redis server answers at {url}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, and CI runs Redis)", pytrace=False)
        pytest.skip(reason)


def stale_market_copies() -> list[tuple]:
    """Rows saying where a product is sold whose copies (``ProductExportMarket``: the market's country, the
    product's category and name) differ from what they copy: (product, market's country, copied country,
    product's category, copied category, copied name)."""
    from products.models import ProductExportMarket

    return [
        (
            row.product.name,
            row.exportmarket.country.code,
            row.country,
            row.product.category_id,
            row.category_id,
            row.product_name,
        )
        for row in ProductExportMarket.objects.select_related("product", "exportmarket")
        if (row.country, row.category_id, row.product_name)
        != (row.exportmarket.country.code, row.product.category_id, row.product.name)
    ]
