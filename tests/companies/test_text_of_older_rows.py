"""Rows stored before the text rules (registry/plain_text.py): the data migrations (companies 0014, products
0010) bring their text to the stored form where the rules allow and leave the rest, logged; and a row holding
text the rules refuse can still be verified and edited through its other fields, while the refused text itself
cannot be written again."""

import importlib
import logging
import types
import unicodedata

from django.apps import apps
from django.db import connection
from django.urls import reverse

from companies.models import Company, ContactPerson, Source
from companies.services import source_cite
from products.models import Product

MIGRATIONS = ["companies.migrations.0014_text_stored_form", "products.migrations.0010_text_stored_form"]
NFD = "Báo cáo ngành phần mềm Đồng Nai"


def migrate_text():
    schema_editor = types.SimpleNamespace(connection=connection)
    for name in MIGRATIONS:
        importlib.import_module(name).forwards(apps, schema_editor)


def test_the_migration_brings_older_text_to_its_stored_form_and_leaves_what_it_refuses(world, source, caplog):
    company, product = world.own, world.product
    Source.objects.filter(pk=source.pk).update(title=unicodedata.normalize("NFD", NFD))
    Company.objects.filter(pk=company.pk).update(
        name=unicodedata.normalize("NFD", "Công ty Nhà\u200b "),
        address="Số 1\x07 Láng Hạ",  # refused: left as it is
        description_vi=unicodedata.normalize("NFD", "Dòng một\nDòng hai\u200b"),  # multi-line: invisible kept
    )
    contact = ContactPerson.objects.create(company=company, name="Nguyễn Văn A")
    ContactPerson.objects.filter(pk=contact.pk).update(name="\u2067Nguyễn Văn A")  # refused: a direction isolate
    Product.objects.filter(pk=product.pk).update(name=unicodedata.normalize("NFD", "Phần mềm nhà"))
    before = Company.objects.values("updated_at", "version").get(pk=company.pk)

    with caplog.at_level(logging.WARNING, logger="registry.migrations"):
        migrate_text()

    company.refresh_from_db()
    assert company.name == "Công ty Nhà"
    assert company.address == "Số 1\x07 Láng Hạ"
    assert company.description_vi == "Dòng một\nDòng hai\u200b"
    assert Company.objects.values("updated_at", "version").get(pk=company.pk) == before  # no one edited it
    assert ContactPerson.objects.get(pk=contact.pk).name == "\u2067Nguyễn Văn A"
    assert Product.objects.get(pk=product.pk).name == "Phần mềm nhà"
    assert source_cite(title=NFD, url=source.url) == source  # found again by its stored title
    logged = caplog.text
    assert f"companies.Company {company.pk}: address left as it is" in logged
    assert f"companies.ContactPerson {contact.pk}: name left as it is" in logged
    assert "companies.Company: 1 rows' text brought to its stored form; 1 fields left as they were" in logged

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="registry.migrations"):
        migrate_text()  # again: nothing more to change, the refused text logged again
    assert "rows' text brought" in caplog.text and "companies.Company: 0 rows'" in caplog.text


def test_a_row_holding_refused_text_can_be_verified_and_edited_through_its_other_fields(world, bearer_client):
    company = world.own
    Company.objects.filter(pk=company.pk).update(address="Số 1\x07 Láng Hạ", name=unicodedata.normalize("NFD", "Nhà"))
    url = reverse("company-detail", kwargs={"tax_code": company.tax_code})
    rep, officer = bearer_client(world.rep), bearer_client(world.officer)

    edited = rep.patch(url, {"short_name": "Nhà"}, format="json")
    assert edited.status_code == 200, edited.content
    verified = officer.post(reverse("company-verify", kwargs={"tax_code": company.tax_code}))
    assert verified.status_code == 200, verified.content

    company.refresh_from_db()
    assert (company.short_name, company.address) == ("Nhà", "Số 1\x07 Láng Hạ")
    assert company.name == "Nhà"  # normalised on the way, as every edit does

    # The refused text itself is refused when it is written, even the same text once more.
    refused = rep.patch(url, {"address": "Số 2\x07 Láng Hạ"}, format="json")
    assert refused.status_code == 400 and "address" in refused.json(), refused.content
    product_url = reverse("product-detail", kwargs={"pk": world.product.pk})
    Product.objects.filter(pk=world.product.pk).update(description_en="a\x1bb")
    assert rep.patch(product_url, {"name": "Phần mềm nhà 2"}, format="json").status_code == 200
    assert rep.patch(product_url, {"description_en": "a\x1bc"}, format="json").status_code == 400
