"""Realistic, deterministic demo data at national scale (issue 5): Vietnamese company names with
diacritics, valid enterprise codes, all 34 provinces, skewed categories, 0-20 products and 0-30 markets per
company, yearly revenue series. Loaded with bulk inserts; every demo company cites the ``demo-data`` source,
so ``remove_demo_data()`` finds and deletes exactly them (with their products, markets and figures).

Demo rows are written in bulk, past the services: they are not in the change log, and they are not meant
for production databases.
"""

import datetime
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django_countries import countries
from stdnum.vn import mst

from companies.models import Company, ExportMarket, ExportRevenue, MarketKind, Ownership, Province, SizeBand, Source
from companies.services import source_upsert
from products.models import Category, Maturity, Product, Standard
from registry.text import fold_join

DEMO_SOURCE_KEY = "demo-data"
BATCH_SIZE = 5000

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


@dataclass
class DemoReport:
    rows: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def lines(self) -> list[str]:
        lines = [f"{table}: {count} rows" for table, count in self.rows.items()]
        rate = self.total_rows / self.seconds if self.seconds else 0
        lines.append(f"{self.total_rows} rows in {self.seconds:.1f} s: {rate:,.0f} rows/s")
        return lines


def _tax_codes(rng: random.Random, provinces: list[str], taken: set[str]):
    """Endless distinct valid enterprise codes: a province prefix, a sequence, the check digit."""
    sequence = 3_000_000 + rng.randrange(1_000_000)
    while True:
        sequence += 1
        first_nine = f"{rng.choice(provinces)}{sequence % 10_000_000:07d}"
        check = mst.calc_check_digit(first_nine)
        code = first_nine + check
        if len(check) == 1 and code not in taken:
            taken.add(code)
            yield code


def _skewed_count(rng: random.Random, maximum: int, mean: float) -> int:
    """A count from 0 to ``maximum``, most of them small (exponentially distributed), a few large."""
    return min(maximum, int(rng.expovariate(1 / mean)))


