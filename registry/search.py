"""The search query shared by every searchable model.

A searchable model keeps folded copies of its text (``registry.text.fold``) in ``search_name`` (its names)
and ``search_body`` (the rest), maintained on save. The search runs in the database as ``LIKE`` on those
columns: on PostgreSQL, trigram GIN indexes serve it; on SQLite it scans the folded columns.
"""

from contextlib import contextmanager
from functools import reduce
from operator import and_, or_

from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

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


def term_in(column: str, term: str) -> Q:
    """``term`` (folded) occurs in ``column``: anywhere, or at the start of a word if it is short."""
    if len(term) >= SHORTEST_INFIX:
        return Q(**{f"{column}__contains": term})
    return word_start_in(column, term)


def search_queryset(queryset: QuerySet, query: str, *, columns: list[str]) -> QuerySet:
    """Rows where every folded word of ``query`` occurs in one of ``columns`` (the first holds the names),
    annotated with ``search_rank``: 2 when the whole phrase is in the name, 1 when every word is, 0
    otherwise."""
    query = query[:MAX_SEARCH_LENGTH]
    terms = search_terms(query)
    if not terms:
        return queryset.annotate(search_rank=Value(0, output_field=IntegerField()))
    for term in terms:
        queryset = queryset.filter(reduce(or_, (term_in(column, term) for column in columns)))
    name = columns[0]
    every_term_in_name = reduce(and_, (term_in(name, term) for term in terms))
    return queryset.annotate(
        search_rank=Case(
            When(Q(**{f"{name}__contains": fold(query)}), then=Value(2)),
            When(every_term_in_name, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


# Longest text the autocomplete accepts: a name typed so far, not a document.
MAX_SUGGESTION_QUERY_LENGTH = 100


class TimeLimitExceeded(Exception):
    """A query ran past the time it was given (``time_limited``)."""


@contextmanager
def time_limited(using: str, milliseconds: int):
    """On PostgreSQL, queries inside run in a savepoint with ``statement_timeout`` set to ``milliseconds``;
    one that runs longer is cancelled, rolled back to the savepoint, and ``TimeLimitExceeded`` is raised.
    Elsewhere (SQLite), or with ``milliseconds`` 0, no limit."""
    connection = connections[using]
    if connection.vendor != "postgresql" or milliseconds <= 0:
        yield
        return
    in_transaction = connection.in_atomic_block
    try:
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(milliseconds)}")
            yield
            if in_transaction:  # a released savepoint keeps the setting; a committed transaction does not
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == "57014":  # query_canceled
            raise TimeLimitExceeded from error
        raise


def name_suggestions(queryset: QuerySet, query: str, *, limit: int) -> list:
    """At most ``limit`` rows whose name best matches ``query``, a name typed so far, in tiers: names that
    begin with the typed text; then, for several words, names in which the typed words begin a word
    together ("phan mem ke" finds "Giải pháp phần mềm kế toán"); then names in which every typed word begins
    a word ("viet" finds "Viettel" and "Tập đoàn Viettel", not "Bảo Việt" twice). Each tier is one query,
    run only while fewer than ``limit`` rows are found, ordered by the folded name (``search_name``, in the
    bytewise "C" collation on PostgreSQL, with a b-tree index) and cut at ``limit``.

    The middle tier is there for speed as much as for ranking: a phrase is rare, so the trigram index finds
    its few rows at once, where common words one by one ("phan", "mem") match a large share of all names.
    The later tiers get ``settings.SUGGESTION_TIER_MILLISECONDS`` each on PostgreSQL: a search box wants an
    answer now, so a tier that would take longer is given up, with what the earlier tiers found."""
    terms = search_terms(query)
    if not terms:
        return []
    phrase = " ".join(terms)
    tiers = [Q(search_name__startswith=phrase)]  # a b-tree range: always fast
    if len(terms) > 1:
        tiers.append(word_start_in("search_name", phrase))
    tiers.append(reduce(and_, (word_start_in("search_name", term) for term in terms)))
    by_name = queryset.order_by("search_name", "pk")
    found = list(by_name.filter(tiers[0])[:limit])
    for condition in tiers[1:]:
        if len(found) >= limit:
            break
        more = by_name.filter(condition).exclude(pk__in=[row.pk for row in found])
        try:
            with time_limited(queryset.db, settings.SUGGESTION_TIER_MILLISECONDS):
                found += list(more[: limit - len(found)])
        except TimeLimitExceeded:
            break
    return found
