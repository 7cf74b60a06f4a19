"""Realistic, deterministic demo data at national scale (issue 5): Vietnamese company names with
diacritics, valid enterprise codes, all 34 provinces, skewed categories, 0-20 products and 0-30 markets per
company, yearly revenue series (totals and per-country figures). Every demo company cites the
``demo-data`` source, so ``remove_demo_data()`` finds and deletes exactly them (with their products,
markets and figures).

Rows are built as plain tuples and written with ``COPY`` on PostgreSQL (``executemany`` elsewhere), a
batch of companies at a time, past the models and services: they are not in the change log, and they are
not meant for production databases.
Primary keys are allocated here (after the largest existing one) and the sequences are reset afterwards,
so nothing else may write to these tables while the generator runs.
"""

import contextlib
import functools
import math
import random
import sys
import time
from bisect import bisect
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import accumulate

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django_countries import countries
from stdnum.vn import mst

from companies.models import (
    Company,
    CompanyStatus,
    ExportMarket,
    ExportRevenue,
    MarketKind,
    Ownership,
    Province,
    SizeBand,
    Source,
    VerificationState,
)
from companies.services import source_upsert
from products.models import Category, Maturity, Product, Standard
from registry.text import fold
from seeds.models import DeferredStatement

try:
    import resource  # Unix only: the process's peak memory, for the report
except ImportError:
    resource = None

DEMO_SOURCE_KEY = "demo-data"
# The rows of this many companies are generated, then written, then forgotten, before the next ones: the
# generator's memory stays the same whatever the number of companies.
BATCH_COMPANIES = 5_000

_FORMS = ["Công ty Cổ phần", "Công ty TNHH", "Công ty TNHH MTV", "Tập đoàn", "Công ty Cổ phần Tập đoàn"]
_FIELDS = [
    "Công nghệ", "Phần mềm", "Giải pháp Số", "Viễn thông", "Điện tử", "Dữ liệu", "An ninh Mạng", "Trí tuệ Nhân tạo",
    "Thiết bị Thông minh", "Chuyển đổi Số", "Tin học", "Hệ thống Thông tin", "Công nghệ Tài chính", "Bán dẫn",
]  # fmt: skip
_NAMES = [
    "Ánh Dương", "Bình Minh", "Đông Á", "Hòa Phát", "Hưng Thịnh", "Kim Long", "Lạc Hồng", "Minh Khôi", "Nam Việt",
    "Phú Quý", "Phương Đông", "Quang Trung", "Sao Việt", "Tân Tiến", "Thăng Long", "Thiên Hà", "Trường Sơn",
    "Việt Tiến", "Vạn Xuân", "Hồng Hà", "Cửu Long", "Đại Dương", "Tràng An", "Hải Đăng", "Sông Hàn", "Ngọc Lan",
    "Bạch Đằng", "Hùng Vương", "Âu Lạc", "Đất Việt", "Mê Kông", "Tây Nguyên", "Phố Hiến", "Kinh Bắc", "Xứ Đoài",
]  # fmt: skip
_PRODUCT_WORDS = [
    "Nền tảng", "Hệ thống", "Giải pháp", "Ứng dụng", "Phần mềm", "Thiết bị", "Dịch vụ", "Bộ công cụ", "Cổng",
]  # fmt: skip
_PRODUCT_TOPICS = [
    "quản lý cảng biển", "kế toán", "hóa đơn điện tử", "nhận diện khuôn mặt", "dịch máy", "giám sát an ninh mạng",
    "thanh toán số", "quản trị nhân sự", "trạm gốc 5G", "thẻ thông minh", "bệnh viện thông minh", "giáo dục trực tuyến",
    "logistics", "định danh điện tử", "camera AI", "chữ ký số", "ngân hàng lõi", "thương mại điện tử",
]  # fmt: skip
_ENGLISH_FORMS = {"Công ty Cổ phần": "JSC", "Công ty TNHH": "Co., Ltd", "Công ty TNHH MTV": "One Member Co., Ltd",
                  "Tập đoàn": "Group", "Công ty Cổ phần Tập đoàn": "Group JSC"}  # fmt: skip
# Most firms are registered where most firms are: Hà Nội and Hồ Chí Minh City.
_PROVINCE_WEIGHT = {"01": 30, "79": 30, "48": 5, "31": 4, "92": 2, "75": 3, "24": 3}
_NEAR_MARKETS = ["LA", "KH", "JP", "KR", "US", "SG", "TH", "MM", "DE", "AU", "CN", "IN", "FR", "GB", "MY"]
_PRODUCT_DESCRIPTION = "Sản phẩm công nghệ Make in Vietnam."

