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


def term_in(column: str, term: str) -> Q:
    """``term`` (folded) occurs in ``column``: anywhere, or at the start of a word if it is short. Words
    are separated by spaces, and parts of a folded text by newlines (``registry.text.fold_join``)."""
    if len(term) >= SHORTEST_INFIX:
        return Q(**{f"{column}__contains": term})
    return (
        Q(**{f"{column}__startswith": term})
        | Q(**{f"{column}__contains": f" {term}"})
        | Q(**{f"{column}__contains": f"\n{term}"})
    )


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