@transaction.atomic
def generate_demo_data(*, companies: int, seed: int) -> DemoReport:
    started = time.perf_counter()
    rng = random.Random(seed)
    source = source_upsert(key=DEMO_SOURCE_KEY, title="Generated demo data (not real firms)", publisher="miv-registry")
    provinces = list(Province.objects.order_by("code").values_list("code", flat=True))
    province_weights = [_PROVINCE_WEIGHT.get(code, 1) for code in provinces]
    categories = list(Category.objects.filter(numchild=0).order_by("path"))
    if not categories:
        raise ValueError("No categories: run `manage.py seed` first.")
    category_weights = [1 / (rank + 1) for rank in range(len(categories))]  # Zipf-like: a few dominate
    standards = list(Standard.objects.order_by("code"))
    foreign = [code for code, _name in countries if code != "VN"]
    near_markets = ["LA", "KH", "JP", "KR", "US", "SG", "TH", "MM", "DE", "AU", "CN", "IN", "FR", "GB", "MY"]
    taken = set(Company.objects.values_list("tax_code", flat=True))
    codes = _tax_codes(rng, provinces, taken)
    slugs = set(Company.objects.values_list("slug", flat=True))
    this_year = datetime.date.today().year
    report = DemoReport()

    company_rows = []
    for index in range(companies):
        form, trade, name = rng.choice(_FORMS), rng.choice(_FIELDS), rng.choice(_NAMES)
        legal = f"{form} {trade} {name}"
        tax_code = next(codes)
        slug = f"demo-{tax_code}"
        slugs.add(slug)
        company = Company(
            tax_code=tax_code,
            name=legal,
            name_en=f"{fold_join(name).title()} {fold_join(trade).title()} {_ENGLISH_FORMS[form]}",
            short_name=f"{name} {index}",
            slug=slug,
            province_id=rng.choices(provinces, province_weights)[0],
            founded_year=rng.randint(1990, this_year),
            ownership=rng.choices(
                [Ownership.JOINT_STOCK, Ownership.LIMITED_LIABILITY, Ownership.PRIVATE, Ownership.STATE_OWNED],
                [45, 45, 8, 2],
            )[0],
            size_band=rng.choices([SizeBand.MICRO, SizeBand.SMALL, SizeBand.MEDIUM, SizeBand.LARGE], [50, 30, 15, 5])[0],
            description_vi=f"Doanh nghiệp {trade.lower()} tại Việt Nam.",
            description_en=f"{fold_join(trade).title()} company in Vietnam.",
            source=source,
        )
        company.refresh_search_texts()
        company_rows.append(company)
    Company.objects.bulk_create(company_rows, batch_size=BATCH_SIZE)
    report.rows["companies"] = len(company_rows)

    market_rows, revenue_rows, product_rows = [], [], []
    for company in company_rows:
        market_count = _skewed_count(rng, 30, 2.5)
        countries_here = set()
        while len(countries_here) < market_count:
            countries_here.add(rng.choice(near_markets) if rng.random() < 0.7 else rng.choice(foreign))
        for country in sorted(countries_here):
            market_rows.append(
                ExportMarket(
                    company=company,
                    country=country,
                    kind=rng.choices(list(MarketKind.values), [60, 15, 15, 3, 7])[0],
                    since_year=rng.randint(max(company.founded_year, 2000), this_year),
                    source=source,
                )
            )
        if countries_here and max(company.founded_year, 2005) < this_year:
            first_year = rng.randint(max(company.founded_year, 2005), this_year - 1)
            amount = Decimal(rng.randint(10_000, 5_000_000))
            for year in range(first_year, this_year):
                revenue_rows.append(
                    ExportRevenue(
                        company=company, year=year, amount_usd=amount, source=source, verified=rng.random() < 0.6
                    )
                )
                amount = (amount * Decimal(str(round(rng.uniform(0.85, 1.45), 2)))).quantize(Decimal("0.01"))
        for number in range(_skewed_count(rng, 20, 5)):
            category = rng.choices(categories, category_weights)[0]
            product = Product(
                company=company,
                name=f"{rng.choice(_PRODUCT_WORDS)} {rng.choice(_PRODUCT_TOPICS)} {company.short_name}",
                slug=f"p{number}",
                category=category,
                maturity=rng.choices(list(Maturity.values), [5, 15, 60, 20])[0],
                launch_year=rng.randint(company.founded_year, this_year),
                description_vi="Sản phẩm công nghệ Make in Vietnam.",
                source=source,
            )
            product.company, product.category = company, category  # for search_context, no queries
            product.refresh_search_texts()
            product_rows.append(product)
    ExportMarket.objects.bulk_create(market_rows, batch_size=BATCH_SIZE)
    ExportRevenue.objects.bulk_create(revenue_rows, batch_size=BATCH_SIZE)
    Product.objects.bulk_create(product_rows, batch_size=BATCH_SIZE)
    report.rows.update(export_markets=len(market_rows), export_revenues=len(revenue_rows), products=len(product_rows))

    markets_by_company: dict[int, list[ExportMarket]] = {}
    for market in market_rows:
        markets_by_company.setdefault(market.company_id, []).append(market)
    product_markets, product_standards = [], []
    for product in product_rows:
        for market in markets_by_company.get(product.company_id, [])[: rng.randint(0, 3)]:
            product_markets.append(Product.export_markets.through(product_id=product.pk, exportmarket_id=market.pk))
        if standards and rng.random() < 0.3:
            product_standards.append(Product.standards.through(product_id=product.pk, standard_id=rng.choice(standards).pk))
    Product.export_markets.through.objects.bulk_create(product_markets, batch_size=BATCH_SIZE)
    Product.standards.through.objects.bulk_create(product_standards, batch_size=BATCH_SIZE)
    report.rows.update(product_markets=len(product_markets), product_standards=len(product_standards))

    products_by_company: dict[int, list[str]] = {}
    for product in product_rows:
        products_by_company.setdefault(product.company_id, []).extend(
            part for part in (product.search_name, product.search_body, product.category.search_name) if part
        )
    for company in company_rows:
        company.search_products = "\n".join(products_by_company.get(company.pk, []))
    Company.objects.bulk_update(company_rows, ["search_products"], batch_size=BATCH_SIZE)
    report.seconds = time.perf_counter() - started
    return report


@transaction.atomic
def remove_demo_data() -> int:
    """Delete every demo company with its products, markets and figures; returns how many companies."""
    demo = Company.objects.filter(source__key=DEMO_SOURCE_KEY)
    count = demo.count()
    Product.objects.filter(company__in=demo).delete()
    ExportMarket.objects.filter(company__in=demo).delete()
    ExportRevenue.objects.filter(company__in=demo).delete()
    demo.delete()
    Source.objects.filter(key=DEMO_SOURCE_KEY).delete()
    return count
