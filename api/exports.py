"""CSV and XLSX exports of the company and product lists.

``GET /api/v1/companies/?format=csv`` (or ``format=xlsx``, or ``Accept: text/csv`` / the XLSX media type)
answers the same list as the JSON one, with the same filters, search, ordering and visibility, but every
matching row instead of a page, as a file to download. The rows are read from the database in chunks
(``QuerySet.iterator``, with the list's prefetches done per chunk) and written one by one, so memory stays
flat however many rows there are:

* CSV is streamed to the client as it is written: UTF-8 with a byte order mark (so that spreadsheet
  software reads Vietnamese text as UTF-8), CRLF line endings, one header row.
* XLSX (XlsxWriter in ``constant_memory`` mode) is written row by row to a temporary file, which is then
  streamed back; the file is anonymous and disappears when the response is closed.

Each column is one field of the list's own output serializer (``CompanySerializer``,
``ProductSerializer``), flattened to readable text, so the export and the JSON list can never disagree:
``EXPORT_COLUMNS`` declares, per serializer, the columns and the serializer fields left out on purpose, and
a test checks that every field is one or the other. An export has at most ``settings.EXPORT_MAX_ROWS`` rows
(a larger one is refused with 400 before anything is written) and takes no ``page`` or ``page_size``. An
error is always answered as JSON, whatever format was asked for.
"""

import csv
import datetime
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from . import serializers
from .pagination import NARROW_THE_QUERY, count_up_to

# Rows read from the database at a time: each chunk costs one query per prefetched relation, and its rows
# (with their prefetched objects) are what an export holds in memory (bench/results/exports.md: a Python
# heap peak of about 4 MiB for a whole export of 100,000 companies).
CHUNK_SIZE = 500
# Bytes of CSV gathered before they are handed to the server, so that it does not write one line at a time.
CSV_FLUSH_BYTES = 64 * 1024
# Spreadsheet software runs a cell that starts with one of these as a formula ("CSV injection"): such a
# text cell of the CSV gets a leading apostrophe. XLSX cells are typed, so a text cell there is never run.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

TEXT, NUMBER, DATE = "text", "number", "date"


# --- columns ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: its header, the serializer field it shows, and how that field's serialized value becomes
    the cell (``part``: a nested key, a join of a list, ...). ``kind`` says how the cell is typed: text,
    a number (a number cell in XLSX) or a date (a date cell in XLSX); ``choice`` shows a choice's label
    (from the serializer field) instead of its code; ``width`` is the XLSX column width in characters."""

    header: str
    field: str
    part: Callable[[Any], Any] | None = None
    kind: str = TEXT
    choice: bool = False
    width: int = 18


def key(name: str) -> Callable[[Any], Any]:
    """The ``name`` item of a nested object, or nothing when the object is null."""
    return lambda value: None if value is None else value[name]


def joined(name: str | None = None) -> Callable[[Any], str]:
    """A list's items (their ``name`` item, for a list of objects) joined with commas."""
    return lambda items: ", ".join(str(item if name is None else item[name]) for item in items or ())


def yes_no(value) -> str:
    return "Yes" if value else "No"


@dataclass(frozen=True)
class ExportColumns:
    """The columns of one output serializer, and the fields of it deliberately not exported."""

    columns: tuple[Column, ...]
    omitted: frozenset[str] = frozenset()


COMPANY_COLUMNS = ExportColumns(
    columns=(
        Column("Tax code", "tax_code", width=14),
        Column("Name", "name", width=45),
        Column("English name", "name_en", width=40),
        Column("Short name", "short_name"),
        Column("Province code", "province", key("code"), width=9),
        Column("Province", "province", key("name"), width=22),
        Column("Founded", "founded_year", kind=NUMBER, width=9),
        Column("Ownership", "ownership", choice=True, width=28),
        Column("Size", "size_band", choice=True, width=9),
        Column("Website", "website", width=30),
        Column("Status", "status", choice=True, width=10),
        Column("Verified", "verified", yes_no, width=9),
        Column("Verification", "verification", choice=True, width=14),
        Column("Markets", "markets", joined(), width=20),
        Column("Latest export revenue (USD)", "latest_export_revenue", key("amount_usd"), kind=NUMBER, width=16),
        Column("Latest export revenue year", "latest_export_revenue", key("year"), kind=NUMBER, width=12),
    ),
    omitted=frozenset({"slug"}),  # a URL part, not a fact
)

