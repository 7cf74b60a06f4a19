"""Search results in relevance order are read rank by rank (``registry.search.SearchableQuerySet``): every
slice, wherever it starts and ends, holds exactly the rows that sorting every match by rank, then by the
model's order, would put there; the same when reading a rank runs out of time and it is read another way."""

import math
import re
import time
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection

import registry.search
from api.pagination import count_up_to
from companies.filters import CompanyFilterSet
from companies.models import Company
from companies.selectors import company_list
from products.selectors import product_list
from registry.search import TimeLimitExceeded
from tests.helpers import tax_codes

# Interleaved by name: ranks 2, 1 and 0 of "giai phap" alternate in the companies' order; the names that begin
# with the phrase (rank 3) come after all of them in it.
RANKED_NAMES = {
    3: ["GIẢI PHÁP AN PHÁT", "Giải pháp Bình Minh", "Giải phápx Cửu Long"],
    2: ["Công ty A Giải pháp", "Công ty D Giải pháp số", "Công ty G Giải pháp mạng", "Công ty K Giải pháp"],
    1: ["Công ty B Pháp Giải", "Công ty E Giải trí Pháp", "Công ty H Pháp lý Giải"],
    0: ["Công ty C Xanh", "Công ty F Đỏ", "Công ty I Vàng", "Công ty L Tím"],
}
QUERY = "giai phap"


@pytest.fixture
def ranked_firms(make_company):
    """Companies of each rank for ``QUERY`` (rank 0: the words only in the description), and one that does
    not match at all."""
    for rank, names in RANKED_NAMES.items():
        for name in names:
            description = "Giải pháp chuyển đổi số." if rank == 0 else ""
            make_company(name=name, description_vi=description)
    make_company(name="Công ty Không Liên Quan")


def sorted_in_one_query() -> list[str]:
    """Every match sorted at once, as the database does for ``ORDER BY search_rank DESC, name, ...``."""
    matches = Company.objects.search(QUERY).order_by("-search_rank", "name", "tax_code", "pk")
    return [company.name for company in matches]


def test_the_one_query_order_is_rank_then_name(ranked_firms):
    assert sorted_in_one_query() == [*RANKED_NAMES[3], *RANKED_NAMES[2], *RANKED_NAMES[1], *RANKED_NAMES[0]]


def test_every_slice_read_rank_by_rank_equals_the_one_query_order(ranked_firms):
    expected = sorted_in_one_query()
    by_relevance = Company.objects.search(QUERY).by_relevance()
    for start in range(len(expected) + 2):
        for stop in range(start, len(expected) + 3):
            assert [company.name for company in by_relevance[start:stop]] == expected[start:stop], (start, stop)


