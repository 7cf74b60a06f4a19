"""The reads behind the autocomplete (``registry.search``): a name prefix as a b-tree range that means exactly
``startswith``; later tiers read within a time budget, walking the names in order first and then through the
trigram index, and given up (with what earlier tiers found) when the budget is spent."""

import sys
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection

import registry.search
from companies.models import Company
from registry.search import TimeBudget, TimeLimitExceeded, begins_with, name_suggestions, read_within
from tests.helpers import get_json

NAMES = ["Phần mềm Việt", "Phần mềm Bắc", "Phân phối Zeta", "Công ty Phần mềm Nam", "Pha chế", "Phz"]


@pytest.fixture
def named_firms(make_company):
    return [make_company(name=name) for name in NAMES]


@pytest.mark.parametrize("prefix", ["p", "ph", "pha", "phan", "phan mem", "phan mem v", "phz", "z", "cong ty"])
def test_a_prefix_range_finds_what_startswith_finds(named_firms, prefix):
    as_range = Company.objects.filter(begins_with("search_name", prefix)).order_by("pk")
    as_like = Company.objects.filter(search_name__startswith=prefix).order_by("pk")
    assert list(as_range) == list(as_like)


def test_a_prefix_range_ends_at_the_next_character_or_is_a_like():
    assert begins_with("search_name", "abc").children == [("search_name__gte", "abc"), ("search_name__lt", "abd")]
    # The character after U+D7FF is a surrogate, not a character: the range ends at U+E000.
    assert begins_with("search_name", "a\ud7ff").children[1] == ("search_name__lt", "a\ue000")
    # Nothing follows the last code point: LIKE 'prefix%' then.
    last = "a" + chr(sys.maxunicode)
    assert begins_with("search_name", last).children == [("search_name__startswith", last)]


def spent_budget() -> TimeBudget:
    budget = TimeBudget(1)
    budget.remaining()  # starts counting
    budget.deadline -= 1
    return budget


def test_a_time_budget_counts_down_from_its_first_use_and_zero_means_no_limit():
    assert TimeBudget(0).remaining() is None
    budget = TimeBudget(60_000)
    assert budget.deadline is None  # not started: what runs before its first use does not spend it
    assert 59_000 < budget.remaining() <= 60_000
    assert spent_budget().remaining() == 0


@contextmanager
def recorded_settings(calls, fail_first: int):
    """``_local_settings`` that records each call's parameters and makes the first ``fail_first`` of them
    run out of time."""

    @contextmanager
    def fake(using, parameters):
        calls.append(dict(parameters))
        if len(calls) <= fail_first:
            raise TimeLimitExceeded
        yield

    yield fake


def test_a_read_walks_the_order_first_then_uses_the_trigram_index(named_firms, monkeypatch):
    rows = Company.objects.order_by("search_name", "pk")[:3]
    if connection.vendor != "postgresql":  # no time limits elsewhere: just read
        assert read_within(rows, TimeBudget(100)) == list(rows)
        return
    for fail_first, expected in [(0, 1), (1, 2), (2, None)]:
        calls = []
        with recorded_settings(calls, fail_first) as fake:
            monkeypatch.setattr(registry.search, "_local_settings", fake)
            if expected is None:
                with pytest.raises(TimeLimitExceeded):
                    read_within(rows, TimeBudget(1000))
            else:
                assert read_within(rows, TimeBudget(1000)) == list(Company.objects.order_by("search_name", "pk")[:3])
        assert len(calls) == min(fail_first + 1, 2)
        assert calls[0]["enable_bitmapscan"] == "off"  # in the index's order first
        assert 0 < int(calls[0]["statement_timeout"]) <= 500  # with half of the budget
        if len(calls) == 2:
            assert calls[1]["enable_indexscan"] == "off"  # then through the trigram index
            assert int(calls[1]["statement_timeout"]) <= 1000


def test_a_spent_budget_leaves_the_later_tiers_out(named_firms):
    companies = Company.objects.only("pk", "name")
    found = name_suggestions(companies, "phan", limit=10, budget=TimeBudget(0))  # no limit
    assert [company.name for company in found] == [
        "Phần mềm Bắc",
        "Phần mềm Việt",
        "Phân phối Zeta",
        "Công ty Phần mềm Nam",
    ]
    spent = spent_budget()
    first_tier_only = [company.name for company in name_suggestions(companies, "phan", limit=10, budget=spent)]
    if connection.vendor == "postgresql":
        assert first_tier_only == ["Phần mềm Bắc", "Phần mềm Việt", "Phân phối Zeta"]  # names beginning with it
    else:  # the budget is PostgreSQL's statement_timeout: no limit elsewhere
        assert first_tier_only == [company.name for company in found]


def test_the_autocomplete_gives_each_kind_its_budget(api_client, named_firms, monkeypatch, settings):
    budgets = []
    real = registry.search.read_within

    def watched(rows, budget, **read):
        budgets.append(budget)
        return real(rows, budget, **read)

    monkeypatch.setattr(registry.search, "read_within", watched)
    settings.SUGGESTION_MILLISECONDS = 5000
    body = get_json(api_client, "autocomplete", {"q": "phan mem"})
    assert [row["name"] for row in body["companies"]][:2] == ["Phần mềm Bắc", "Phần mềm Việt"]
    assert budgets and all(0 < budget.remaining() <= 5000 for budget in budgets)
    assert len({id(budget) for budget in budgets}) == 2  # one for companies, one for products


