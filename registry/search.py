"""The search query shared by every searchable model.

A searchable model keeps folded copies of its text (``registry.text.fold``) in ``search_name`` (its names)
and ``search_body`` (the rest), maintained on save. The search runs in the database as ``LIKE`` on those
columns: on PostgreSQL, trigram GIN indexes serve it; on SQLite it scans the folded columns.
"""

import hashlib
import math
import sys
import time
from contextlib import contextmanager
from functools import reduce
from operator import and_, or_
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, connections, transaction
from django.db.models import Case, IntegerField, Min, Q, QuerySet, Subquery, Value, When
from django.db.models.sql.where import WhereNode

from .querysets import PagedQuerySet
from .text import fold, search_terms

# Longest search query that is honoured; longer input is cut (later words add little and cost much).
MAX_SEARCH_LENGTH = 200
# A trigram index can find a word of at least this many letters anywhere; a shorter one is looked up as
# the start of a word, which the index can also find (and which is what a short word means: "ai" should
# find "AI camera", not "tai" or "mai").
SHORTEST_INFIX = 3


def word_start_in(column: str, term: str) -> Q:
    """``term`` (folded) begins a word of ``column``. Words are separated by spaces, and parts of a folded
    text by newlines (``registry.text.fold_join``)."""
    return (
        Q(**{f"{column}__startswith": term})
        | Q(**{f"{column}__contains": f" {term}"})
        | Q(**{f"{column}__contains": f"\n{term}"})
    )