def test_pages_of_the_api_follow_the_one_query_order(api_client, ranked_firms):
    expected = sorted_in_one_query()
    names_by_code = dict(Company.objects.values_list("tax_code", "name"))
    for page_size in (1, 2, 3, 5):
        paged = []
        for page in range(1, -(-len(expected) // page_size) + 1):  # every page, the last one partly full
            codes = tax_codes(api_client, {"search": QUERY, "page_size": page_size, "page": page})
            paged += [names_by_code[code] for code in codes]
        assert paged == expected, page_size


def test_a_slice_has_the_querysets_prefetches_and_a_plain_queryset_otherwise(ranked_firms, django_assert_num_queries):
    by_relevance = (
        Company.objects.select_related("province").search(QUERY).by_relevance().prefetch_related("export_markets")
    )
    rows = by_relevance[5:12]  # crosses from rank 2 into rank 1 and rank 0
    assert isinstance(rows, list)
    with django_assert_num_queries(0):  # the ranks were read as keys; the rows then with their joins
        assert [list(company.export_markets.all()) for company in rows] == [[]] * 7
        assert all(company.province.name for company in rows)
    # Reordered, or without a search, a slice is the usual lazy queryset.
    assert not isinstance(by_relevance.order_by("name")[0:3], list)
    assert not isinstance(Company.objects.order_by("name")[0:3], list)


def test_the_first_ranks_bound_in_the_model_order_leaves_out_no_row(ranked_firms):
    # registry.search.from_the_first: a read in the model's order starts at the first row that meets the
    # condition, and so finds every one.
    begins = registry.search.begins_with("search_name", QUERY)
    bounded = Company.objects.filter(registry.search.from_the_first(Company, begins)).order_by("name")
    assert [company.name for company in bounded] == RANKED_NAMES[3]
    nobody = registry.search.begins_with("search_name", "khong co ai")
    assert not Company.objects.filter(registry.search.from_the_first(Company, nobody)).exists()
    descending = type("Descending", (), {"_meta": SimpleNamespace(ordering=["-name"])})
    with pytest.raises(ValueError, match="descending"):
        registry.search.from_the_first(descending, begins)


@pytest.mark.parametrize(
    ("plan", "walk_in_time", "ways"),
    [
        # PostgreSQL read the rank in name order: then through the text indexes.
        ("Limit -> Index Scan using company_in_order on companies_company", None, ["text indexes"]),
        # It read the rank through the text indexes, or scanned the table and sorted: in name order next, then
        # the text indexes with no limit.
        ("Limit -> Sort -> Bitmap Heap Scan on companies_company", False, ["name order", "text indexes"]),
        ("Limit -> Sort -> Bitmap Heap Scan on companies_company", True, ["name order"]),
        ("Limit -> Sort -> Seq Scan on companies_company", True, ["name order"]),
    ],
    ids=["walked", "bitmaps-then-walk-out-of-time", "bitmaps-then-walk-in-time", "scan-then-walk-in-time"],
)
def test_a_rank_that_runs_out_of_time_is_read_the_other_way(
    ranked_firms, monkeypatch, settings, plan, walk_in_time, ways
):
    settings.SEARCH_RANK_WALK_MILLISECONDS = 45  # not the default: the setting is what limits both reads
    first_tries, tried, walk_limits, settings_seen = [], [], [], []

    @contextmanager
    def out_of_time(using, milliseconds):
        first_tries.append(milliseconds)
        raise TimeLimitExceeded
        yield  # pragma: no cover

    real_planned = registry.search.planned

    @contextmanager
    def watched_planned(using, way, milliseconds=0):
        tried.append("name order" if way == registry.search.IN_INDEX_ORDER else "text indexes")
        if tried[-1] == "name order":
            walk_limits.append(milliseconds)
        if tried[-1] == "name order" and not walk_in_time:
            raise TimeLimitExceeded
        with real_planned(using, way, milliseconds):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SHOW enable_indexscan")
                    indexscan = cursor.fetchone()[0]
                    cursor.execute("SHOW enable_bitmapscan")
                    settings_seen.append((indexscan, cursor.fetchone()[0]))
            yield

    monkeypatch.setattr(registry.search, "time_limited", out_of_time)
    monkeypatch.setattr(registry.search, "planned", watched_planned)
    monkeypatch.setattr(registry.search.SearchableQuerySet, "explain", lambda queryset: plan)
    by_relevance = Company.objects.search(QUERY).by_relevance()
    assert [company.name for company in by_relevance[0:3]] == sorted_in_one_query()[0:3]  # rank 3 only
    assert first_tries == [45]
    assert tried == ways
    assert walk_limits == [45] * ways.count("name order")
    if connection.vendor == "postgresql":  # (enable_indexscan, enable_bitmapscan) in the read that answered
        assert settings_seen[-1] == (("on", "off") if ways[-1] == "name order" else ("off", "on"))
        with connection.cursor() as cursor:  # the settings ended with the read
            cursor.execute("SHOW enable_indexscan")
            assert cursor.fetchone()[0] == "on"
    # The way that read the rank is learned: the same rank is read that way at once, and not explained, in
    # another process (only the shared cache knows), and in this one (it keeps what it was told).
    monkeypatch.setattr(registry.search.SearchableQuerySet, "explain", no_plan_expected)
    for forget in (registry.search.rank_ways.forget_kept, cache.clear):
        forget()
        tried.clear()
        assert [company.name for company in by_relevance[0:3]] == sorted_in_one_query()[0:3]
        assert first_tries == [45]
        assert tried == ways[-1:]
    # What no process remembers is learned again.
    cache.clear()
    registry.search.rank_ways.forget_kept()
    monkeypatch.setattr(registry.search.SearchableQuerySet, "explain", lambda queryset: plan)
    tried.clear()
    assert [company.name for company in by_relevance[0:3]] == sorted_in_one_query()[0:3]
    assert (first_tries, tried) == ([45, 45], ways)


@pytest.mark.parametrize(("text_indexes_take", "kept_for"), [(0, "SHARED_SECONDS"), (30, "UNSURE_SECONDS")])
def test_a_last_way_slower_than_the_others_were_allowed_is_learned_for_a_minute(
    ranked_firms, monkeypatch, settings, text_indexes_take, kept_for
):
    # As planned and in name order both run out of their time, then the text indexes read the rank: within
    # that time too, they are learned for the hour; past it, the moment may have been slow rather than the
    # other ways, which are tried again a minute later.
    settings.SEARCH_RANK_WALK_MILLISECONDS = 10
    tried, lifetimes = [], []
    # The search's clock: a read takes what the test says, not what a loaded machine makes of it (on CI's
    # PostgreSQL a real read once took over the 10 ms, and was learned for a minute).
    clock = SimpleNamespace(now=1_000.0)
    monkeypatch.setattr(registry.search, "time", SimpleNamespace(monotonic=lambda: clock.now))

    @contextmanager
    def out_of_time(using, milliseconds):
        tried.append("as planned")
        raise TimeLimitExceeded
        yield  # pragma: no cover

    real_planned = registry.search.planned

    @contextmanager
    def watched_planned(using, way, milliseconds=0):
        tried.append("name order" if way == registry.search.IN_INDEX_ORDER else "text indexes")
        if tried[-1] == "name order":
            raise TimeLimitExceeded
        with real_planned(using, way, milliseconds):
            yield
        clock.now += text_indexes_take / 1000

    real_remember = registry.search.rank_ways.remember

    def watched_remember(key, way, seconds=None):
        lifetimes.append((way, seconds))
        real_remember(key, way, seconds)

    monkeypatch.setattr(registry.search, "time_limited", out_of_time)
    monkeypatch.setattr(registry.search, "planned", watched_planned)
    monkeypatch.setattr(registry.search.rank_ways, "remember", watched_remember)
    monkeypatch.setattr(registry.search.rank_ways, "KEPT_SECONDS", 0)  # this process asks the shared cache each time
    monkeypatch.setattr(
        registry.search.SearchableQuerySet, "explain", lambda queryset: "Limit -> Sort -> Seq Scan on companies_company"
    )
    by_relevance = Company.objects.search(QUERY).by_relevance()
    assert [company.name for company in by_relevance[0:3]] == sorted_in_one_query()[0:3]
    assert tried == ["as planned", "name order", "text indexes"]
    seconds = getattr(registry.search.rank_ways, kept_for)
    assert lifetimes == [(registry.search.READ_BY_TEXT_INDEXES, seconds)]
    # Learned: the next read goes that way at once, until the shared entry expires.
    tried.clear()
    assert [company.name for company in by_relevance[0:3]] == sorted_in_one_query()[0:3]
    assert tried == ["text indexes"]
    cache.clear()
    tried.clear()
    assert [company.name for company in by_relevance[0:3]] == sorted_in_one_query()[0:3]
    assert tried == ["as planned", "name order", "text indexes"]


def no_plan_expected(queryset):
    raise AssertionError("EXPLAIN of a rank read the way learned")


def test_a_rank_read_as_planned_in_time_is_then_read_at_once(ranked_firms, monkeypatch, django_assert_num_queries):
    # Each rank the page reaches, the first time: explained (the name ranks), then read within a time limit
    # (on PostgreSQL, a transaction and SET LOCAL around it). As it was read in time, the next read of the
    # same rank is the read alone, here and in another process (the shared cache).
    explained, limited = [], []
    real_explain, real_time_limited = registry.search.SearchableQuerySet.explain, registry.search.time_limited

    def watched_explain(queryset):
        explained.append(queryset)
        return real_explain(queryset)

    def watched_time_limited(using, milliseconds):
        limited.append(milliseconds)
        return real_time_limited(using, milliseconds)

    monkeypatch.setattr(registry.search.SearchableQuerySet, "explain", watched_explain)
    monkeypatch.setattr(registry.search, "time_limited", watched_time_limited)
    page = slice(2, 12)  # every rank: the last of rank 3, then ranks 2, 1 and 0
    by_relevance = Company.objects.search(QUERY).by_relevance()
    assert [company.name for company in by_relevance[page]] == sorted_in_one_query()[page]
    assert explained  # the name ranks (on PostgreSQL, one read from an index alone is learned so)
    assert limited  # rank 0 at least: it reads the table, never explained first
    for forget in (lambda: None, registry.search.rank_ways.forget_kept):
        forget()
        explained.clear()
        limited.clear()
        with django_assert_num_queries(4 + 1):  # the four ranks, then the page's rows
            rows = by_relevance[page]
        assert [company.name for company in rows] == sorted_in_one_query()[page]
        assert (explained, limited) == ([], [])


@pytest.mark.parametrize(
    "milliseconds, in_time, learned",
    [
        (7, {"index alone"}, "index alone"),
        (7, {"text indexes"}, "text indexes"),  # a phrase no name has: the index alone reads every name
        (7, set(), "index alone"),  # neither in time: the index alone, with no limit
        (0, set(), "index alone"),  # the setting 0: the index alone at once
    ],
    ids=["index-alone-in-time", "text-indexes-in-time", "neither-in-time", "never-limited"],
)
def test_a_name_rank_read_from_an_index_alone_is_learned_from_two_time_limited_tries(
    ranked_firms, monkeypatch, settings, milliseconds, in_time, learned
):
    # registry.search.SearchableQuerySet._read_from_index_alone
    settings.SEARCH_RANK_INDEX_ALONE_MILLISECONDS = milliseconds  # not the default: it limits both tries
    plans, tried = [], []

    def explained(queryset):
        plans.append(str(queryset.query))
        return "Limit -> Index Only Scan using company_in_order on companies_company"

    real_planned = registry.search.planned

    @contextmanager
    def watched_planned(using, way, milliseconds=0):
        name = {(): "index alone", tuple(registry.search.BY_TEXT_INDEXES): "text indexes"}[tuple(way)]
        tried.append((name, milliseconds))
        if milliseconds and name not in in_time:
            raise TimeLimitExceeded
        with real_planned(using, way, milliseconds):
            yield

    monkeypatch.setattr(registry.search.SearchableQuerySet, "explain", explained)
    monkeypatch.setattr(registry.search, "planned", watched_planned)
    by_relevance = Company.objects.search(QUERY).by_relevance()
    assert [company.name for company in by_relevance[0:6]] == sorted_in_one_query()[0:6]  # ranks 3 and 2
    assert len(plans) == 2
    tries = [("index alone", milliseconds), ("text indexes", milliseconds)] if milliseconds else []
    tries = tries[:1] if "index alone" in in_time else tries
    assert tried == tries * 2  # then, if neither was in time, the index alone with no settings at all
    # Learned: the next read of the same ranks is not explained, and goes the way that answered, unlimited;
    # in another process too (only the shared cache knows).
    monkeypatch.setattr(registry.search.SearchableQuerySet, "explain", no_plan_expected)
    for forget in (lambda: None, registry.search.rank_ways.forget_kept):
        forget()
        tried.clear()
        assert [company.name for company in by_relevance[0:6]] == sorted_in_one_query()[0:6]
        assert tried == ([("text indexes", 0)] * 2 if learned == "text indexes" else [])


@pytest.mark.parametrize(
    "filtered",
    [
        lambda companies: companies.search(QUERY).exclude(name="Công ty D Giải pháp số"),
        lambda companies: companies.exclude(name="Công ty D Giải pháp số").search(QUERY),
        lambda companies: companies.search(QUERY) | companies.filter(name="Công ty Không Liên Quan"),
    ],
    ids=["filtered-after-the-search", "filtered-before", "combined"],
)
def test_every_slice_of_a_filtered_search_equals_the_one_query_order(ranked_firms, filtered):
    # The ranks are read from the queryset as it was before the search unless it was filtered after it.
    expected = [
        company.name for company in filtered(Company.objects.all()).order_by("-search_rank", "name", "tax_code", "pk")
    ]
    by_relevance = filtered(Company.objects.all()).by_relevance()
    for start in range(len(expected) + 1):
        for stop in range(start, len(expected) + 2):
            assert [company.name for company in by_relevance[start:stop]] == expected[start:stop], (start, stop)


@pytest.mark.parametrize(
    ("listed", "covered"),
    [
        # The covering indexes on the models' order (company_in_order, product_in_order) hold these.
        (
            company_list,
            {("companies_company", column) for column in ("id", "name", "tax_code", "search_name", "status")},
        ),
        (
            product_list,
            {("products_product", column) for column in ("id", "name", "search_name", "company_id")}
            | {("companies_company", "id"), ("companies_company", "status")},
        ),
    ],
)
def test_the_name_ranks_read_only_columns_the_order_index_holds(listed, covered):
    searched = listed(None).search("giai phap so").by_relevance()
    keys_in_model_order, tiers, in_index = searched._ranks()
    assert in_index == 3
    # The first rank's lowest name (registry.search.from_the_first) is read in a subquery, from the index on
    # the folded names that holds the names too.
    covered |= {("U0", "search_name"), ("U0", "name")}
    for tier in tiers[:in_index]:
        sql = str(keys_in_model_order.filter(tier)[:20].query)
        assert set(re.findall(r'"(\w+)"\."(\w+)"', sql)) <= covered, sql
    # The rest also reads the other text columns: from the table.
    assert '"search_body"' in str(keys_in_model_order.filter(tiers[-1]).query)


def test_the_search_is_the_last_filter_so_its_name_ranks_read_the_order_index(ranked_firms):
    # Whatever the order of the parameters and of the filters, the others filter first (registry.filters).
    for params in ({"search": QUERY, "province": "01"}, {"province": "01", "search": QUERY}):
        filterset = CompanyFilterSet(params, queryset=company_list(None))
        assert filterset.is_valid(), filterset.errors
        _keys, _tiers, in_index = filterset.qs._ranks()
        assert in_index == 3
        assert [company.name for company in filterset.qs[0:20]] == sorted_in_one_query()


@pytest.fixture
def count_ways(monkeypatch, settings):
    """Watch the ways a search's capped count is read: ``ways.tried`` lists ("scan", its milliseconds) and
    ("text indexes", 0). A scan given fewer milliseconds than ``ways.scan_needs`` runs out of time; the
    indexes take ``ways.indexes_take`` milliseconds at least. Nothing is learned yet (tests/conftest.py)."""
    settings.SEARCH_COUNT_SCAN_MILLISECONDS = 25  # not the default: the setting limits the first scan
    real_planned = registry.search.planned

    class Ways:
        tried: list[tuple[str, int]] = []
        scan_needs = 0
        indexes_take = 0

    ways = Ways()

    @contextmanager
    def watched_planned(using, way, milliseconds=0):
        scan = way == registry.search.SCANNING
        ways.tried.append(("scan", milliseconds) if scan else ("text indexes", milliseconds))
        if scan and milliseconds < ways.scan_needs:
            raise TimeLimitExceeded
        with real_planned(using, way, milliseconds):
            yield
        if not scan:
            time.sleep(ways.indexes_take / 1000)

    monkeypatch.setattr(registry.search, "planned", watched_planned)
    return ways


def counted_ways(ways, queryset) -> list[tuple[str, int]]:
    """The ways a capped count of ``queryset`` was read, after checking the count."""
    ways.tried.clear()
    assert count_up_to(queryset, 1000) == 14
    return list(ways.tried)


def test_a_capped_count_of_a_search_scans_first(ranked_firms, count_ways):
    searched = Company.objects.search(QUERY)
    assert len(sorted_in_one_query()) == 14
    assert counted_ways(count_ways, searched) == counted_ways(count_ways, searched) == [("scan", 25)]
    # A count that is not capped, or not of a search, is PostgreSQL's own.
    count_ways.tried.clear()
    assert searched.count() == 14
    assert Company.objects.all()[:5].count() == 5
    assert count_ways.tried == []


def test_a_count_the_scan_cannot_read_in_time_goes_to_the_text_indexes_next_time(ranked_firms, count_ways, settings):
    # The indexes take less than the first scan's time (surely, on a loaded machine too): no second scan.
    settings.SEARCH_COUNT_SCAN_MILLISECONDS = 5_000
    count_ways.scan_needs = math.inf
    searched = Company.objects.search(QUERY)
    assert counted_ways(count_ways, searched) == [("scan", 5_000), ("text indexes", 0)]
    assert counted_ways(count_ways, searched) == [("text indexes", 0)]
    # Another search is another count: it scans first.
    assert counted_ways(count_ways, Company.objects.search("giai")) == [("scan", 5_000), ("text indexes", 0)]


def test_a_count_learned_in_one_process_is_read_so_in_the_others(ranked_firms, count_ways, settings):
    settings.SEARCH_COUNT_SCAN_MILLISECONDS = 5_000
    count_ways.scan_needs = math.inf
    searched = Company.objects.search(QUERY)
    assert counted_ways(count_ways, searched) == [("scan", 5_000), ("text indexes", 0)]
    registry.search.count_ways.forget_kept()  # another worker process: the shared cache knows
    assert counted_ways(count_ways, searched) == [("text indexes", 0)]
    # Once the shared entry is gone (expired) too, a new process learns the count again.
    cache.clear()
    registry.search.count_ways.forget_kept()
    assert counted_ways(count_ways, searched) == [("scan", 5_000), ("text indexes", 0)]


def test_the_next_scan_gets_as_long_as_the_text_indexes_took(ranked_firms, count_ways):
    count_ways.scan_needs, count_ways.indexes_take = 40, 60
    searched = Company.objects.search(QUERY)
    assert counted_ways(count_ways, searched) == [("scan", 25), ("text indexes", 0)]
    for _ in range(2):
        [(way, milliseconds)] = counted_ways(count_ways, searched)
        assert way == "scan" and 60 <= milliseconds < 1000


def test_a_scan_that_runs_out_of_the_indexes_time_too_is_not_tried_again(ranked_firms, count_ways):
    count_ways.scan_needs, count_ways.indexes_take = math.inf, 60
    searched = Company.objects.search(QUERY)
    assert counted_ways(count_ways, searched) == [("scan", 25), ("text indexes", 0)]
    [(scan, milliseconds), by_indexes] = counted_ways(count_ways, searched)
    assert (scan, by_indexes) == ("scan", ("text indexes", 0)) and milliseconds >= 60
    assert counted_ways(count_ways, searched) == [("text indexes", 0)]


def test_what_is_learned_of_one_database_is_not_used_for_another(ranked_firms, monkeypatch):
    # Servers may share a cache, and so do the benchmark's databases of each size.
    searched = Company.objects.search(QUERY)[:5]
    key = registry.search.count_ways.key_of(searched)
    monkeypatch.setitem(connection.settings_dict, "NAME", f"{connection.settings_dict['NAME']}_other")
    assert registry.search.count_ways.key_of(searched) != key