PRODUCT_COLUMNS = ExportColumns(
    columns=(
        Column("ID", "id", kind=NUMBER, width=8),
        Column("Name", "name", width=40),
        Column("Company tax code", "company", key("tax_code"), width=14),
        Column("Company", "company", key("name"), width=40),
        Column("Category", "category", key("name"), width=24),
        Column("Category (English)", "category", key("name_en"), width=24),
        Column("Description (Vietnamese)", "description_vi", width=50),
        Column("Description (English)", "description_en", width=50),
        Column("Launched", "launch_year", kind=NUMBER, width=9),
        Column("Maturity", "maturity", choice=True, width=12),
        Column("Standards", "standards", joined("name"), width=24),
        Column("Certified Make in Vietnam", "certified", yes_no, width=10),
        Column("Certified on", "certified_on", kind=DATE, width=12),
        Column("Certification source", "certification_source", key("title"), width=30),
        Column("Markets", "markets", joined(), width=20),
        Column("Source", "source", key("title"), width=30),
    ),
    omitted=frozenset({"slug"}),
)

EXPORT_COLUMNS = {
    serializers.CompanySerializer: COMPANY_COLUMNS,
    serializers.ProductSerializer: PRODUCT_COLUMNS,
}


class Table:
    """The columns of a serializer bound to one instance of it: ``cells(obj)`` serializes ``obj`` exactly
    as the JSON list does and returns its row of typed cells (str, Decimal or int, date, or None)."""

    def __init__(self, serializer, columns: ExportColumns):
        self.serializer = serializer
        fields = serializer.fields
        # A serializer answering selected fields only (``?fields=``) has the columns of those.
        self.columns = [column for column in columns.columns if column.field in fields]
        self._cells = [self._cell_of(column, fields[column.field]) for column in self.columns]

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    @staticmethod
    def _cell_of(column: Column, field) -> Callable[[dict], Any]:
        name, part, kind = column.field, column.part, column.kind
        labels = dict(field.choices) if column.choice else None

        def cell(row: dict):
            value = row[name]
            if part is not None:
                value = part(value)
            if value is None or value == "":
                return None
            if labels is not None:
                return str(labels.get(value, value))
            if kind == NUMBER:
                return value if isinstance(value, int) else Decimal(value)
            if kind == DATE:
                return datetime.date.fromisoformat(value)
            return str(value)

        return cell

    def cells(self, obj) -> list:
        row = self.serializer.to_representation(obj)
        return [cell(row) for cell in self._cells]


# --- renderers ----------------------------------------------------------------------------------------------


class ExportRenderer(BaseRenderer):
    """A file format of the lists. It renders no ``Response``: ``ExportMixin`` hands it the rows to stream
    (``response()``), and answers anything else (an error) as JSON."""

    charset = None
    extension = ""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        raise NotImplementedError("Exports are streamed by ExportMixin; errors are rendered as JSON.")

    def response(self, *, table: Table, rows: Iterable, filename: str, title: str):
        raise NotImplementedError


class EchoLines:
    """A file-like object whose ``write`` returns what it was given, so that ``csv.writer`` formats one row
    at a time without keeping anything."""

    def write(self, line: str) -> str:
        return line


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


