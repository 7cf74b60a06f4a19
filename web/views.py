"""The public page at ``/``: one server-rendered HTML page, in Vietnamese or English, whose own script
(``static/web/app.js``) calls the public API for the search box and draws the indicators as SVG.

The page's Content-Security-Policy is the site's (settings.SECURE_CSP): everything from this server, no
inline script or style (the page uses no nonce), no frames, no plug-ins.

The language is chosen per request (``?lang=`` first, then ``Accept-Language``, then Vietnamese) and set with
``translation.override`` for this page only: LocaleMiddleware is not installed, so the API's responses never
depend on the caller's language.
"""

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.http import require_safe

DEFAULT_LANGUAGE = "vi"
LANGUAGES = {code for code, _ in settings.LANGUAGES}  # en, vi


def page_language(request) -> str:
    """``?lang=vi|en`` wins; an unknown value is ignored. Then the best match in ``Accept-Language``, else
    Vietnamese."""
    asked = request.GET.get("lang", "").strip().lower()
    if asked in LANGUAGES:
        return asked
    # Django's parser: most wanted first, each with its quality.
    for tag, quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        primary = tag.split("-")[0]
        if quality <= 0 or primary == "*":
            break
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def _client_config(language: str) -> dict:
    """What app.js needs: the API's URLs and its strings in the page's language (passed as JSON, not code)."""
    return {
        "lang": language,
        "urls": {
            "autocomplete": reverse("autocomplete"),
            "companies": reverse("company-list"),
            "categories": reverse("category-list"),
            "indicators": reverse("indicators"),
        },
        "strings": {
            "company": gettext("Company"),
            "product": gettext("Product"),
            "searching": gettext("Searching…"),
            "typeSomething": gettext("Type a name, a product or a place to search."),
            "noResults": gettext("No company matches “{query}”."),
            "resultCount": gettext("{count} companies match “{query}”."),
            "resultCountCapped": gettext("More than {count} companies match “{query}”; showing the first."),
            "oneResult": gettext("One company matches “{query}”."),
            "suggestionCount": gettext("{count} suggestions; use the up and down arrows to choose."),
            "noSuggestions": gettext("No suggestions."),
            "loadError": gettext("Could not load the data (HTTP {status})."),
            "networkError": gettext("Could not reach the server."),
            "showMore": gettext("Show more results"),
            "verified": gettext("Verified"),
            "latestRevenue": gettext("Export revenue {year}: {amount}"),
            "markets": gettext("Markets: {markets}"),
            "taxCode": gettext("Tax code {code}"),
            "noRevenue": gettext("No export revenue is recorded yet."),
            "noBreakdown": gettext("No figures yet."),
            "revenueTitle": gettext("Export revenue by year against the path to the {year} target"),
            "revenueSummary": gettext(
                "In {year}, the registry's firms exported {amount}, of which {share} verified. Reaching "
                "{target} by {targetYear} needs {required} growth a year; the trend of the last years is {trend}."
            ),
            "target": gettext("Target {year}"),
            "year": gettext("Year"),
            "amount": gettext("Revenue (USD)"),
            "verifiedShare": gettext("Verified share"),
            "companies": gettext("Companies"),
            "verifiedCompanies": gettext("Verified companies"),
            "shareVerified": gettext("{share} verified"),
            "companiesShort": gettext("{count} companies"),
            "marketsTitle": gettext("Top export markets, {year}"),
            "categoriesTitle": gettext("Top product categories, {year}"),
            "breakdownByCompanies": gettext("No revenue recorded for {year}: bars show the number of companies."),
            "breakdownByCompaniesNow": gettext("No revenue recorded: bars show the number of companies."),
            "marketsTitleNow": gettext("Top export markets"),
            "categoriesTitleNow": gettext("Top product categories"),
            "statExportingNow": gettext("Exporting companies"),
            "statMarketsNow": gettext("Export markets"),
            "market": gettext("Market"),
            "category": gettext("Category"),
            "statRevenue": gettext("Export revenue, {year}"),
            "statGrowth": gettext("Growth a year, {from}–{to}"),
            "statExporting": gettext("Exporting companies, {year}"),
            "statMarkets": gettext("Export markets, {year}"),
            "statTarget": gettext("Target for {year}"),
            "statRequired": gettext("needs {required} a year; trend {trend}"),
            "statOnTrack": gettext("On track for the target?"),
            "statProjected": gettext("trend reaches {amount} by {year}"),
            "verifiedCount": gettext("{count} verified"),
            "marketsVerified": gettext("{count} with a verified company"),
            "onTrack": gettext("On track"),
            "offTrack": gettext("Not on track"),
            "unknown": gettext("unknown"),
        },
    }


@require_safe
def home(request):
    language = page_language(request)
    with translation.override(language):
        response = render(
            request,
            "web/index.html",
            {
                "language": language,
                "target_year": settings.EXPORT_TARGET_YEAR,
                "target_billions": f"{settings.EXPORT_TARGET_USD / 1_000_000_000:g}",
                "config": _client_config(language),
            },
        )
    response["Content-Language"] = language
    patch_vary_headers(response, ["Accept-Language"])
    return response
