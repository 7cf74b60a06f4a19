"""The search query shared by every searchable model.

A searchable model keeps folded copies of its text (``registry.text.fold``) in ``search_name`` (its names)
and ``search_body`` (the rest), maintained on save. The search runs in the database as ``LIKE`` on those
columns: on PostgreSQL, trigram GIN indexes serve it; on SQLite it scans the folded columns.
"""

from collections.abc import Callable
from functools import reduce
from operator import and_

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from .text import fold, search_terms

# Longest search query that is honoured; longer input is cut (later words add little and cost much).
MAX_SEARCH_LENGTH = 200


def search_queryset(queryset: QuerySet, query: str, *, term_matches: Callable[[str], Q]) -> QuerySet:
    """Rows where every folded word of ``query`` satisfies ``term_matches(word)``, annotated with
    ``search_rank``: 2 when the whole phrase is in the name, 1 when every word is, 0 otherwise."""
    query = query[:MAX_SEARCH_LENGTH]
    terms = search_terms(query)
    if not terms:
        return queryset.annotate(search_rank=Value(0, output_field=IntegerField()))
    for term in terms:
        queryset = queryset.filter(term_matches(term))
    every_term_in_name = reduce(and_, (Q(search_name__contains=term) for term in terms))
    return queryset.annotate(
        search_rank=Case(
            When(search_name__contains=fold(query), then=Value(2)),
            When(every_term_in_name, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
