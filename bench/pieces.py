"""The pieces of a light list request, each timed on its own: ``make bench-pieces
DATABASE_URL=postgres://.../miv_bench_100000`` (any database with demo data).

A request's Python work is a few hundred microseconds here and there, below what a whole request's time shows
through a shared machine's noise. This times, for an anonymous caller, the best of five rounds of each:

- the company and product selectors (``company_list``, ``company_detail``, ``product_list``): their
  queryset, as a view gets it;
- the company and product filter sets, built for the benchmark's filtered lists' query strings;
- serializing the filtered company list's first page (20 companies, ``CompanySerializer(many=True)``).

It calls only what every version of the code has, so run it on the code before a change and after, and
compare: the per-piece figures in the README and the docstrings come from here.
"""

import os
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402

from api.serializers import CompanySerializer  # noqa: E402
from companies.filters import CompanyFilterSet  # noqa: E402
from companies.selectors import company_detail, company_list  # noqa: E402
from products.filters import ProductFilterSet  # noqa: E402
from products.selectors import product_list  # noqa: E402

ROUNDS = 5


def best_microseconds(piece, number: int) -> float:
    piece()  # the first call's one-time work is not the piece's
    return min(timeit.repeat(piece, number=number, repeat=ROUNDS)) / number * 1e6


def main() -> None:
    if connection.vendor != "postgresql" or "DATABASE_URL" not in os.environ:
        sys.exit("Set DATABASE_URL to a PostgreSQL database with demo data (bench/run.py --keep leaves one).")
    viewer = AnonymousUser()
    companies = company_list(viewer)
    filtered = QueryDict("province=01&verified=true")
    page = list(CompanyFilterSet(filtered, companies).qs[:20])
    if not page:
        sys.exit("No verified company in province 01: load demo data first (manage.py generate_demo_data).")
    products = product_list(viewer)
    by_category_and_market = QueryDict("category=e-invoicing&market=JP")
    pieces = [
        ("company_list(anonymous)", lambda: company_list(viewer), 2000),
        ("company_detail(anonymous)", lambda: company_detail(viewer), 2000),
        ("product_list(anonymous)", lambda: product_list(viewer), 2000),
        ("CompanyFilterSet(province=01&verified=true)", lambda: CompanyFilterSet(filtered, companies), 2000),
        ("ProductFilterSet(category=e-invoicing&market=JP)", lambda: ProductFilterSet(by_category_and_market, products), 2000),
        (f"CompanySerializer(page of {len(page)}, many=True).data", lambda: CompanySerializer(page, many=True).data, 200),
    ]  # fmt: skip
    print(f"best of {ROUNDS} rounds, µs a call")
    for label, piece, number in pieces:
        print(f"{label:52} {best_microseconds(piece, number):9.1f}")


if __name__ == "__main__":
    main()
