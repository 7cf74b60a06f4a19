"""Reads of the companies domain: querysets that already load what their serializers show, restricted to
what the viewer may see.

Visibility: anyone sees active companies and their verified figures; a representative also sees the
companies they represent whatever their status, with contact persons and unverified figures; a ministry
officer sees everything.
"""

import datetime
import functools

from django.apps import apps
from django.conf import settings
from django.db.models import BooleanField, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.utils import timezone

from accounts.roles import VIEW_SENSITIVE_PERMISSION, acts_through_api_key, is_officer
from registry.cache import shared_result
from registry.search import TimeBudget, name_suggestions

from .models import ChangeEvent, Company, CompanyStatus, ContactPerson, ExportMarket, ExportRevenue, Province

# What a viewer sees, where others see the same (``shared_visibility``).
SEES_EVERYTHING = "everything"
SEES_THE_PUBLIC_REGISTRY = "public"


def sees_everything(viewer) -> bool:
    if acts_through_api_key(viewer):
        return False
    return is_officer(viewer) or bool(viewer and viewer.is_authenticated and viewer.has_perm(VIEW_SENSITIVE_PERMISSION))


def _represented_by(viewer, company: str = "pk"):
    """An ``Exists`` that is true for the companies ``viewer`` represents; ``company`` names the outer
    query's field holding the company's id."""
    return Exists(Company.representatives.through.objects.filter(company_id=OuterRef(company), user_id=viewer.pk))


def _sees_sensitive(viewer, company: str = "pk"):
    """Whether the viewer may read a company's contact persons and unverified figures, as an expression on
    the outer query's field ``company`` (the company's id): a constant unless the viewer reads them only
    for the companies they represent."""
    if sees_everything(viewer):
        return Value(True, output_field=BooleanField())
    if may_read_sensitive_data(viewer):
        return _represented_by(viewer, company)
    return Value(False, output_field=BooleanField())


def may_read_sensitive_data(viewer) -> bool:
    """Whether the viewer can read sensitive data of any company at all: officers, and signed-in people
    for the companies they represent; never an app acting through an API key."""
    return sees_everything(viewer) or (
        viewer is not None and viewer.is_authenticated and not acts_through_api_key(viewer)
    )


def company_visible_to(viewer, *, relation: str = "company") -> Q:
    """The visibility rule as a condition on the company reached through ``relation`` (``""``: the
    companies themselves). A condition on the join, not ``company IN (SELECT every visible company)``:
    the database then reads the companies of the rows it returns, not every visible company first."""
    if sees_everything(viewer):
        return Q()
    prefix = f"{relation}__" if relation else ""
    active = Q(**{f"{prefix}status": CompanyStatus.ACTIVE})
    if viewer is not None and viewer.is_authenticated:
        # An app acting through an API key sees what its owner may see.
        return active | Q(_represented_by(viewer, relation or "pk"))
    return active


def viewers_alike(viewer) -> str | None:
    """The viewers ``viewer`` sees alike with, where nothing in what they may read names them: anonymous
    callers (``SEES_THE_PUBLIC_REGISTRY``) and officers (``SEES_EVERYTHING``). ``None`` for anyone else, whose
    visibility names them (a representative, an app acting for one), even where they see what the public sees."""
    if viewer is None or not viewer.is_authenticated:
        return SEES_THE_PUBLIC_REGISTRY
    if sees_everything(viewer):
        return SEES_EVERYTHING
    return None


def built_once_for_viewers_alike(selector):
    """A selector ``selector(viewer)`` whose queryset is built once per process for the viewers who all see the
    same (anonymous callers; officers) and cloned for each call, as a view's class-level ``queryset`` is.
    Building one costs what its annotations cost to resolve against the models (a company list: 1.1 ms, a
    tenth of a light list request); cloning it, 6 µs. Any other viewer's queryset names them
    (``company_visible_to``) and is built for each call."""
    built: dict[str, QuerySet] = {}

    @functools.wraps(selector)
    def selector_for(viewer=None) -> QuerySet:
        alike = viewers_alike(viewer)
        if alike is None:
            return selector(viewer)
        if alike not in built:
            built[alike] = selector(viewer)
        return built[alike].all()

    return selector_for


def companies_visible_to(viewer) -> QuerySet[Company]:
    """Companies the viewer may read, annotated with ``viewer_sees_sensitive``: whether the viewer may read
    the company's contact persons and unverified figures."""
    return Company.objects.filter(company_visible_to(viewer, relation="")).annotate(
        viewer_sees_sensitive=_sees_sensitive(viewer)
    )


def companies_represented_by(user) -> QuerySet[Company]:
    """The companies ``user`` may change; empty for anyone else."""
    if user is None or not user.is_authenticated:
        return Company.objects.none()
    return Company.objects.filter(_represented_by(user))


def export_markets_represented_by(user) -> QuerySet[ExportMarket]:
    """The export markets ``user`` may change: those of the companies they represent."""
    return ExportMarket.objects.filter(company__in=companies_represented_by(user))


def export_revenues_represented_by(user) -> QuerySet[ExportRevenue]:
    """The revenue figures ``user`` may change: those of the companies they represent."""
    return ExportRevenue.objects.filter(company__in=companies_represented_by(user))


@built_once_for_viewers_alike
def company_list(viewer=None) -> QuerySet[Company]:
    """Companies with their province, export market countries and latest verified export revenue, in a
    fixed number of queries whatever the page size."""
    return (
        companies_visible_to(viewer)
        .select_related("province")
        .with_latest_export_revenue()
        .with_market_countries()
        .defer("search_name", "search_body", "search_products")
    )


