"""Country names by ISO 3166-1 alpha-2 code, as django-countries gives them, read once per language."""

import functools

from django.conf import settings
from django.utils import translation
from django_countries import countries


@functools.cache
def _names(language: str) -> dict[str, str]:
    with translation.override(language):
        return {code: str(name) for code, name in countries}


def country_name(code: str) -> str:
    """The country's name in the active language, "" for a code django-countries does not know: its
    ``countries.name(code)``, without translating the name again on every call (30 µs each; the markets
    summary names 248 countries)."""
    return _names(translation.get_language() or settings.LANGUAGE_CODE).get(code, "")
