"""Shared fixtures. Every row is written through the domain services, so test data passes the same
validation (``full_clean()``) as the seed loader and the admin."""

import datetime
import itertools
import json
from concurrent.futures import Future
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from stdnum.vn import mst

from companies.models import MarketKind, Ownership, Province
from companies.services import (
    company_create,
    company_verify,
    export_market_create,
    export_revenue_create,
    source_upsert,
)
from products.models import Maturity
from products.services import category_upsert, product_create, standard_upsert

# Real enterprise codes with a valid check digit.
MISA = "0101243150"
DANANG_SOFT = "0100109106"
GIAI_PHAP_SO = "0303490096"


def valid_tax_codes(prefix: str = "09"):
    """An endless supply of distinct, valid 10-digit enterprise codes (skipping sequence numbers whose
    check digit would be 10, which no code can carry)."""
    for sequence in itertools.count(1):
        first_nine = f"{prefix}{sequence:07d}"
        check = mst.calc_check_digit(first_nine)
        if len(check) == 1:
            yield first_nine + check


def pytest_configure(config):
    # Static files are not under test: without this, WhiteNoise walks every app's static files (the
    # Swagger/ReDoc bundles included) for each new test client, which dominates the suite's run time.
    from django.conf import settings

    settings.WHITENOISE_USE_FINDERS = False
    settings.STATIC_ROOT = None
    # The live server's thread must not keep a connection open, or the test database cannot be dropped.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Rate-limit counters in process memory, so that query-count tests count the API's own queries (the
    # embedded default keeps them in a database table, production in Redis); emptied before each test.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # On SQLite, a test database in a file (in memory-backed /dev/shm where there is one), like the embedded
    # default's, not Django's shared-cache in-memory one: there a second connection's write fails at once
    # ("database table is locked") instead of waiting its turn, so tests/api/test_concurrency.py would test
    # SQLite's test mode rather than the registry.
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        import os
        import tempfile

        directory = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
        database.setdefault("TEST", {})["NAME"] = os.path.join(directory, f"miv-registry-test-{os.getpid()}.sqlite3")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _no_search_ways_learned():
    """What earlier tests' searches learned (registry.search.LearnedWays) is forgotten: the shared part went
    with the cache above, this process's part goes here."""
    from registry.search import count_ways, rank_ways, suggestion_ways

    for ways in (count_ways, rank_ways, suggestion_ways):
        ways.forget_kept()


class Refreshes:
    """Stands in for ``registry.cache.refresh_later``: the refreshes it is given wait until the test runs them,
    in the test's own thread and transaction."""

    def __init__(self):
        self.waiting = []

    def __call__(self, job) -> Future:
        self.waiting.append(job)
        return Future()

    def run(self) -> int:
        """Runs the refreshes waiting; returns how many there were."""
        jobs, self.waiting = self.waiting, []
        for job in jobs:
            job()
        return len(jobs)


@pytest.fixture(autouse=True)
def refreshes(monkeypatch) -> Refreshes:
    """Shared results are refreshed when a test says (``refreshes.run()``), not in a thread of their own that
    would outlive the test or not see its rows (tests/registry/test_cache.py tests that thread)."""
    import registry.cache

    waiting = Refreshes()
    monkeypatch.setattr(registry.cache, "refresh_later", waiting)
    return waiting