@built_once_for_viewers_alike
def company_detail(viewer=None) -> QuerySet[Company]:
    """One company's page: also its products, export markets with their products and sources, and its
    yearly export revenue; contact persons and unverified revenue only where the viewer may see them (the
    serializer leaves them out otherwise, and for viewers who can never see them they are not even read).
    Five queries: the company, its products, markets, the markets' products, revenue (and contacts)."""
    product = apps.get_model("products", "Product")
    may_see_sensitive = may_read_sensitive_data(viewer)
    revenues = ExportRevenue.objects.select_related("source")
    return (
        companies_visible_to(viewer)
        .select_related("province", "source")
        .with_latest_export_revenue()
        .with_market_countries()
        .defer("search_name", "search_body", "search_products")
        .prefetch_related(
            Prefetch("products", queryset=product.objects.select_related("category")),
            Prefetch(
                "export_markets", queryset=ExportMarket.objects.select_related("source").prefetch_related("products")
            ),
            Prefetch("export_revenues", queryset=revenues if may_see_sensitive else revenues.filter(verified=True)),
            Prefetch(
                "contact_persons",
                # An empty queryset: no query at all.
                queryset=ContactPerson.objects.all() if may_see_sensitive else ContactPerson.objects.none(),
            ),
        )
    )


def company_suggestions(viewer, query: str, *, limit: int, budget: TimeBudget) -> list[Company]:
    """Visible companies whose names best match ``query``, a name typed so far (``name_suggestions``)."""
    companies = Company.objects.filter(company_visible_to(viewer, relation="")).only("pk", "tax_code", "name")
    return name_suggestions(companies, query, limit=limit, budget=budget)


def export_market_list(viewer=None) -> QuerySet[ExportMarket]:
    return (
        ExportMarket.objects.filter(company_visible_to(viewer))
        .select_related("company", "source")
        .prefetch_related("products")
        .order_by("company__name", "country", "kind", "pk")
    )


def export_revenue_list(viewer=None) -> QuerySet[ExportRevenue]:
    """Revenue rows the viewer may read: verified rows of visible companies, and unverified ones only
    for the companies whose sensitive data the viewer may read. Conditions on each row's company (as in
    ``company_visible_to``), not ``company IN (SELECT every visible company)``: a query narrowed to a few
    companies (the comparison) reads only those, not every visible company."""
    sees_sensitive = _sees_sensitive(viewer, "company_id")
    if isinstance(sees_sensitive, Value):
        readable = Q() if sees_sensitive.value else Q(verified=True)
    else:
        readable = Q(verified=True) | Q(sees_sensitive)
    return (
        ExportRevenue.objects.filter(company_visible_to(viewer), readable)
        .select_related("company", "source")
        .order_by("company__name", "-year", "country", "pk")
    )


def province_list() -> QuerySet[Province]:
    return Province.objects.all()


def market_list(viewer=None) -> list[dict]:
    """The foreign countries visible companies are present in, with how many companies and products, most
    companies first. Counts over every export market of the registry: what the public sees, and what an
    officer sees, are kept in the shared cache for ``INDICATORS_CACHE_SECONDS`` like the indicators, and may
    be that much older than the registry. A representative of a company that the public does not see gets
    counts that include it, computed for them."""
    visibility = shared_visibility(viewer)
    if visibility is None:
        return _market_counts(company_visible_to(viewer))
    visible = Q() if visibility == SEES_EVERYTHING else company_visible_to(None)
    fresh_seconds = settings.INDICATORS_CACHE_SECONDS
    key = f"markets:v1:{visibility}"
    _computed_at, counts = shared_result(key, lambda: _market_counts(visible), fresh_seconds=fresh_seconds)
    return counts


def shared_visibility(viewer) -> str | None:
    """What ``viewer`` sees, named where others see the same, so that figures counted over it can be kept in
    the shared cache for all of them: ``SEES_EVERYTHING`` (officers) or ``SEES_THE_PUBLIC_REGISTRY``
    (anyone who sees the active companies only: the public, apps, representatives of active companies).
    ``None`` for a representative of a company the public does not see, or an app acting for one: what they
    see is theirs alone. At most one query (none for an anonymous caller)."""
    if sees_everything(viewer):
        return SEES_EVERYTHING
    if _represents_hidden_company(viewer):
        return None
    return SEES_THE_PUBLIC_REGISTRY


def _represents_hidden_company(viewer) -> bool:
    """Whether ``viewer`` represents a company that only its representatives and officers see."""
    return companies_represented_by(viewer).exclude(status=CompanyStatus.ACTIVE).exists()


def _market_counts(visible: Q) -> list[dict]:
    return list(
        ExportMarket.objects.filter(visible)
        .values("country")
        .annotate(company_count=Count("company", distinct=True), product_count=Count("products", distinct=True))
        .order_by("-company_count", "country")
    )


def change_feed(viewer=None) -> QuerySet[ChangeEvent]:
    """The change log in order. Officers read all of it, with old and new values and who changed what;
    everyone else reads the changes that alter the public state. The newest few seconds are held back
    (``CHANGE_FEED_SETTLE_SECONDS``) so that a change committed late never appears behind a cursor a
    client has already passed."""
    events = ChangeEvent.objects.select_related("actor", "api_key").order_by("id")
    settle = settings.CHANGE_FEED_SETTLE_SECONDS
    if settle:
        events = events.filter(at__lte=timezone.now() - datetime.timedelta(seconds=settle))
    if is_officer(viewer):
        return events
    return events.filter(public_changed=True)