# The folded forms of the few phrases every name is built from, computed once.
_fold = functools.lru_cache(maxsize=None)(fold)


def _fold_join(*parts: str) -> str:
    """``registry.text.fold_join`` from cached folds of its parts (the parts repeat across rows)."""
    return "\n".join(folded for folded in map(_fold, parts) if folded)


@dataclass
class DemoReport:
    rows: dict = field(default_factory=dict)
    seconds: float = 0.0
    peak_memory_bytes: int | None = None  # of the whole process, where the platform tells

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        lines = [f"{table}: {count:,} rows" for table, count in self.rows.items()]
        summary = f"{self.total_rows:,} rows in {self.seconds:.1f} s: {self.rows_per_second:,.0f} rows/s"
        if self.peak_memory_bytes is not None:
            summary += f", peak memory {self.peak_memory_bytes / 2**20:,.0f} MiB"
        lines.append(summary)
        return lines


def _peak_memory_bytes() -> int | None:
    """This process's peak resident memory so far (``None`` where the platform does not tell)."""
    if resource is None:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux


class _Table:
    """One table's rows, as tuples: the ``columns`` given to ``add`` (in that order), then every other
    column set to its model default (or to ``fixed``). ``write`` writes the rows added since the last
    write and forgets them; ``written`` counts them all."""

    def __init__(self, model: type[models.Model], columns: list[str], *, fixed: dict | None = None):
        self.model = model
        now = timezone.now().isoformat()  # text: COPY's timestamp adapter is three times slower
        fixed = fixed or {}
        tail = {}
        for model_field in model._meta.concrete_fields:
            name = model_field.attname
            if name in columns or model_field.primary_key:
                continue
            if name in fixed:
                tail[name] = fixed[name]
            elif isinstance(model_field, models.DateTimeField) and (model_field.auto_now or model_field.auto_now_add):
                tail[name] = now
            elif model_field.has_default():
                tail[name] = model_field.get_default()
            else:
                tail[name] = "" if model_field.empty_strings_allowed and not model_field.null else None
        self.attnames = [*columns, *tail]
        self.columns = [model._meta.get_field(name).column for name in self.attnames]
        self._tail = tuple(tail.values())
        self._width = len(columns)
        self.rows: list[tuple] = []
        self.written = 0

    def add(self, *values) -> None:
        """One row: the values of ``columns``, in their order."""
        assert len(values) == self._width
        self.rows.append(values + self._tail)

    def write(self) -> None:
        """Write the rows added since the last write, and forget them: ``COPY`` on PostgreSQL; elsewhere
        ``executemany``, with values prepared by their fields (on SQLite, for instance, decimals and
        datetimes need it)."""
        quote = connection.ops.quote_name
        table, columns = quote(self.model._meta.db_table), ", ".join(map(quote, self.columns))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                fields = [self.model._meta.get_field(name) for name in self.attnames]
                prepared = [
                    [
                        model_field.get_db_prep_save(value, connection)
                        for model_field, value in zip(fields, row, strict=True)
                    ]
                    for row in self.rows
                ]
                placeholders = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", prepared)
        self.written += len(self.rows)
        self.rows.clear()


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(largest=Max("pk"))["largest"] or 0) + 1


