"""The admin: every page an administrator uses loads, and edits made there reach the audit log."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from companies.models import ChangeEvent, Company

ADMIN_PAGES = [
    "admin:companies_company_changelist",
    "admin:companies_company_add",
    "admin:companies_source_changelist",
    "admin:companies_province_changelist",
    "admin:companies_changeevent_changelist",
    "admin:products_product_changelist",
    "admin:products_product_add",
    "admin:products_category_changelist",
    "admin:products_standard_changelist",
    "admin:accounts_apikey_changelist",
]


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.vn", None)
    client.force_login(user)
    client.user = user
    return client


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_load(admin_client, registry, page):
    response = admin_client.get(reverse(page), {"q": "misa"} if page.endswith("changelist") else {})
    assert response.status_code == 200


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


def test_an_admin_edit_is_in_the_audit_log_with_its_author(admin_client, registry):
    company = registry["misa"]
    url = reverse("admin:companies_company_change", args=[company.pk])
    data = form_data(admin_client.get(url))
    data["short_name"] = "MISA JSC"

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    event = ChangeEvent.objects.filter(object_type="company", object_id=company.pk).latest("id")
    assert event.changes["short_name"] == [company.short_name, "MISA JSC"]
    assert event.actor == admin_client.user
    assert Company.objects.get(pk=company.pk).version > company.version