class CSVRenderer(ExportRenderer):
    media_type = "text/csv"
    format = "csv"
    extension = "csv"

    def lines(self, table: Table, rows: Iterable) -> Iterator[bytes]:
        writer = csv.writer(EchoLines(), lineterminator="\r\n")
        buffered = ["\ufeff" + writer.writerow(table.headers)]
        size = 0
        for obj in rows:
            line = writer.writerow([csv_cell(value) for value in table.cells(obj)])
            buffered.append(line)
            size += len(line)
            if size >= CSV_FLUSH_BYTES:
                yield "".join(buffered).encode("utf-8")
                buffered, size = [], 0
        yield "".join(buffered).encode("utf-8")

    def response(self, *, table, rows, filename, title):
        response = StreamingHttpResponse(self.lines(table, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response


class XLSXRenderer(ExportRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    extension = "xlsx"

    def write(self, output, table: Table, rows: Iterable, title: str) -> None:
        """Write the workbook to the binary file ``output``."""
        with tempfile.TemporaryDirectory(prefix="miv-export-") as scratch:
            # constant_memory: each row goes to a scratch file as soon as the next one starts, strings inline.
            # Values are written with their explicit type: a text is never read as a formula, number or link.
            workbook = xlsxwriter.Workbook(
                output,
                {
                    "constant_memory": True,
                    "tmpdir": scratch,
                    "strings_to_formulas": False,
                    "strings_to_numbers": False,
                    "strings_to_urls": False,
                },
            )
            try:
                sheet = workbook.add_worksheet(title)
                bold = workbook.add_format({"bold": True})
                dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
                for index, column in enumerate(table.columns):
                    sheet.set_column(index, index, column.width)
                sheet.write_row(0, 0, table.headers, bold)
                sheet.freeze_panes(1, 0)
                count = 0
                for count, obj in enumerate(rows, start=1):
                    for index, value in enumerate(table.cells(obj)):
                        if value is None:
                            continue
                        if isinstance(value, str):
                            sheet.write_string(count, index, value)
                        elif isinstance(value, datetime.date):
                            sheet.write_datetime(count, index, value, dates)
                        else:
                            sheet.write_number(count, index, value)
                sheet.autofilter(0, 0, count, len(table.columns) - 1)
            finally:
                workbook.close()  # also removes its scratch files; the directory goes with the block

    def response(self, *, table, rows, filename, title):
        output = tempfile.TemporaryFile(prefix="miv-export-")  # no name on disk: gone once closed
        try:
            self.write(output, table, rows, title)
            output.seek(0)
        except BaseException:
            output.close()
            raise
        # FileResponse reads it back in blocks and closes it when the response is closed.
        return FileResponse(output, as_attachment=True, filename=filename, content_type=self.media_type)


EXPORT_RENDERERS = (CSVRenderer, XLSXRenderer)


# --- the list viewsets' side --------------------------------------------------------------------------------


def released(objects: Iterable) -> Iterator:
    """``objects``, each one's prefetched rows forgotten once it has been written. They refer back to it (the
    rows to their parent, the prefetched queryset to its instance): a reference cycle, which would keep a
    chunk in memory until the cycle collector ran, rather than free it as soon as the next chunk is read."""
    for obj in objects:
        yield obj
        obj.__dict__.pop("_prefetched_objects_cache", None)


class ExportMixin:
    """For a list viewset: ``format=csv`` / ``format=xlsx`` (or the ``Accept`` header) answer the whole
    filtered, ordered list as a file. The formats exist for ``list`` only: a detail URL asked for one is
    404 (``format``) or 406 (``Accept``), as for any format a view does not have."""

    def get_renderers(self):
        renderers = super().get_renderers()
        if getattr(self, "action", None) == "list":
            renderers += [renderer_class() for renderer_class in EXPORT_RENDERERS]
        return renderers

    @property
    def exporting(self) -> ExportRenderer | None:
        renderer = getattr(self.request, "accepted_renderer", None)
        return renderer if isinstance(renderer, ExportRenderer) else None

    def list(self, request, *args, **kwargs):
        renderer = self.exporting
        if renderer is None:
            return super().list(request, *args, **kwargs)
        paging = [
            name
            for name in (self.paginator.page_query_param, self.paginator.page_size_query_param)
            if name in request.query_params
        ]
        if paging:
            message = "An export has every matching row: leave out page and page_size."
            raise ValidationError({name: [message] for name in paging})
        queryset = self.filter_queryset(self.get_queryset())
        limit = settings.EXPORT_MAX_ROWS
        if count_up_to(queryset, limit) > limit:
            raise ValidationError(
                {"format": [f"An export has at most {limit:,} rows and more match: {NARROW_THE_QUERY}"]}
            )
        serializer_class = self.get_serializer_class()
        table = Table(self.get_serializer(), EXPORT_COLUMNS[serializer_class])
        plural = str(queryset.model._meta.verbose_name_plural)
        filename = f"{plural}-{timezone.localdate().isoformat()}.{renderer.extension}"
        rows = released(queryset.iterator(chunk_size=CHUNK_SIZE))
        return renderer.response(table=table, rows=rows, filename=filename, title=plural.title())

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and self.exporting is not None:
            # Not a file (an error, say): answered as JSON, never fed to a file format.
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        # DRF adds "Vary: Accept" itself: these views have more than one renderer.
        return super().finalize_response(request, response, *args, **kwargs)


# --- OpenAPI ------------------------------------------------------------------------------------------------

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=["json", "csv", "xlsx"],
    description="json (default): a page of results; csv or xlsx: every matching row as a file.",
)


def export_list_schema(*, responses: dict, description: str = "", **schema) -> dict:
    """``extend_schema`` arguments of a list operation with exports: its ``responses``
    (``{200: serializer(many=True), 400: ..., ...}``) are JSON, and its 200 is also CSV and XLSX."""
    documented = {}
    for code, response in responses.items():
        if code == 200 and not isinstance(response, OpenApiResponse):
            response = OpenApiResponse(response, description="A page of results; with format=csv or xlsx, a file.")
        documented[(code, JSONRenderer.media_type)] = response
        if code == 200:
            documented[(200, CSVRenderer.media_type)] = OpenApiTypes.STR
            documented[(200, XLSXRenderer.media_type)] = OpenApiTypes.BINARY
    exports = (
        "With `format=csv` or `format=xlsx` (or `Accept: text/csv` or `Accept: "
        f"{XLSXRenderer.media_type}`), the answer is every matching row, not a page, as a file to download "
        "(`Content-Disposition: attachment`), with the same filters, search, ordering and visibility as the "
        "JSON list: one row per result, columns with readable names, nested values flattened to text. CSV is "
        "UTF-8 with a byte order mark and CRLF line endings. `page` and `page_size` do not apply to an export "
        f"(400), and an export has at most {settings.EXPORT_MAX_ROWS:,} rows (400 when more match: narrow the query). Errors "
        "are JSON whatever the format."
    )
    return {
        **schema,
        "description": f"{description}\n\n{exports}" if description else exports,
        "parameters": [*schema.get("parameters", ()), FORMAT_PARAMETER],
        "responses": documented,
    }