@contextlib.contextmanager
def _bulk_loading(tables: list[type[models.Model]]):
    """On PostgreSQL, load the tables the way its manual advises ("Populating a Database"): drop their
    foreign keys, unique constraints and indexes (all but the primary keys) for the body of the block,
    then add them back, each checked or built in one pass instead of row by row, and refresh the planner's
    statistics. The DDL is part of the load's transaction: if the load fails, nothing is lost.

    The trigram (GIN) indexes, the slowest to build, and ``VACUUM ANALYZE`` (statistics for the planner, and
    the visibility map that lets counts read indexes alone) are left for after the commit, two at a time
    (``run_deferred_statements``). They are written down in the load's transaction (``DeferredStatement``):
    if the process dies after the commit, the next run builds what this one could not."""
    if connection.vendor != "postgresql":
        yield
        return
    quote = connection.ops.quote_name
    names = [model._meta.db_table for model in tables]
    with connection.cursor() as cursor:
        # A table with foreign-key checks still pending (rows written earlier in this transaction) cannot be
        # altered: run the checks now. Django's foreign keys are deferred again below.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Foreign keys first (they may depend on the unique indexes), then unique constraints.
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype IN ('f', 'u') AND conrelid = ANY(%s::regclass[]) ORDER BY contype",
            [names],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary"
            " AND indexrelid NOT IN (SELECT conindid FROM pg_constraint)"
            " ORDER BY pg_relation_size(indrelid) DESC, pg_relation_size(indexrelid) DESC",
            [names],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    search_indexes = [definition for _name, definition in indexes if " USING gin " in definition]
    yield
    DeferredStatement.objects.bulk_create(
        DeferredStatement(statement=statement)
        for statement in [
            *(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1) for definition in search_indexes),
            *(f"VACUUM (ANALYZE) {quote(name)}" for name in names),
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            if definition not in search_indexes:
                cursor.execute(definition)
        for table, name, definition in reversed(constraints):
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def run_deferred_statements() -> int:
    """Run the statements that loads left for after their commit (``DeferredStatement``), this load's and
    any that an interrupted one left; returns how many. Two at a time (building a GIN index keeps one core
    busy; the machine has more), each on its own connection; or one by one on this connection inside a
    transaction (a test's), whose uncommitted rows other connections cannot see."""
    deferred = list(DeferredStatement.objects.all())
    if connection.in_atomic_block:
        for each in deferred:
            _run_deferred(each)
    elif deferred:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(_run_deferred_on_own_connection, deferred))  # list(): re-raise the first failure
    return len(deferred)


def _run_deferred_on_own_connection(deferred: DeferredStatement) -> None:
    try:
        _run_deferred(deferred)
    finally:
        connection.close()  # this thread's own connection


def _run_deferred(deferred: DeferredStatement) -> None:
    """Run one deferred statement and delete its row. An index build and the deletion are one transaction,
    holding the row's lock: another process finishing the same rows skips it, and a build cut short leaves
    its row. ``VACUUM`` cannot run in a transaction: its row is deleted first (a ``VACUUM`` lost to a crash
    is autovacuum's to do)."""
    if deferred.runs_in_a_transaction:
        with transaction.atomic(), connection.cursor() as cursor:
            claimed = DeferredStatement.objects.select_for_update(skip_locked=True).filter(pk=deferred.pk)
            if not list(claimed.values_list("pk", flat=True)):
                return  # run, or being run, by another process
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute(deferred.statement)
            claimed.delete()
        return
    if not DeferredStatement.objects.filter(pk=deferred.pk).delete()[0]:
        return
    statement = deferred.statement
    if connection.in_atomic_block:
        statement = statement.replace("VACUUM (ANALYZE)", "ANALYZE")  # the statistics, at least
    with connection.cursor() as cursor:
        cursor.execute(statement)


class _Draw:
    """Draws from one seeded generator, built on ``random()`` alone: ``random.Random``'s own ``choice``,
    ``randint`` and ``choices`` are general and several times slower, and millions of rows call them."""

    def __init__(self, seed: int):
        self.random = random.Random(seed).random

    def pick(self, items: list):
        return items[int(self.random() * len(items))]

    def between(self, low: int, high: int) -> int:
        """A whole number from ``low`` to ``high``, both included."""
        return low + int(self.random() * (high - low + 1))

    def weighted(self, items: list, cumulative_weights: list[float]):
        return items[bisect(cumulative_weights, self.random() * cumulative_weights[-1])]

    def skewed_count(self, maximum: int, mean: float) -> int:
        """A count from 0 to ``maximum``, most of them small (exponentially distributed), a few large."""
        return min(maximum, int(-math.log(1.0 - self.random()) * mean))


def _tax_codes(draw: _Draw, provinces: list[str], taken: set[str]):
    """Endless distinct valid enterprise codes: a province prefix, a sequence, the check digit."""
    sequence = 3_000_000 + draw.between(0, 999_999)
    while True:
        sequence += 1
        first_nine = f"{draw.pick(provinces)}{sequence % 10_000_000:07d}"
        check = mst.calc_check_digit(first_nine)
        code = first_nine + check
        if len(check) == 1 and code not in taken:
            taken.add(code)
            yield code


def _usd(cents: int) -> str:
    """Cents as the decimal text COPY takes for a money column (whole-number arithmetic is faster)."""
    return f"{cents // 100}.{cents % 100:02d}"


