"""The search query shared by every searchable model.

A searchable model keeps folded copies of its text (``registry.text.fold``) in ``search_name`` (its names)
and ``search_body`` (the rest), maintained on save. The search runs in the database as ``LIKE`` on those
columns: on PostgreSQL, trigram GIN indexes serve it; on SQLite it scans the folded columns.
"""

from functools import reduce
from operator import and_, or_

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


def name_suggestions(queryset: QuerySet, query: str, *, limit: int) -> list:
    """At most ``limit`` rows whose name best matches ``query``, a name typed so far: first the names that
    begin with the typed text, then those in which every typed word begins a word ("viet" finds
    "Viettel" and "Tập đoàn Viettel", not "Bảo Việt" twice). Each tier is one query, ordered by the
    folded name (``search_name``, in the bytewise "C" collation on PostgreSQL, with a b-tree index) and cut
    at ``limit``, so neither sorts every match."""
    terms = search_terms(query)
    if not terms:
        return []
    by_name = queryset.order_by("search_name", "pk")
    found = list(by_name.filter(search_name__startswith=" ".join(terms))[:limit])
    if len(found) < limit:
        every_word_starts = reduce(and_, (word_start_in("search_name", term) for term in terms))
        more = by_name.filter(every_word_starts).exclude(pk__in=[row.pk for row in found])
        found += list(more[: limit - len(found)])
    return found