def begins_with(column: str, prefix: str) -> Q:
    """``column`` (folded text, compared bytewise: the "C" collation on PostgreSQL) begins with ``prefix``,
    written as the range of values from ``prefix`` up to the next string of its length, which only the
    column's b-tree index serves. ``LIKE 'prefix%'`` means the same, but the planner may read it from the
    trigram index, which for a short prefix yields every word that begins with it anywhere in any name
    ("m%": 200,000 product names rechecked to find one, 170 ms)."""
    following = ord(prefix[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates are not characters: the next one is U+E000
        following = 0xE000
    if following > sys.maxunicode:
        return Q(**{f"{column}__startswith": prefix})
    return Q(**{f"{column}__gte": prefix, f"{column}__lt": prefix[:-1] + chr(following)})


def term_in(column: str, term: str) -> Q:
    """``term`` (folded) occurs in ``column``: anywhere, or at the start of a word if it is short."""
    if len(term) >= SHORTEST_INFIX:
        return Q(**{f"{column}__contains": term})
    return word_start_in(column, term)


def search_queryset(queryset: QuerySet, query: str, *, columns: list[str]) -> QuerySet:
    """Rows where every folded word of ``query`` occurs in one of ``columns`` (the first holds the names),
    annotated with ``search_rank``: 3 when the name begins with the whole phrase, 2 when the phrase is in it
    elsewhere (at a word's start if its first word is shorter than ``SHORTEST_INFIX``), 1 when every word is,
    0 otherwise. A ``SearchableQuerySet`` is then ordered by it with ``by_relevance()``."""
    query = query[:MAX_SEARCH_LENGTH]
    terms = search_terms(query)
    if not terms:
        return queryset.annotate(search_rank=Value(0, output_field=IntegerField()))
    unsearched = queryset
    term_somewhere = [reduce(or_, (term_in(column, term) for column in columns)) for term in terms]
    for condition in term_somewhere:
        queryset = queryset.filter(condition)
    name = columns[0]
    phrase = fold(query)
    every_term_in_name = reduce(and_, (term_in(name, term) for term in terms))
    # The phrase in the name has every word in it, each as it matches (a short one at a word's start: every
    # word but the first follows a space in the phrase). So a phrase that begins with a short word must begin
    # a word of the name: "5g camera" is not in "x5g camera".
    phrase_in_name = term_in(name, phrase) if len(terms[0]) >= SHORTEST_INFIX else word_start_in(name, phrase)
    # The name begins with the phrase ("phan mem" in "Phần mềm kế toán"): the best match, and the one a
    # b-tree index on the name column finds (``begins_with``).
    phrase_begins_name = begins_with(name, phrase)
    queryset = queryset.annotate(
        search_rank=Case(
            When(phrase_begins_name, then=Value(3)),
            When(phrase_in_name, then=Value(2)),
            When(every_term_in_name, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    # The rows of each rank, best first (what search_rank's cases mean, one condition each), for
    # SearchableQuerySet to read a page rank by rank. The first three need only the name column: every word
    # in the name is a match. Read from the queryset as it was before the search, they can then be read
    # from an index that holds the name column (the models' covering indexes on their order), never
    # touching the table. The first also says where in the model's order its rows begin (``from_the_first``).
    queryset._rank_tiers = [
        from_the_first(queryset.model, phrase_begins_name),
        phrase_in_name & ~phrase_begins_name,
        every_term_in_name & ~phrase_in_name,
        ~every_term_in_name,
    ]
    queryset._unsearched = Unsearched(unsearched, reduce(and_, term_somewhere), queryset.query.where.clone())
    return queryset


def from_the_first(model, condition: Q) -> Q:
    """``condition`` (on ``model``'s own columns), and the first column of the model's order at least the
    lowest value it has in a row that meets it: the same rows, but a read in the model's order starts at the
    first of them instead of at the beginning of the order.

    Rows that begin alike bunch in the order, far into it for a common phrase: 49,000 of 440,000 product
    names begin with "Phần mềm", the first of them after 295,000 others, which reading a page of them in name
    order went through (48 ms on 100,000 demo companies). The lowest value is read from the index on the
    condition's column that also holds the first column of the order (``search_name``, with ``name``), and
    then the page is next to it (10 ms, most of it the lowest of 49,000 names). It is an aggregate with a
    ``FILTER``, which PostgreSQL computes over the rows that meet the condition: a plain ``MIN`` it would
    read as the first such row in the order, which is the read this bound is there to shorten."""
    column = model._meta.ordering[0]
    if column.startswith("-"):
        raise ValueError(f"{model.__name__} is ordered by {column} descending: its first rows have the highest")
    # One group, of every row that meets the condition (Django groups by no constant).
    rows = model._base_manager.filter(condition).order_by().values(every_row=Value(1))
    lowest = rows.annotate(lowest=Min(column, filter=condition)).values("lowest")
    return condition & Q(**{f"{column}__gte": Subquery(lowest)})


class Unsearched(NamedTuple):
    """A queryset as it was before ``search_queryset`` filtered it (``queryset``), what that filter was
    (``condition``), and the searched queryset's conditions (``where``): as long as they are the same,
    the search's ranks can be read from ``queryset``."""

    queryset: QuerySet
    condition: Q
    where: WhereNode


class SearchableQuerySet(PagedQuerySet):
    """A queryset of a searchable model, whose ``search()`` uses ``search_queryset``.

    ``by_relevance()`` orders the results by ``search_rank``, then in the model's order. Sorting every match
    by rank reads every match, and a common word ("phan mem") matches a fixed share of all firms: the
    work would grow with the registry. So a slice of it (a page) is read rank by rank instead, each rank in
    the model's order, through the model's index on that order, and only as far as the slice needs: the
    first page of a common word reads about one page of rows. Ranks are read as keys; the slice's rows then in
    one query by key, with the queryset's joins, and its prefetches done once for all of them. The slice is
    a list, not a lazy queryset."""

    _rank_tiers: list[Q] | None = None
    _unsearched: Unsearched | None = None
    _by_relevance = False

    def _clone(self):
        clone = super()._clone()
        clone._rank_tiers = self._rank_tiers
        clone._unsearched = self._unsearched
        clone._by_relevance = self._by_relevance
        return clone

    def order_by(self, *field_names):
        ordered = super().order_by(*field_names)
        ordered._by_relevance = False
        return ordered

    def by_relevance(self) -> QuerySet:
        """Best rank first (after ``search()``), then in the model's order."""
        ordered = self.order_by("-search_rank", *self._in_model_order())
        ordered._by_relevance = self._rank_tiers is not None
        return ordered

    def _in_model_order(self) -> list[str]:
        return [*self.model._meta.ordering, "pk"]

    def __getitem__(self, k):
        if self._by_relevance and self._is_page_of_rows(k):
            return self._slice_by_rank(k.start or 0, k.stop)
        return super().__getitem__(k)

    def _rows_in_order_of(self, keys: list) -> list:
        """The rows with these keys, in the keys' order, in one query with the queryset's joins (and its
        prefetches, done once for all of them); one deleted since its key was read is left out."""
        if not keys:
            return []
        rows = {row.pk: row for row in self.order_by().filter(pk__in=keys)}
        return [rows[key] for key in keys if key in rows]

    def _slice_by_rank(self, start: int, stop: int) -> list:
        # The ranks are read as keys alone; the rows, with their joins and prefetches, in one query at the end.
        # A rank read with its joins was planned from the estimate of the text conditions together, a few
        # rows where there were thousands: "tri tue nhan tao" (7,000 names) joined the province table in a
        # nested loop over every match, 58 ms of its 89, before the sort kept 20 (EXPLAIN ANALYZE on the
        # database `make bench BENCH_ARGS="--sizes 100000 --keep"` leaves).
        keys_in_model_order, tiers, in_index = self._ranks()
        keys, skip = [], start  # skip: rows of the current rank before the slice
        for number, tier in enumerate(tiers):
            wanted = stop - start - len(keys)
            if wanted <= 0:
                break
            ranked = keys_in_model_order.filter(tier)
            found = self._read_rank(ranked[skip : skip + wanted], in_index=number < in_index)
            if found or not skip:
                skip = 0  # this rank ends inside the slice: the next one starts at its first row
            else:
                skip -= ranked.order_by()[:skip].count()  # the whole rank lies before the slice
            keys += found
        return self._rows_in_order_of(keys)

    def _ranks(self) -> tuple[QuerySet, list[Q], int]:
        """The keys in the model's order, a condition on them for each rank, and how many of the first ranks
        an index can hold. The ranks are read from the queryset as it was before the search, unless it was
        filtered since: then from itself (the same rows, but the conditions on the search's other columns
        keep every read in the table)."""
        unsearched = self._unsearched
        if unsearched is not None and self.query.where == unsearched.where and not self.query.combinator:
            source = unsearched.queryset
            *name_tiers, rest = self._rank_tiers
            tiers, in_index = [*name_tiers, rest & unsearched.condition], len(name_tiers)
        else:
            source, tiers, in_index = self, self._rank_tiers, 0
        return source.order_by(*self._in_model_order()).values_list("pk", flat=True), tiers, in_index

    def _read_rank(self, rows: QuerySet, *, in_index: bool = False) -> list:
        """A rank as PostgreSQL plans it, for ``SEARCH_RANK_WALK_MILLISECONDS`` (a setting). Reading in the
        model's order finds a page at once when the rank's rows are spread through that order, but reads most
        of the table when they bunch up far into it (product names that begin with "Phần mềm"): past its
        time, the rank's rows are found through the trigram indexes and sorted, as every match was before
        ranks were read one by one. That is quick for a rare phrase, but slow for a common one the planner
        took for rare ("thang long": 2,700 names with it, 27,000 rows rechecked): when that plan runs out of
        time, reading in the model's order gets its time too, before the trigram indexes get all they need.

        A rank of the name alone (``in_index``) that PostgreSQL reads from an index alone, in the model's
        order (the covering index on it), reads that index once at most, which costs less than the trigram
        indexes' way for a phrase common enough to be read so ("phan mem", in 49,000 of 440,000 product
        names that bunch two thirds into the order: the index read 43 ms, the trigram way 105 ms, on 100,000
        demo companies). But that one pass grows with the table, for a phrase PostgreSQL takes for common
        and no name has: see ``_read_from_index_alone``.

        The way that read the rank is remembered (``rank_ways``), by the rank's SQL: the next read of the
        same rank starts with it, instead of running out of time again in the ways before it ("tri tue nhan
        tao" on products, its third rank: 31 ms in vain as planned on every request, then 1.2 ms in the
        index's order, on 100,000 demo companies). So is a rank read as planned in its time: the next read
        is that one statement, not an EXPLAIN and the time limit's four (a company search of "ke toan" made
        16 statements a request, and 5 once each of its ranks was learned)."""
        key = rank_ways.key_of(rows)
        learned = rank_ways.get(key)
        if learned in (READ_FROM_INDEX_ALONE, READ_AS_PLANNED):
            return list(rows)
        plan = rows.explain() if in_index and learned is None else None  # a time limit leaves the plan as it is
        if plan is not None and "Index Only Scan" in plan:
            return self._read_from_index_alone(rows, key)
        milliseconds = settings.SEARCH_RANK_WALK_MILLISECONDS
        if learned is None:
            try:
                with time_limited(self.db, milliseconds):
                    found = list(rows)
                rank_ways.remember(key, READ_AS_PLANNED)
                return found
            except TimeLimitExceeded:
                pass
            plan = plan if plan is not None else rows.explain()
            in_index_order = any(
                f"{scan} on {self.model._meta.db_table}" in plan for scan in ("Bitmap Heap Scan", "Seq Scan")
            )
        else:
            in_index_order = learned == READ_IN_INDEX_ORDER
        if in_index_order:
            found = _read_in_time(rows, IN_INDEX_ORDER, milliseconds)
            if found is not None:
                if learned is None:
                    rank_ways.remember(key, READ_IN_INDEX_ORDER)
                return found
        started = time.monotonic()
        with planned(self.db, BY_TEXT_INDEXES):
            found = list(rows)
        if learned != READ_BY_TEXT_INDEXES:
            # "du lieu" on products, its last rank, was read this way for an hour at 98 ms a request, learned
            # when the database's pages were not in memory, where as planned it takes 2.5 ms (100,000 companies).
            rank_ways.remember_timed(key, READ_BY_TEXT_INDEXES, started=started, allowed_milliseconds=milliseconds)
        return found

    def _read_from_index_alone(self, rows: QuerySet, key: tuple) -> list:
        """A rank PostgreSQL reads from an index alone (see ``_read_rank``), read the first time so for
        ``SEARCH_RANK_INDEX_ALONE_MILLISECONDS``; past them, through the trigram indexes for as long; past
        those too, from the index alone with no limit. The way that answered is learned.

        The index alone finds a page at once for most phrases (0.5-2 ms on 10,000 demo companies, 1-120
        ms on 1,000,000), but reads every name for a phrase PostgreSQL takes for common and no name has
        ("du lieu" on products: 1,200 ms for 4.4 million names, on 1,000,000 demo companies), which the
        trigram indexes find in 1 ms. For a common phrase those are slow (150-1,000 ms there; 7-11 ms on
        10,000 companies, where the index alone takes 0.5-2), so they are tried second, and learned only
        if they finished in time. The last way, one pass over the index at most, has no limit: a limit on
        it would make a slow way of a moment the learned one (93fc011, reverted: past its limit, the
        trigram indexes took 600 ms for "ngan hang", every time). With the setting 0, the index alone
        reads the rank at once."""
        milliseconds = settings.SEARCH_RANK_INDEX_ALONE_MILLISECONDS
        if milliseconds > 0:
            for way, planner_settings in ((READ_FROM_INDEX_ALONE, {}), (READ_BY_TEXT_INDEXES, BY_TEXT_INDEXES)):
                found = _read_in_time(rows, planner_settings, milliseconds)
                if found is not None:
                    rank_ways.remember(key, way)
                    return found
        rank_ways.remember(key, READ_FROM_INDEX_ALONE)
        return list(rows)

    def count(self) -> int:
        """A capped count of search results (a slice: ``api.pagination.count_up_to``) is read by scanning the
        table until there are enough rows, or through the trigram indexes. The scan finds a common word's
        1,001 matches at once; the indexes find a rare word's few matches at once, and recheck a common
        word's many rows slowly. PostgreSQL's own choice misses the first case: it multiplies the shares
        of several common words and takes them for rare, then builds every word's bitmap ("an ninh mang" on
        products: 70 ms, where the scan counts in 11).

        So a search's count first scans, for ``SEARCH_COUNT_SCAN_MILLISECONDS`` (a setting), then counts
        through the indexes; and how that went is remembered (``count_ways``), by the count's SQL. Next time
        the scan gets as long as the indexes took, and if it runs out of that too, the same count goes to the
        indexes at once. A count that needs a little longer than the setting to scan is then read by the scan
        alone, and one that the scan cannot read in time by the indexes alone, on a machine of any speed ("du
        lieu" on 100,000 companies: scan 12 ms in vain, then the indexes 21 ms; the scan alone takes 13-19
        ms)."""
        if self._rank_tiers is None or not self.query.is_sliced:
            return super().count()
        key = count_ways.key_of(self)
        learned = count_ways.get(key)
        scan_milliseconds = settings.SEARCH_COUNT_SCAN_MILLISECONDS if learned is None else learned
        if scan_milliseconds != BY_INDEXES_ONLY:
            try:
                with planned(self.db, SCANNING, scan_milliseconds):
                    return super().count()
            except TimeLimitExceeded:
                pass
        started = time.monotonic()
        with planned(self.db, BY_TEXT_INDEXES):
            count = super().count()
        by_indexes = math.ceil((time.monotonic() - started) * 1000)
        if learned is None:
            # The first scan ran out of its time: the next gets as long as the indexes took, if that is longer.
            count_ways.remember(key, by_indexes if by_indexes > scan_milliseconds else BY_INDEXES_ONLY)
        elif learned != BY_INDEXES_ONLY:
            count_ways.remember(key, BY_INDEXES_ONLY)  # the longer scan ran out of its time too
        return count


class LearnedWays:
    """How reads of one kind went (``kind``: a search's capped count, a rank of its page, a tier of the
    autocomplete), by their SQL and parameters (or what else tells them apart, ``key_on``): the way to read
    the same rows next time, where the first way tried ran out of time.

    Kept in the shared cache (settings.CACHES: Redis in production) for ``SHARED_SECONDS``, so that each
    read is learned once, not once in every worker process (five under gunicorn on two cores, each
    recycled after 5,000 requests) and server; and in this process for ``KEPT_SECONDS``, so that the cache
    is asked once a minute at most per read and process (at most ``KEPT`` reads, the oldest forgotten
    first). The shared entries expire within the hour, so that a read is learned again as the data change,
    and so that what one slow moment taught (a read that ran out of time while the database's pages were not
    yet in memory) does not last: a second way learned so can be many times slower than the first (a product
    search's rank on 1,000,000 companies: 34 ms from an index, 600 ms through the trigram indexes). A way
    that took longer than the ways before it were allowed is kept for ``UNSURE_SECONDS`` only."""

    KEPT = 1_000
    KEPT_SECONDS = 60
    SHARED_SECONDS = 60 * 60
    UNSURE_SECONDS = 60

    def __init__(self, kind: str):
        self.kind = kind
        # key -> (the way, or None: nothing learned when the cache was asked; until when it is kept)
        self._kept: dict[tuple, tuple[object, float]] = {}

    @staticmethod
    def key_of(queryset: QuerySet) -> tuple:
        """The read's database (where it is, not its alias: servers of several databases may share a cache),
        SQL and parameters."""
        sql, params = queryset.query.sql_with_params()
        return LearnedWays.key_on(queryset.db, sql, repr(params))

    @staticmethod
    def key_on(using: str, *read: str) -> tuple:
        """A read's key: its database (as ``key_of``) and what tells the read apart (``read``)."""
        database = connections[using].settings_dict
        return (database["HOST"], database["PORT"], database["NAME"], *read)

    def get(self, key: tuple):
        """The way learned for ``key``, here or by another process; None if none was."""
        kept = self._kept.get(key)
        if kept is not None and time.monotonic() < kept[1]:
            return kept[0]
        way = cache.get(self._shared_key(key))
        self._keep(key, way)
        return way

    def remember(self, key: tuple, way, seconds: int | None = None) -> None:
        """Keep ``way`` for ``key`` for ``seconds`` (``SHARED_SECONDS`` if not given)."""
        seconds = self.SHARED_SECONDS if seconds is None else seconds
        self._keep(key, way, seconds)
        cache.set(self._shared_key(key), way, seconds)

    def remember_timed(self, key: tuple, way, *, started: float, allowed_milliseconds: float) -> None:
        """Keep ``way``, a last way that read ``key`` from ``started`` (``time.monotonic()``) until now: for
        ``SHARED_SECONDS`` if it took no longer than the ways before it were allowed (then it is the faster),
        for ``UNSURE_SECONDS`` if it took longer (the moment may have been slow rather than those ways, which
        are tried again soon)."""
        took = (time.monotonic() - started) * 1000
        self.remember(key, way, self.SHARED_SECONDS if took <= allowed_milliseconds else self.UNSURE_SECONDS)

    def forget(self, key: tuple) -> None:
        """Forget the way learned for ``key``, here and in the shared cache: the next read tries every way."""
        self._kept.pop(key, None)
        cache.delete(self._shared_key(key))

    def forget_kept(self) -> None:
        """Forget what this process kept (as a new worker process starts); the shared cache keeps it."""
        self._kept.clear()

    def _keep(self, key: tuple, way, seconds: int | None = None) -> None:
        if key not in self._kept and len(self._kept) >= self.KEPT:
            self._kept.pop(next(iter(self._kept), None), None)
        seconds = self.KEPT_SECONDS if seconds is None else min(seconds, self.KEPT_SECONDS)
        self._kept[key] = (way, time.monotonic() + seconds)

    def _shared_key(self, key: tuple) -> str:
        return f"search-way:{self.kind}:{hashlib.sha256(repr(key).encode()).hexdigest()}"


# A capped count (SearchableQuerySet.count): how many milliseconds its next scan gets, or BY_INDEXES_ONLY.
count_ways = LearnedWays("count")
BY_INDEXES_ONLY = -1
# A rank of a page (SearchableQuerySet._read_rank): which way read it, where the first did not.
rank_ways = LearnedWays("rank")
READ_FROM_INDEX_ALONE, READ_IN_INDEX_ORDER, READ_BY_TEXT_INDEXES = "index alone", "index order", "text indexes"
READ_AS_PLANNED = "as planned"
# A later tier of the autocomplete (read_within): read through the trigram indexes, where the name order did not
# find it in its time; or not read at all (NOT_IN_TIME), where neither way did.
suggestion_ways = LearnedWays("suggestion")
NOT_IN_TIME = "not in time"


# Longest text the autocomplete accepts: a name typed so far, not a document.
MAX_SUGGESTION_QUERY_LENGTH = 100


class TimeLimitExceeded(Exception):
    """A query ran past the time it was given (``time_limited``)."""


@contextmanager
def _local_settings(using: str, parameters: dict[str, str]):
    """On PostgreSQL, queries inside run in a savepoint with these run-time parameters set (``SET LOCAL``);
    elsewhere, as they are. A query cancelled by ``statement_timeout`` raises ``TimeLimitExceeded`` (rolled
    back to the savepoint)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not parameters:
        yield
        return
    in_transaction = connection.in_atomic_block
    try:
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:  # one statement: a round trip for each was 0.1-0.2 ms
                cursor.execute("; ".join(f"SET LOCAL {name} = {value}" for name, value in parameters.items()))
            yield
            if in_transaction:  # a released savepoint keeps the settings; a committed transaction does not
                with connection.cursor() as cursor:
                    cursor.execute("; ".join(f"SET LOCAL {name} TO DEFAULT" for name in parameters))
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == "57014":  # query_canceled
            raise TimeLimitExceeded from error
        raise


def time_limited(using: str, milliseconds: int):
    """On PostgreSQL, queries inside run in a savepoint with ``statement_timeout`` set to ``milliseconds``;
    one that runs longer is cancelled, rolled back to the savepoint, and ``TimeLimitExceeded`` is raised.
    Elsewhere (SQLite), or with ``milliseconds`` 0, no limit."""
    return planned(using, {}, milliseconds)


# Planner settings that make PostgreSQL read a table either in a b-tree index's order, filtering as it goes
# and stopping when it has enough (no bitmap or sequential scans, no sorts, and no parallel workers, whose
# start costs more than such a read), or through the trigram (and other) indexes' bitmaps, sorting what
# they find (no plain index scans or sequential scans). Without enable_seqscan and enable_sort, a condition
# PostgreSQL takes for rare (several words, each common: it multiplies their shares) was read by a
# sequential scan and sorted: 177 ms for a product search's rank the index order finds in 1.5 ms (EXPLAIN
# ANALYZE on 100,000 demo companies, "tri tue nhan tao").
IN_INDEX_ORDER = {
    "enable_bitmapscan": "off",
    "enable_seqscan": "off",
    "enable_sort": "off",
    "max_parallel_workers_per_gather": "0",
}
BY_TEXT_INDEXES = {"enable_indexscan": "off", "enable_seqscan": "off"}
# Scanning a table (a count's rows in no order) until there are enough rows: no bitmap scans.
SCANNING = {"enable_bitmapscan": "off"}


def planned(using: str, way: dict[str, str], milliseconds: int = 0):
    """On PostgreSQL, queries inside are planned ``way`` (``IN_INDEX_ORDER``, ``BY_TEXT_INDEXES``, or ``{}``:
    as PostgreSQL chooses), and cancelled past ``milliseconds`` (0: no limit) with ``TimeLimitExceeded``;
    elsewhere, run as they are."""
    limit = {"statement_timeout": str(int(milliseconds))} if milliseconds > 0 else {}
    return _local_settings(using, {**way, **limit})


def _read_in_time(rows: QuerySet, way: dict[str, str], milliseconds: int) -> list | None:
    """``rows`` read ``planned`` ``way`` within ``milliseconds``; None if they ran out of them."""
    try:
        with planned(rows.db, way, milliseconds):
            return list(rows)
    except TimeLimitExceeded:
        return None


class TimeBudget:
    """Milliseconds that several queries share on PostgreSQL (0: no limit), counted from the first of them:
    what runs before (an autocomplete's first tier) does not spend it."""

    def __init__(self, milliseconds: int):
        self.milliseconds = milliseconds
        self.deadline: float | None = None  # set when first asked

    def remaining(self) -> int | None:
        """Whole milliseconds left (0 when none are), or None without a limit."""
        if self.milliseconds <= 0:
            return None
        if self.deadline is None:
            self.deadline = time.monotonic() + self.milliseconds / 1000
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def read_within(rows: QuerySet, budget: TimeBudget, *, read: tuple[str, ...] = ()) -> list:
    """``rows`` (a short slice in an index's order), read within what is left of ``budget`` on PostgreSQL, or
    ``TimeLimitExceeded``. Half of it goes to reading the table in that order and filtering, which finds a
    common word's rows at once; if that runs out, the rest to finding the rows by the trigram indexes and
    sorting them, which finds a rare word's rows at once. PostgreSQL's own choice between the two misses
    both ways at this scale (a common prefix bunched far into the order, a rare one the trigram index
    overestimates), and then takes hundreds of milliseconds.

    Where the trigram indexes answered, that is learned (``suggestion_ways``) for the ``read`` given (what
    tells it apart: its table, tier and phrase; none given, nothing is learned): the same read next time goes
    to them at once, with the whole budget. The half spent in vain was a third of the autocomplete's time:
    196 of the 342 reads of the benchmark's mix ran out of it, 1,081 ms of 3,421 (in one process, 100,000
    demo companies). As for a search's ranks, a way that took longer than the first was allowed is learned
    for a minute only, and one that runs out of time is forgotten.

    Where neither way answered in its time, the tier is given up at once for a minute (``NOT_IN_TIME``):
    the answer is the one the full budget would have given, what earlier tiers found, without spending it
    ("log" on products, at 100,000 demo companies: 11 ms a request, then none). After the minute, both ways
    are tried again."""
    remaining = budget.remaining()
    if remaining is None or connections[rows.db].vendor != "postgresql":
        return list(rows)
    if remaining < 2:
        raise TimeLimitExceeded
    key = suggestion_ways.key_on(rows.db, *read) if read else None
    learned = suggestion_ways.get(key) if key is not None else None
    if learned == NOT_IN_TIME:
        raise TimeLimitExceeded
    if learned == READ_BY_TEXT_INDEXES:
        try:
            with planned(rows.db, BY_TEXT_INDEXES, remaining):
                return list(rows)
        except TimeLimitExceeded:
            suggestion_ways.forget(key)
            raise
    in_name_order = remaining // 2
    try:
        with planned(rows.db, IN_INDEX_ORDER, in_name_order):
            return list(rows)
    except TimeLimitExceeded:
        remaining = budget.remaining()
        if remaining < 1:
            raise
    started = time.monotonic()
    try:
        with planned(rows.db, BY_TEXT_INDEXES, remaining):
            found = list(rows)
    except TimeLimitExceeded:
        if key is not None:
            suggestion_ways.remember(key, NOT_IN_TIME, suggestion_ways.UNSURE_SECONDS)
        raise
    if key is not None:
        suggestion_ways.remember_timed(key, READ_BY_TEXT_INDEXES, started=started, allowed_milliseconds=in_name_order)
    return found


def name_suggestions(queryset: QuerySet, query: str, *, limit: int, budget: TimeBudget) -> list:
    """At most ``limit`` rows whose name best matches ``query``, a name typed so far, in tiers: names that
    begin with the typed text; then, for several words, names in which the typed words begin a word
    together ("phan mem ke" finds "Giải pháp phần mềm kế toán"); then names in which every typed word begins
    a word ("viet" finds "Viettel" and "Tập đoàn Viettel", not "Bảo Việt" twice). Each tier is one query,
    run only while fewer than ``limit`` rows are found, ordered by the folded name (``search_name``, in the
    bytewise "C" collation on PostgreSQL, with a b-tree index) and cut at ``limit``.

    The middle tier is there for speed as much as for ranking: a phrase is rare, so the trigram index finds
    its few rows at once, where common words one by one ("phan", "mem") match a large share of all names.
    The later tiers share ``budget`` on PostgreSQL (``read_within``): a search box wants an answer now, so
    a tier that would take longer is given up, with what the earlier tiers found."""
    terms = search_terms(query)
    if not terms:
        return []
    phrase = " ".join(terms)
    tiers = [begins_with("search_name", phrase)]  # a b-tree range: always fast
    if len(terms) > 1:
        tiers.append(word_start_in("search_name", phrase))
    tiers.append(reduce(and_, (word_start_in("search_name", term) for term in terms)))
    by_name = queryset.order_by("search_name", "pk")
    found = list(by_name.filter(tiers[0])[:limit])
    for tier, condition in enumerate(tiers[1:], start=1):
        if len(found) >= limit:
            break
        more = by_name.filter(condition).exclude(pk__in=[row.pk for row in found])
        # The way that reads a tier depends on how its phrase's names lie in the table, not on who asks (what
        # they may see) or on the few rows found before it.
        read = (queryset.model._meta.db_table, str(tier), phrase, str(len(tiers)))
        try:
            found += read_within(more[: limit - len(found)], budget, read=read)
        except TimeLimitExceeded:
            break
    return found