def generate_demo_data(*, companies: int, seed: int) -> DemoReport:
    """Generate and load ``companies`` demo companies with everything they have, the same for the same
    ``seed``; the report counts the rows and the time to generate, load, index and commit them."""
    started = time.perf_counter()
    # A failed load is rolled back whole, its dropped indexes and deferred statements with it.
    rows = _generate_and_load(companies=companies, seed=seed)
    run_deferred_statements()
    return DemoReport(rows=rows, seconds=time.perf_counter() - started, peak_memory_bytes=_peak_memory_bytes())


@transaction.atomic
def _generate_and_load(*, companies: int, seed: int) -> dict[str, int]:
    """Generate and load the rows in one transaction (leaving statements for after it: ``_bulk_loading``);
    returns the row counts."""
    draw = _Draw(seed)
    source = source_upsert(key=DEMO_SOURCE_KEY, title="Generated demo data (not real firms)", publisher="miv-registry")
    provinces = list(Province.objects.order_by("code").values_list("code", flat=True))
    province_weights = list(accumulate(_PROVINCE_WEIGHT.get(code, 1) for code in provinces))
    categories = list(Category.objects.filter(numchild=0).order_by("path"))
    if not categories:
        raise ValueError("No categories: run `manage.py seed` first.")
    category_weights = list(accumulate(1 / (rank + 1) for rank in range(len(categories))))  # Zipf-like
    standard_ids = list(Standard.objects.order_by("code").values_list("pk", flat=True))
    foreign = [code for code, _name in countries if code != "VN"]
    taken = set(Company.objects.values_list("tax_code", flat=True))
    codes = _tax_codes(draw, provinces, taken)
    now = timezone.now()
    this_year, now_text = now.year, now.isoformat()
    kinds, kind_weights = list(MarketKind.values), list(accumulate([60, 15, 15, 3, 7]))
    maturities, maturity_weights = list(Maturity.values), list(accumulate([5, 15, 60, 20]))
    verifications, verification_weights = list(VerificationState.values), list(accumulate([55, 10, 33, 2]))
    ownership_weights, size_weights = list(accumulate([45, 45, 8, 2])), list(accumulate([50, 30, 15, 5]))
    ownerships = [Ownership.JOINT_STOCK, Ownership.LIMITED_LIABILITY, Ownership.PRIVATE, Ownership.STATE_OWNED]
    size_bands = [SizeBand.MICRO, SizeBand.SMALL, SizeBand.MEDIUM, SizeBand.LARGE]

    demo_source = {"source_id": source.pk}
    company_table = _Table(
        Company,
        ["id", "tax_code", "name", "name_en", "short_name", "slug", "province_id", "founded_year", "ownership",
         "size_band", "status", "verification", "verified_at", "description_vi", "description_en", "search_name",
         "search_body", "search_products"],
        fixed=demo_source,
    )  # fmt: skip
    product_table = _Table(
        Product,
        ["id", "company_id", "name", "slug", "category_id", "maturity", "launch_year", "search_name", "search_context"],
        fixed={**demo_source, "description_vi": _PRODUCT_DESCRIPTION, "search_body": _fold(_PRODUCT_DESCRIPTION)},
    )
    market_table = _Table(ExportMarket, ["id", "company_id", "country", "kind", "since_year"], fixed=demo_source)
    revenue_table = _Table(
        ExportRevenue, ["id", "company_id", "year", "country", "amount_usd", "verified"], fixed=demo_source
    )
    product_markets = _Table(
        Product.export_markets.through, ["product_id", "exportmarket_id", "country", "category_id", "product_name"]
    )
    product_standards = _Table(Product.standards.through, ["product_id", "standard_id"])
    # Folded category names, for the products' search context.
    category_context = {category.pk: _fold_join(category.name, category.name_en) for category in categories}
    company_id, product_id, market_id, revenue_id = map(_next_id, (Company, Product, ExportMarket, ExportRevenue))
    product_description = _fold(_PRODUCT_DESCRIPTION)

    tables = {
        "companies": company_table,
        "products": product_table,
        "export_markets": market_table,
        "export_revenues": revenue_table,
        "product_markets": product_markets,
        "product_standards": product_standards,
    }
    models_loaded = [table.model for table in tables.values()]
    with _bulk_loading(models_loaded):
        for index in range(companies):
            form, trade, name = draw.pick(_FORMS), draw.pick(_FIELDS), draw.pick(_NAMES)
            legal, short_name = f"{form} {trade} {name}", f"{name} {index}"
            name_en = f"{_fold(name).title()} {_fold(trade).title()} {_ENGLISH_FORMS[form]}"
            tax_code = next(codes)
            founded_year = draw.between(1990, this_year)
            verification = draw.weighted(verifications, verification_weights)
            description_vi = f"Doanh nghiệp {trade.lower()} tại Việt Nam."
            description_en = f"{_fold(trade).title()} company in Vietnam."
            short_name_folded = f"{_fold(name)} {index}"
            company_search_context = f"{_fold(legal)}\n{_fold(name_en)}\n{short_name_folded}"  # its search_name

            market_count = draw.skewed_count(30, 2.5)
            market_countries: set[str] = set()
            while len(market_countries) < market_count:
                market_countries.add(draw.pick(_NEAR_MARKETS) if draw.random() < 0.7 else draw.pick(foreign))
            markets = []  # (id, country)
            for country in sorted(market_countries):
                market_table.add(
                    market_id,
                    company_id,
                    country,
                    draw.weighted(kinds, kind_weights),
                    draw.between(max(founded_year, 2000), this_year),
                )
                markets.append((market_id, country))
                market_id += 1

            if market_countries and max(founded_year, 2005) < this_year:
                first_year = draw.between(max(founded_year, 2005), this_year - 1)
                cents = draw.between(10_000, 5_000_000) * 100
                # The largest markets are also reported one by one, as a share of the total.
                broken_down = sorted(market_countries)[: draw.between(0, 3)]
                for year in range(first_year, this_year):
                    verified = draw.random() < 0.6
                    revenue_table.add(revenue_id, company_id, year, "", _usd(cents), verified)  # "": the total
                    revenue_id += 1
                    remaining = cents
                    for country in broken_down:
                        share = remaining * draw.between(20, 60) // 100
                        remaining -= share
                        revenue_table.add(revenue_id, company_id, year, country, _usd(share), verified)
                        revenue_id += 1
                    cents = cents * draw.between(85, 145) // 100  # -15% to +45% a year

            product_texts = []
            for number in range(draw.skewed_count(20, 5)):
                category = draw.weighted(categories, category_weights)
                word, topic = draw.pick(_PRODUCT_WORDS), draw.pick(_PRODUCT_TOPICS)
                product_name = f"{word} {topic} {short_name}"
                search_name = f"{_fold(word)} {_fold(topic)} {short_name_folded}"  # = fold(product_name), faster
                product_table.add(
                    product_id,
                    company_id,
                    product_name,
                    f"p{number}",
                    category.pk,
                    draw.weighted(maturities, maturity_weights),
                    draw.between(founded_year, this_year),
                    search_name,
                    f"{category_context[category.pk]}\n{company_search_context}",
                )
                product_texts += [search_name, product_description, category.search_name]
                for chosen_market, country in markets[: draw.between(0, 3)]:
                    product_markets.add(product_id, chosen_market, country, category.pk, product_name)  # with copies
                if standard_ids and draw.random() < 0.3:
                    product_standards.add(product_id, draw.pick(standard_ids))
                product_id += 1

            company_table.add(
                company_id,
                tax_code,
                legal,
                name_en,
                short_name,
                f"demo-{tax_code}",
                draw.weighted(provinces, province_weights),
                founded_year,
                draw.weighted(ownerships, ownership_weights),
                draw.weighted(size_bands, size_weights),
                CompanyStatus.ACTIVE if draw.random() < 0.97 else CompanyStatus.SUSPENDED,
                verification,
                now_text if verification == VerificationState.VERIFIED else None,
                description_vi,
                description_en,
                company_search_context,
                _fold_join(description_vi, description_en),
                "\n".join(dict.fromkeys(product_texts)),  # as company_refresh_product_search does
            )
            company_id += 1
            if (index + 1) % BATCH_COMPANIES == 0 or index + 1 == companies:
                for table in tables.values():
                    table.write()
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models_loaded):
                cursor.execute(statement)
    return {label: table.written for label, table in tables.items()}


@transaction.atomic
def remove_demo_data() -> int:
    """Delete every demo company with its products, markets and figures; returns how many companies."""
    demo = Company.objects.filter(source__key=DEMO_SOURCE_KEY)
    count = demo.count()
    Product.export_markets.through.objects.filter(product__company__in=demo).delete()
    Product.standards.through.objects.filter(product__company__in=demo).delete()
    Product.objects.filter(company__in=demo).delete()
    ExportMarket.objects.filter(company__in=demo).delete()
    ExportRevenue.objects.filter(company__in=demo).delete()
    demo.delete()
    Source.objects.filter(key=DEMO_SOURCE_KEY).delete()
    return count