@pytest.fixture
def cache_clock(monkeypatch) -> SimpleNamespace:
    """registry.cache's clock (its ``time.time()``), which the test moves (``cache_clock.now += 61``): the
    shared results it keeps go stale when the test says."""
    import registry.cache

    clock = SimpleNamespace(now=1_000_000.0)
    monkeypatch.setattr(registry.cache, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def source(db):
    return source_upsert(
        key="test-registry-report",
        title="Test registry report",
        publisher="Ministry of Science and Technology",
        url="https://example.org/report",
        published_on=datetime.date(2024, 5, 1),
    )


@pytest.fixture
def categories(db):
    """Two roots with one child each: software › accounting software; telecommunications › 5G equipment."""
    software = category_upsert(slug="software", name="Phần mềm", name_en="Software")
    accounting = category_upsert(
        slug="accounting-software", name="Phần mềm kế toán", name_en="Accounting software", parent=software
    )
    telecom = category_upsert(slug="telecommunications", name="Viễn thông", name_en="Telecommunications")
    equipment_5g = category_upsert(slug="5g-equipment", name="Thiết bị 5G", name_en="5G equipment", parent=telecom)
    return {
        "software": software,
        "accounting": accounting,
        "telecom": telecom,
        "5g": equipment_5g,
    }


@pytest.fixture
def standards(db):
    return {
        "3gpp": standard_upsert(code="3gpp-release-15", name="3GPP Release 15", body="3GPP"),
        "iso": standard_upsert(
            code="iso-iec-7816", name="ISO/IEC 7816", body="ISO/IEC", url="https://www.iso.org/standard/54089.html"
        ),
    }


@pytest.fixture
def make_company(db, source):
    """Factory: ``make_company(name=..., province="01", markets=["JP"], revenue={2024: 1000}, verified=True)``.

    ``revenue`` maps a year to the total (all markets) export revenue in USD; ``country_revenue`` maps
    ``(year, country)`` to a per-country amount.
    """
    codes = valid_tax_codes()

    def make(
        *,
        name: str,
        tax_code: str | None = None,
        province: str = "01",
        ownership: str = Ownership.JOINT_STOCK,
        markets=(),
        revenue=None,
        country_revenue=None,
        verified: bool = False,
        **fields,
    ):
        company = company_create(
            tax_code=tax_code or next(codes),
            name=name,
            province=Province.objects.get(code=province),
            ownership=ownership,
            **fields,
        )
        for country in markets:
            export_market_create(company=company, country=country, kind=MarketKind.EXPORT_SALES, source=source)
        # Figures an officer has verified: the public lists, filters and ordering use only those.
        for year, amount in (revenue or {}).items():
            export_revenue_create(company=company, year=year, amount_usd=Decimal(amount), source=source, verified=True)
        for (year, country), amount in (country_revenue or {}).items():
            export_revenue_create(
                company=company, year=year, amount_usd=Decimal(amount), source=source, country=country, verified=True
            )
        if verified:
            company_verify(company=company)
        return company

    return make


@pytest.fixture
def make_product(db, source, categories):
    """Factory: ``make_product(company, name=..., category="accounting", markets=["JP"], standards=[...])``.

    ``markets`` are country codes of the company's existing export markets the product is sold in.
    """

    def make(
        company,
        *,
        name: str,
        category: str = "accounting",
        maturity: str = Maturity.COMMERCIAL,
        markets=(),
        standards=(),
        certified_on: datetime.date | None = None,
        **fields,
    ):
        return product_create(
            company=company,
            name=name,
            category=categories[category],
            maturity=maturity,
            standards=standards,
            export_markets=company.export_markets.filter(country__in=list(markets)),
            miv_certified_on=certified_on,
            miv_certification_source=source if certified_on else None,
            source=source,
            **fields,
        )

    return make


@pytest.fixture
def registry(make_company, make_product, standards):
    """A small registry used by the filter tests.

    * MISA (Hà Nội, joint-stock, 1994, verified): markets JP, KH; total export revenue 500k (2023) and
      900k (2024, its latest year), plus a 10M per-country row for JP in 2024 that is not a total;
      an accounting product, certified, ISO/IEC 7816, sold in JP.
    * Đà Nẵng software (Đà Nẵng, limited liability, 2010): market US; 100k in 2024; a 5G base station
      (pilot, 3GPP) sold in US.
    * Giải pháp Số (Hồ Chí Minh, private, founding year unknown): no market, no revenue, no product.
    """
    misa = make_company(
        tax_code=MISA,
        name="Công ty Cổ phần MISA",
        name_en="MISA Joint Stock Company",
        short_name="MISA",
        province="01",
        ownership=Ownership.JOINT_STOCK,
        founded_year=1994,
        markets=["JP", "KH"],
        revenue={2023: 500_000, 2024: 900_000},
        country_revenue={(2024, "JP"): 10_000_000},
        verified=True,
        description_vi="Nhà cung cấp giải pháp quản trị doanh nghiệp.",
    )
    danang = make_company(
        tax_code=DANANG_SOFT,
        name="Công ty TNHH Phần mềm Đà Nẵng",
        name_en="Da Nang Software Company Limited",
        province="48",
        ownership=Ownership.LIMITED_LIABILITY,
        founded_year=2010,
        markets=["US"],
        revenue={2024: 100_000},
    )
    giai_phap = make_company(
        tax_code=GIAI_PHAP_SO,
        name="Công ty Giải pháp Số",
        province="79",
        ownership=Ownership.PRIVATE,
        description_en="Consulting on digital transformation.",
    )
    accounting = make_product(
        misa,
        name="Phần mềm kế toán MISA SME",
        category="accounting",
        maturity=Maturity.EXPORTED,
        markets=["JP"],
        standards=[standards["iso"]],
        certified_on=datetime.date(2021, 3, 15),
        launch_year=2005,
    )
    base_station = make_product(
        danang,
        name="Trạm gốc 5G",
        category="5g",
        maturity=Maturity.PILOT,
        markets=["US"],
        standards=[standards["3gpp"]],
        launch_year=2020,
    )
    return {
        "misa": misa,
        "danang": danang,
        "giai_phap": giai_phap,
        "accounting": accounting,
        "base_station": base_station,
    }


@pytest.fixture
def make_companies(make_company, make_product, standards):
    """Factory: ``make_companies(n)`` creates n companies, each with two export markets, two years of
    revenue and two products (standards, certification, markets) — enough related rows for every
    serializer field, to show the query count does not grow with the page."""

    def make(count: int):
        companies = []
        for index in range(count):
            company = make_company(
                name=f"Batch company {index:03d}",
                founded_year=2000 + index % 20,
                markets=["JP", "US"],
                revenue={2023: 1000 + index, 2024: 2000 + index},
                verified=index % 2 == 0,
            )
            for product_index, category in enumerate(["accounting", "5g"]):
                make_product(
                    company,
                    name=f"Batch product {index:03d}-{product_index}",
                    category=category,
                    markets=["JP", "US"][: product_index + 1],
                    standards=list(standards.values()),
                    certified_on=datetime.date(2022, 1, 1) if product_index == 0 else None,
                )
            companies.append(company)
        return companies

    return make


# --- roles: users, officers, bearer tokens and API keys ----------------------------------------------


@pytest.fixture
def admin_client(client, db):
    """A client signed in to the admin as a superuser (``client.user``); replaces pytest-django's, which
    does not say who the user is."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("root", "root@example.vn", None)
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def make_user(db):
    """Factory: ``make_user("alice", represents=[company], officer=False)``. No password (hashing one costs
    a quarter of a second); sign in with ``bearer_client`` or an API key instead."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts.roles import OFFICERS_GROUP

    def make(username: str, *, represents=(), officer: bool = False, **fields):
        user = get_user_model().objects.create_user(username=username, **fields)
        for company in represents:
            company.representatives.add(user)
        if officer:
            user.groups.add(Group.objects.get(name=OFFICERS_GROUP))
        return user

    return make


@pytest.fixture
def bearer_client(db):
    """Factory: an ``APIClient`` that sends ``Authorization: Bearer <token>`` of ``user``'s token."""
    from rest_framework.authtoken.models import Token

    def make(user) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
        return client

    return make


@pytest.fixture
def api_key_client(db):
    """Factory: an ``APIClient`` that sends ``Authorization: Api-Key <key>`` of a new key of ``user`` with
    ``scope`` ("read" or "write"); the ``ApiKey`` row is ``client.api_key``."""
    from accounts.services import api_key_issue

    def make(user, scope: str = "read", **fields) -> APIClient:
        api_key, key = api_key_issue(owner=user, name=fields.pop("name", f"{scope} app"), scope=scope, **fields)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        client.api_key = api_key
        client.key = key
        return client

    return make


@pytest.fixture
def world(make_company, make_product, make_user, standards):
    """Two companies: ``own`` with an export market (JP), a verified revenue figure (2023: 1,000 USD) and a
    product sold in JP; ``other`` with a product. The representative of each (``rep``, ``other_rep``), an
    officer, and a stranger (signed in, represents nothing).

    Rows are read back fresh by the tests: the services bump versions after these objects were built."""
    from types import SimpleNamespace

    own = make_company(name="Công ty Phần mềm Nhà", markets=["JP"], revenue={2023: 1000})
    other = make_company(name="Công ty Công nghệ Láng Giềng")
    return SimpleNamespace(
        own=own,
        other=other,
        product=make_product(own, name="Phần mềm nhà", markets=["JP"]),
        other_product=make_product(other, name="Phần mềm láng giềng"),
        market=own.export_markets.get(),
        revenue=own.export_revenues.get(),
        rep=make_user("rep", represents=[own]),
        other_rep=make_user("other_rep", represents=[other]),
        officer=make_user("officer", officer=True),
        stranger=make_user("stranger"),
    )


ROLES = [
    "anonymous",
    "representative",  # of ``world.own``, by bearer token
    "other_representative",  # of ``world.other`` only
    "officer",
    "read_key",  # the representative's read-only API key
    "write_key",  # the representative's write-scope API key
    "stranger_write_key",  # a write-scope key of a user who represents no company
]


@pytest.fixture
def client_as(world, bearer_client, api_key_client):
    """``client_as("officer")``: an ``APIClient`` acting in one of ``ROLES`` on ``world``."""

    def make(role: str) -> APIClient:
        return {
            "anonymous": lambda: APIClient(),
            "representative": lambda: bearer_client(world.rep),
            "other_representative": lambda: bearer_client(world.other_rep),
            "officer": lambda: bearer_client(world.officer),
            "read_key": lambda: api_key_client(world.rep, "read"),
            "write_key": lambda: api_key_client(world.rep, "write"),
            "stranger_write_key": lambda: api_key_client(world.stranger, "write"),
        }[role]()

    return make


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    """The OpenAPI schema as the API serves it, parsed (tests/test_schema.py has its own, written to a file)."""
    with django_db_blocker.unblock():
        response = APIClient().get(reverse("schema"), {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)
