"""The filter backend: django-filter, plus a 400 for query parameters a list endpoint does not know,
so that a typo (``?provnce=01``) is reported instead of silently answering an unfiltered page."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

# Parameters every endpoint accepts: DRF's renderer choice.
ALWAYS_ALLOWED = {"format"}


class StrictDjangoFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) == "list":
            self._reject_unknown_parameters(request, view)
        return super().filter_queryset(request, queryset, view)

    def _reject_unknown_parameters(self, request, view) -> None:
        known = set(ALWAYS_ALLOWED)
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None:
            known.update(filterset_class.base_filters)
        paginator = getattr(view, "paginator", None)
        if paginator is not None:
            known.update({paginator.page_query_param, paginator.page_size_query_param})
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            valid = ", ".join(sorted(known))
            raise ValidationError({name: [f"Unknown query parameter. Valid parameters: {valid}."] for name in unknown})
