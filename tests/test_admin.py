"""The admin: every page an administrator uses loads, and edits made there reach the audit log."""

import pytest
from django.urls import reverse

from companies.models import ChangeEvent, Company
from tests.helpers import form_data

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


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_load(admin_client, registry, page):
    response = admin_client.get(reverse(page), {"q": "misa"} if page.endswith("changelist") else {})
    assert response.status_code == 200


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
