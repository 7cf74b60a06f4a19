"""CSV and XLSX exports of the company and product lists (``?format=csv|xlsx`` or the Accept header): the
same rows as the JSON list (filters, search, ordering, visibility), readable headers, Vietnamese text that
survives the round trip, errors as JSON, a bounded size, and a query count that does not grow with the rows."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from api import serializers
from api.exports import EXPORT_COLUMNS, XLSXRenderer
from companies.models import Province
from companies.services import company_suspend, export_revenue_create
from tests.conftest import MISA
from tests.helpers import get_json

XLSX = XLSXRenderer.media_type

COMPANY_HEADERS = [
    "Tax code",
    "Name",
    "English name",
    "Short name",
    "Province code",
    "Province",
    "Founded",
    "Ownership",
    "Size",
    "Website",
    "Status",
    "Verified",
    "Verification",
    "Markets",
    "Latest export revenue (USD)",
    "Latest export revenue year",
]
PRODUCT_HEADERS = [
    "ID",
    "Name",
    "Company tax code",
    "Company",
    "Category",
    "Category (English)",
    "Description (Vietnamese)",
    "Description (English)",
    "Launched",
    "Maturity",
    "Standards",
    "Certified Make in Vietnam",
    "Certified on",
    "Certification source",
    "Markets",
    "Source",
]


def body(response) -> bytes:
    assert response.streaming, "an export is streamed"
    return b"".join(response.streaming_content)  # the test client closes the response at the end


def export(client, url_name: str, params=None, *, fmt: str | None = "csv", **headers):
    """GET an export and check it is one: 200, a file to download of the asked format."""
    params = dict(params or {})
    if fmt is not None:
        params["format"] = fmt
    response = client.get(reverse(url_name), params, headers=headers)
    assert response.status_code == 200, (response.status_code, response.content[:500])
    return response


def csv_table(response) -> tuple[list[str], list[dict[str, str]]]:
    """Headers and rows (by header) of a CSV export, after checking its encoding and line endings."""
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
    text = raw.decode("utf-8").removeprefix("\ufeff")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def xlsx_table(response) -> tuple[list[str], list[dict]]:
    """Headers and rows (by header) of an XLSX export, cell values as openpyxl reads them."""
    assert response["Content-Type"] == XLSX
    raw = body(response)
    assert int(response["Content-Length"]) == len(raw)
    workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    headers = list(rows[0])
    return headers, [dict(zip(headers, row, strict=True)) for row in rows[1:]]


def csv_column(client, url_name: str, header: str, params=None) -> list[str]:
    return [row[header] for row in csv_table(export(client, url_name, params))[1]]


def json_column(client, url_name: str, field: str, params=None) -> list:
    """A field of every row of the JSON list, all pages."""
    values, page = [], 1
    while True:
        data = get_json(client, url_name, {**(params or {}), "page": page, "page_size": 100})
        values += [row[field] for row in data["results"]]
        if data["next"] is None:
            return values
        page += 1


def today() -> str:
    return timezone.localdate().isoformat()


# --- the columns --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("serializer", [serializers.CompanySerializer, serializers.ProductSerializer])
def test_every_field_of_the_list_is_exported_or_deliberately_left_out(serializer):
    columns = EXPORT_COLUMNS[serializer]
    exported = {column.field for column in columns.columns}
    assert exported | columns.omitted == set(serializer().fields)
    assert not exported & columns.omitted


# --- companies ----------------------------------------------------------------------------------------------


def test_companies_as_csv(api_client, registry):
    response = export(api_client, "company-list")

    assert response["Content-Disposition"] == f'attachment; filename="companies-{today()}.csv"'
    headers, rows = csv_table(response)
    assert headers == COMPANY_HEADERS
    by_code = {row["Tax code"]: row for row in rows}
    assert [row["Tax code"] for row in rows] == json_column(api_client, "company-list", "tax_code")
    assert by_code[registry["misa"].tax_code] == {
        "Tax code": registry["misa"].tax_code,
        "Name": "Công ty Cổ phần MISA",
        "English name": "MISA Joint Stock Company",
        "Short name": "MISA",
        "Province code": "01",
        "Province": Province.objects.get(code="01").name,
        "Founded": "1994",
        "Ownership": "Joint-stock company",
        "Size": "",
        "Website": "",
        "Status": "Active",
        "Verified": "Yes",
        "Verification": "Verified",
        "Markets": "JP, KH",
        "Latest export revenue (USD)": "900000.00",
        "Latest export revenue year": "2024",
    }
    giai_phap = by_code[registry["giai_phap"].tax_code]
    assert giai_phap["Name"] == "Công ty Giải pháp Số"
    assert (giai_phap["Founded"], giai_phap["Markets"], giai_phap["Latest export revenue (USD)"]) == ("", "", "")
    assert by_code[registry["danang"].tax_code]["Verified"] == "No"


def test_companies_as_xlsx(api_client, registry):
    response = export(api_client, "company-list", fmt="xlsx")

    assert response["Content-Disposition"] == f'attachment; filename="companies-{today()}.xlsx"'
    headers, rows = xlsx_table(response)
    assert headers == COMPANY_HEADERS
    assert [row["Tax code"] for row in rows] == json_column(api_client, "company-list", "tax_code")
    misa = next(row for row in rows if row["Tax code"] == registry["misa"].tax_code)
    assert misa["Name"] == "Công ty Cổ phần MISA"
    assert misa["Province"] == Province.objects.get(code="01").name
    # Numbers are number cells (a spreadsheet sums them), empty values empty cells.
    assert misa["Latest export revenue (USD)"] == 900000
    assert isinstance(misa["Latest export revenue (USD)"], (int, float))
    assert (misa["Founded"], misa["Latest export revenue year"]) == (1994, 2024)
    assert (misa["Markets"], misa["Verified"], misa["Size"]) == ("JP, KH", "Yes", None)


@pytest.mark.parametrize(
    "params",
    [
        {"province": "48"},
        {"search": "phan mem"},
        {"search": "Đà Nẵng"},
        {"market": "JP,US"},
        {"verified": "true"},
        {"ownership": "private"},
        {"min_export_revenue": "200000"},
        {"ordering": "-founded_year"},
        {"ordering": "-export_revenue,name"},
        {"province": "01", "market": "US"},  # nothing matches: the header row alone
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_company_export_is_the_filtered_ordered_list(api_client, registry, params, fmt):
    response = export(api_client, "company-list", params, fmt=fmt)
    headers, rows = csv_table(response) if fmt == "csv" else xlsx_table(response)
    assert headers == COMPANY_HEADERS
    assert [row["Tax code"] for row in rows] == json_column(api_client, "company-list", "tax_code", params)


# --- products -----------------------------------------------------------------------------------------------


def test_products_as_csv(api_client, registry):
    response = export(api_client, "product-list")

    assert response["Content-Disposition"] == f'attachment; filename="products-{today()}.csv"'
    headers, rows = csv_table(response)
    assert headers == PRODUCT_HEADERS
    assert [int(row["ID"]) for row in rows] == json_column(api_client, "product-list", "id")
    accounting = next(row for row in rows if row["ID"] == str(registry["accounting"].pk))
    assert accounting == {
        "ID": str(registry["accounting"].pk),
        "Name": "Phần mềm kế toán MISA SME",
        "Company tax code": registry["misa"].tax_code,
        "Company": "Công ty Cổ phần MISA",
        "Category": "Phần mềm kế toán",
        "Category (English)": "Accounting software",
        "Description (Vietnamese)": "",
        "Description (English)": "",
        "Launched": "2005",
        "Maturity": "Exported",
        "Standards": "ISO/IEC 7816",
        "Certified Make in Vietnam": "Yes",
        "Certified on": "2021-03-15",
        "Certification source": "Test registry report",
        "Markets": "JP",
        "Source": "Test registry report",
    }


def test_products_as_xlsx(api_client, registry):
    response = export(api_client, "product-list", fmt="xlsx")

    assert response["Content-Disposition"] == f'attachment; filename="products-{today()}.xlsx"'
    headers, rows = xlsx_table(response)
    assert headers == PRODUCT_HEADERS
    assert [row["ID"] for row in rows] == json_column(api_client, "product-list", "id")
    station = next(row for row in rows if row["ID"] == registry["base_station"].pk)
    assert (station["Name"], station["Category"], station["Maturity"]) == ("Trạm gốc 5G", "Thiết bị 5G", "Pilot")
    assert (station["Company"], station["Certified Make in Vietnam"]) == ("Công ty TNHH Phần mềm Đà Nẵng", "No")
    assert station["Certified on"] is None
    accounting = next(row for row in rows if row["ID"] == registry["accounting"].pk)
    assert accounting["Certified on"] == datetime.datetime(2021, 3, 15)  # a date cell
    assert accounting["Launched"] == 2005


@pytest.mark.parametrize(
    "params",
    [
        {"category": "software"},
        {"search": "tram goc"},
        {"company": MISA},
        {"market": "US"},
        {"certified": "true"},
        {"ordering": "-launch_year"},
    ],
)
def test_product_export_is_the_filtered_ordered_list(api_client, registry, params):
    assert csv_column(api_client, "product-list", "Name", params) == json_column(
        api_client, "product-list", "name", params
    )


# --- negotiation ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["company-list", "product-list"])
def test_the_accept_header_chooses_the_format(api_client, registry, url_name):
    as_csv = export(api_client, url_name, fmt=None, Accept="text/csv")
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert body(as_csv).startswith(b"\xef\xbb\xbf")

    as_xlsx = export(api_client, url_name, fmt=None, Accept=XLSX)
    assert as_xlsx["Content-Type"] == XLSX
    assert body(as_xlsx).startswith(b"PK")  # a zip container

    as_json = api_client.get(reverse(url_name), headers={"Accept": "application/json"})
    assert as_json["Content-Type"] == "application/json"
    # Caches must keep the formats of one URL apart.
    for response in (as_csv, as_xlsx, as_json):
        assert "Accept" in response["Vary"]


def test_the_format_parameter_and_accept_together(api_client, registry):
    response = export(api_client, "company-list", fmt="xlsx", Accept="text/html, */*;q=0.8")  # a browser's
    assert response["Content-Type"] == XLSX
    # Contradicting each other: not acceptable (DRF's rule), and said in JSON.
    response = api_client.get(reverse("company-list"), {"format": "xlsx"}, headers={"Accept": "text/csv"})
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_are_for_lists_only(api_client, registry, fmt):
    detail = reverse("company-detail", kwargs={"tax_code": registry["misa"].tax_code})
    response = api_client.get(detail, {"format": fmt})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")

    media_type = "text/csv" if fmt == "csv" else XLSX
    response = api_client.get(detail, headers={"Accept": media_type})
    assert response.status_code == 406
    assert response["Content-Type"].startswith("application/json")

    # Other lists have no file formats.
    assert api_client.get(reverse("province-list"), {"format": fmt}).status_code == 404


# --- errors are JSON -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("url_name", "params", "invalid"),
    [
        ("company-list", {"province": "99"}, "province"),
        ("company-list", {"founded_from": "2020", "founded_to": "2000"}, "founded_to"),
        ("company-list", {"provnce": "01"}, "provnce"),
        ("product-list", {"category": "no-such-category"}, "category"),
        ("company-list", {"page": "2"}, "page"),
        ("product-list", {"page_size": "50"}, "page_size"),
    ],
)
def test_an_invalid_export_is_a_json_400(api_client, registry, fmt, url_name, params, invalid):
    body_ = get_json(api_client, url_name, {**params, "format": fmt}, status=400)
    assert invalid in body_


def test_an_error_asked_for_by_accept_is_json_too(api_client, registry):
    response = api_client.get(reverse("company-list"), {"province": "99"}, headers={"Accept": "text/csv"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "province" in response.json()


def test_paging_parameters_are_refused_with_a_reason(api_client, registry):
    data = get_json(api_client, "company-list", {"format": "csv", "page": "1", "page_size": "10"}, status=400)
    assert set(data) == {"page", "page_size"}
    assert "every matching row" in data["page"][0]


def test_an_export_has_at_most_export_max_rows(api_client, registry, settings):
    settings.EXPORT_MAX_ROWS = 3
    assert len(csv_column(api_client, "company-list", "Tax code")) == 3

    settings.EXPORT_MAX_ROWS = 2
    for fmt in ("csv", "xlsx"):
        data = get_json(api_client, "company-list", {"format": fmt}, status=400)
        assert "/api/v1/changes/" in data["format"][0]
    # A narrower query fits.
    assert csv_column(api_client, "company-list", "Tax code", {"province": "01"}) == [registry["misa"].tax_code]


# --- visibility ------------------------------------------------------------------------------------------------


@pytest.fixture
def suspended_and_unverified(world):
    """``world.other`` suspended by the officer; an unverified 2024 figure of 777,777 USD for ``world.own``."""
    company_suspend(company=world.other, by=world.officer, reason="Giấy phép bị thu hồi.")
    export_revenue_create(company=world.own, year=2024, amount_usd=Decimal("777777.00"), source=world.market.source)
    return world


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("role", ["anonymous", "read_key", "representative", "other_representative", "officer"])
def test_an_export_shows_what_the_json_list_shows(suspended_and_unverified, client_as, role, fmt):
    world = suspended_and_unverified
    client = client_as(role)
    response = export(client, "company-list", fmt=fmt)
    _headers, rows = csv_table(response) if fmt == "csv" else xlsx_table(response)

    assert [row["Tax code"] for row in rows] == json_column(client, "company-list", "tax_code")
    sees_suspended = role in {"officer", "other_representative"}
    assert (world.other.tax_code in [row["Tax code"] for row in rows]) is sees_suspended
    own = next(row for row in rows if row["Tax code"] == world.own.tax_code)
    # Lists show verified figures only, to everyone.
    assert str(own["Latest export revenue (USD)"]).startswith("1000")
    assert str(own["Latest export revenue year"]) == "2023"

    products = csv_column(client, "product-list", "Name")
    assert products == json_column(client, "product-list", "name")
    assert ("Phần mềm láng giềng" in products) is sees_suspended


def test_an_anonymous_export_has_no_suspended_company_nor_unverified_figure(suspended_and_unverified, api_client):
    world = suspended_and_unverified
    text = body(export(api_client, "company-list")).decode("utf-8")
    assert world.other.tax_code not in text and "Láng Giềng" not in text
    assert "777777" not in text and "Suspended" not in text
    assert csv_table(export(api_client, "company-list", {"search": "Láng Giềng"}))[1] == []


# --- safety of the file ----------------------------------------------------------------------------------------


def test_text_is_never_a_formula(api_client, make_company):
    company = make_company(name='=HYPERLINK("http://example.com","Bấm vào")', short_name="+84 24")

    rows = csv_table(export(api_client, "company-list"))[1]
    row = next(row for row in rows if row["Tax code"] == company.tax_code)
    assert row["Name"] == '\'=HYPERLINK("http://example.com","Bấm vào")'
    assert row["Short name"] == "'+84 24"

    response = export(api_client, "company-list", fmt="xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    sheet = workbook.worksheets[0]
    name = next(
        cells[1] for cells in sheet.iter_rows(min_row=2) if cells[0].value == company.tax_code
    )  # column B: Name
    assert name.data_type == "s"  # a string cell, never a formula
    assert name.value == '=HYPERLINK("http://example.com","Bấm vào")'


def test_an_xlsx_export_leaves_no_file_behind(api_client, registry, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    body(export(api_client, "company-list", fmt="xlsx"))
    assert list(tmp_path.iterdir()) == []


# --- cost --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["company-list", "product-list"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_query_count_does_not_grow_with_the_rows(api_client, make_companies, url_name, fmt):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            body(export(api_client, url_name, fmt=fmt))
        return len(captured)

    make_companies(2)
    few = queries()
    make_companies(6)
    assert queries() == few
    assert few <= 6


# --- schema --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize("path", ["/api/v1/companies/", "/api/v1/products/"])
def test_the_schema_documents_the_export_formats(schema, path):
    operation = schema["paths"][path]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["application/json", "text/csv", XLSX]
    assert operation["responses"]["200"]["content"][XLSX]["schema"] == {"type": "string", "format": "binary"}
    assert list(operation["responses"]["400"]["content"]) == ["application/json"]  # errors are JSON
    [format_parameter] = [parameter for parameter in operation["parameters"] if parameter["name"] == "format"]
    assert set(format_parameter["schema"]["enum"]) == {"json", "csv", "xlsx"}
    assert "format=csv" in operation["description"]


def test_the_schema_has_no_export_format_on_other_operations(schema):
    detail = schema["paths"]["/api/v1/companies/{tax_code}/"]["get"]
    assert list(detail["responses"]["200"]["content"]) == ["application/json"]
    assert "format" not in [parameter["name"] for parameter in detail.get("parameters", [])]