@contextmanager
def ways_that_run_out(tried: list, out_of_time: set):
    """``_local_settings`` that records the way of each read ("name order" or "text indexes") and its time
    limit, and makes the ways in ``out_of_time`` run out of it (the set may change between reads)."""

    @contextmanager
    def fake(using, parameters):
        way = "name order" if parameters.get("enable_bitmapscan") == "off" else "text indexes"
        tried.append((way, int(parameters["statement_timeout"])))
        if way in out_of_time:
            raise TimeLimitExceeded
        yield

    yield fake


def test_a_read_the_trigram_indexes_answered_goes_to_them_first_next_time(named_firms, monkeypatch):
    rows = Company.objects.order_by("search_name", "pk")[:3]
    expected = list(rows)
    read = ("companies_company", "1", "phan mem")
    if connection.vendor != "postgresql":  # no time limits elsewhere: read at once, nothing to learn
        assert read_within(rows, TimeBudget(1000), read=read) == expected
        assert registry.search.suggestion_ways.get(registry.search.suggestion_ways.key_on("default", *read)) is None
        return
    tried, out_of_time = [], {"name order"}
    with ways_that_run_out(tried, out_of_time) as fake:
        monkeypatch.setattr(registry.search, "_local_settings", fake)
        assert read_within(rows, TimeBudget(1000), read=read) == expected
        assert [way for way, _ in tried] == ["name order", "text indexes"]
        # Learned, in this process and for the others (the shared cache): the whole budget to the text indexes.
        for forget in (lambda: None, registry.search.suggestion_ways.forget_kept):
            forget()
            tried.clear()
            assert read_within(rows, TimeBudget(1000), read=read) == expected
            assert [way for way, _ in tried] == ["text indexes"]
            assert 500 < tried[0][1] <= 1000
        # Another phrase, or a read that says nothing of itself, learns apart.
        for other in ({"read": (*read[:2], "phan")}, {}):
            tried.clear()
            out_of_time.clear()
            assert read_within(rows, TimeBudget(1000), **other) == expected
            assert [way for way, _ in tried] == ["name order"]
        # The learned way running out of time is forgotten: the next read tries both again.
        tried.clear()
        out_of_time.add("text indexes")
        with pytest.raises(TimeLimitExceeded):
            read_within(rows, TimeBudget(1000), read=read)
        out_of_time.clear()
        assert read_within(rows, TimeBudget(1000), read=read) == expected
        assert [way for way, _ in tried] == ["text indexes", "name order"]


@pytest.mark.parametrize(("text_indexes_take", "kept_for"), [(0, "SHARED_SECONDS"), (60, "UNSURE_SECONDS")])
def test_a_trigram_read_slower_than_the_name_order_was_allowed_is_learned_for_a_minute(
    named_firms, monkeypatch, text_indexes_take, kept_for
):
    if connection.vendor != "postgresql":
        return  # no time limits elsewhere: nothing is learned (the test above)
    lifetimes = []
    real_remember = registry.search.suggestion_ways.remember

    def watched_remember(key, way, seconds=None):
        lifetimes.append((way, seconds))
        real_remember(key, way, seconds)

    # The search's clock: a read takes what the test says, not what a loaded machine makes of it.
    clock = SimpleNamespace(now=1_000.0)
    monkeypatch.setattr(registry.search, "time", SimpleNamespace(monotonic=lambda: clock.now))

    @contextmanager
    def slow_text_indexes(using, parameters):
        if parameters.get("enable_bitmapscan") == "off":  # the name order: 50 of the 100 ms, in vain
            raise TimeLimitExceeded
        yield
        clock.now += text_indexes_take / 1000

    monkeypatch.setattr(registry.search.suggestion_ways, "remember", watched_remember)
    monkeypatch.setattr(registry.search, "_local_settings", slow_text_indexes)
    rows = Company.objects.order_by("search_name", "pk")[:3]
    read_within(rows, TimeBudget(100), read=("companies_company", "1", "phan mem"))
    assert lifetimes == [(registry.search.READ_BY_TEXT_INDEXES, getattr(registry.search.suggestion_ways, kept_for))]


def test_a_read_neither_way_finds_in_time_is_given_up_at_once_for_a_minute(named_firms, monkeypatch):
    if connection.vendor != "postgresql":
        return  # no time limits elsewhere: nothing runs out of time
    tried, lifetimes = [], []
    read = ("products_product", "2", "log")
    real_remember = registry.search.suggestion_ways.remember

    def watched_remember(key, way, seconds=None):
        lifetimes.append((way, seconds))
        real_remember(key, way, seconds)

    monkeypatch.setattr(registry.search.suggestion_ways, "remember", watched_remember)
    rows = Company.objects.order_by("search_name", "pk")[:3]
    with ways_that_run_out(tried, {"name order", "text indexes"}) as fake:
        monkeypatch.setattr(registry.search, "_local_settings", fake)
        with pytest.raises(TimeLimitExceeded):
            read_within(rows, TimeBudget(1000), read=read)
        assert [way for way, _ in tried] == ["name order", "text indexes"]
        assert lifetimes == [(registry.search.NOT_IN_TIME, registry.search.suggestion_ways.UNSURE_SECONDS)]
        # The same read, in this process or another: given up without a query, which would run out again.
        for forget in (lambda: None, registry.search.suggestion_ways.forget_kept):
            forget()
            tried.clear()
            with pytest.raises(TimeLimitExceeded):
                read_within(rows, TimeBudget(1000), read=read)
            assert tried == []
        # The minute over (the entry gone), both ways are tried again.
        cache.clear()
        registry.search.suggestion_ways.forget_kept()
        with pytest.raises(TimeLimitExceeded):
            read_within(rows, TimeBudget(1000), read=read)
        assert [way for way, _ in tried] == ["name order", "text indexes"]
