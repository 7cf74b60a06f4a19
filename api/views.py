"""Thin viewsets: each names its selectors, serializers and FilterSet, and hands writes to a domain service.
The shared base adds what every resource does the same way: ETags and conditional requests, refusing
unknown query parameters, and reading the written object back through the viewer's selector."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from accounts.models import ApiKey
from accounts.roles import is_officer
from companies import services as company_services
from companies.comparison import company_comparison
from companies.facets import company_facets
from companies.filters import ChangeEventFilterSet, CompanyFilterSet
from companies.models import ExportMarket
from companies.selectors import (
    change_feed,
    companies_represented_by,
    company_detail,
    company_list,
    export_market_list,
    export_markets_represented_by,
    export_revenue_list,
    export_revenues_represented_by,
    market_list,
    province_list,
)
from companies.validators import normalize_tax_code
from products import services as product_services
from products.facets import product_facets
from products.filters import ProductFilterSet
from products.selectors import category_list, product_list, products_represented_by, standard_list
from registry.context import begin_acting, end_acting
from registry.db_routers import reads_from_primary

from . import input_serializers as inputs
from . import serializers
from .compare import CompareQuery, ComparisonSerializer, compare_schema
from .conditional import VARY_BY_CALLER, ConditionalRequestsMixin
from .exports import ExportMixin, export_list_schema
from .facets import FacetsMixin, faceted_pagination, facets_parameter
from .field_selection import FieldSelectionMixin, fields_parameter
from .filtering import StrictQueryParametersMixin
from .pagination import ChangeFeedPagination
from .permissions import IsOfficer
from .schema import (
    CONDITIONAL_GET_RESPONSES,
    ERROR_RESPONSES,
    IF_MATCH_PARAMETER,
    IF_NONE_MATCH_PARAMETER,
    NOT_FOUND_RESPONSE,
    WRITE_ERROR_RESPONSES,
)

WRITE_ACTIONS = {"create", "update", "partial_update", "destroy"}
SLUG_PATTERN = r"[-a-zA-Z0-9_]+"


class RegistryViewSet(ConditionalRequestsMixin, StrictQueryParametersMixin, viewsets.GenericViewSet):
    """The shared base. Reads go through ``selector(viewer)`` (``detail_selector`` for one object), writes
    find their object through ``writable_selector(user)`` so that a caller never touches what it may
    not: another company's records answer 404."""

    selector = None
    detail_selector = None
    writable_selector = None
    detail_serializer_class = None

    def get_queryset(self):
        viewer = self.request.user
        if self.action in WRITE_ACTIONS and self.writable_selector is not None:
            return type(self).writable_selector(viewer)
        if self.action != "list" and self.detail_selector is not None:
            return type(self).detail_selector(viewer)
        return type(self).selector(viewer)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The change log records who acted, and through which client, for the rest of the request.
        begin_acting(request.user, request.auth if isinstance(request.auth, ApiKey) else None)

    def dispatch(self, request, *args, **kwargs):
        try:
            if request.method in SAFE_METHODS:
                return super().dispatch(request, *args, **kwargs)
            # A write may call several services (a company, then its contact persons): all or nothing.
            with transaction.atomic():
                response = super().dispatch(request, *args, **kwargs)
                if response.status_code >= 400:
                    transaction.set_rollback(True)
                return response
        finally:
            end_acting()  # also when the request failed: the thread's next change is not this user's

    def get_serializer_class(self):
        if self.action != "list" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return self.serializer_class

    def input(self, serializer_class, *, partial: bool = False) -> dict:
        """The request body, checked by ``serializer_class``; references to companies must be to companies
        the caller represents."""
        serializer = serializer_class(
            data=self.request.data,
            partial=partial,
            context={
                **self.get_serializer_context(),
                "represented_companies": companies_represented_by(self.request.user),
            },
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def written(self, obj, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The object as the caller now reads it, with its new ETag."""
        fresh = None
        if self.detail_selector is not None:
            fresh = type(self).detail_selector(self.request.user).filter(pk=obj.pk).first()
        if fresh is None:
            # Written but not readable by this caller (an app's unverified figure): echo what was written.
            fresh = type(self).writable_selector(self.request.user).get(pk=obj.pk)
        response = Response(self.get_serializer(fresh).data, status=status_code)
        return self.with_etag(response, fresh)


class DetailMixin:
    """``GET`` of one object, with its ETag and ``If-None-Match``."""

    def retrieve(self, request, *args, **kwargs):
        return self.conditional_retrieve(self.get_object())


class WritableMixin(DetailMixin):
    """``PATCH`` is the resource's ``update`` with only the fields sent."""

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


class ReadOnlyRegistryViewSet(DetailMixin, mixins.ListModelMixin, RegistryViewSet):
    """Reference data: anyone reads it, nobody writes it through the API (405, whoever asks)."""

    permission_classes = [AllowAny]


def _list_schema(summary, serializer, description="", *, exports=False, parameters=()):
    """A list operation's schema; ``exports``: also as CSV and XLSX files (``api.exports``)."""
    responses = {200: serializer(many=True), **ERROR_RESPONSES}
    schema = {"summary": summary, "description": description, "responses": responses, "parameters": [*parameters]}
    return extend_schema(**(export_list_schema(**schema) if exports else schema))


def _write_schemas(name, input_serializer, output_serializer, path_parameters=()):
    """Schemas of create, update, partial_update and destroy of a writable resource."""
    write = {"request": input_serializer, "parameters": [*path_parameters, IF_MATCH_PARAMETER]}
    errors = WRITE_ERROR_RESPONSES  # 413 and 415 are added to every operation with a body (api/autoschema.py)
    return {
        "create": extend_schema(
            summary=f"Create {name}",
            request=input_serializer,
            responses={201: output_serializer, **errors},
        ),
        "update": extend_schema(summary=f"Replace {name}", **write, responses={200: output_serializer, **errors}),
        "partial_update": extend_schema(
            summary=f"Change {name}", **write, responses={200: output_serializer, **errors}
        ),
        "destroy": extend_schema(
            summary=f"Delete {name}",
            parameters=[*path_parameters, IF_MATCH_PARAMETER],
            responses={204: OpenApiResponse(description="Deleted."), **WRITE_ERROR_RESPONSES},
        ),
    }


COMPANY_FACETS = company_facets()
PRODUCT_FACETS = product_facets()

TAX_CODE_PARAMETER = OpenApiParameter(
    "tax_code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Enterprise code: 10 digits, or NNNNNNNNNN-NNN for a branch (spaces and dots are ignored).",
)


@extend_schema_view(
    list=_list_schema(
        "List companies",
        serializers.CompanySerializer,
        "A page of the companies the caller may see (active ones; representatives also see their own, "
        "officers all), filtered and ordered by the query parameters.",
        exports=True,
        parameters=[facets_parameter(list(COMPANY_FACETS)), fields_parameter(serializers.CompanySerializer)],
    ),
    retrieve=extend_schema(
        summary="One company",
        description="A company with its products, export markets and yearly export revenue.",
        parameters=[TAX_CODE_PARAMETER, IF_NONE_MATCH_PARAMETER, fields_parameter(serializers.CompanyDetailSerializer)],
        responses={200: serializers.CompanyDetailSerializer, **CONDITIONAL_GET_RESPONSES, **NOT_FOUND_RESPONSE},
    ),
    **_write_schemas("a company", inputs.CompanyInput, serializers.CompanyDetailSerializer, [TAX_CODE_PARAMETER]),
)
class CompanyViewSet(
    FacetsMixin, FieldSelectionMixin, ExportMixin, WritableMixin, mixins.ListModelMixin, RegistryViewSet
):
    facets = COMPANY_FACETS
    pagination_class = faceted_pagination(list(COMPANY_FACETS))
    selector = company_list
    detail_selector = company_detail
    writable_selector = companies_represented_by
    serializer_class = serializers.CompanySerializer
    detail_serializer_class = serializers.CompanyDetailSerializer
    filterset_class = CompanyFilterSet
    lookup_field = "tax_code"
    lookup_value_regex = r"[0-9][0-9 .\-]*"

    def get_object(self):
        try:
            self.kwargs[self.lookup_field] = normalize_tax_code(self.kwargs[self.lookup_field])
        except DjangoValidationError as error:
            raise NotFound("No company has this enterprise code (it is not a valid one).") from error
        return super().get_object()

    def create(self, request, *args, **kwargs):
        data = _cited(self.input(inputs.CompanyInput))
        contact_persons = data.pop("contact_persons", None)
        company = company_services.company_create(**data, representative=request.user)
        if contact_persons is not None:
            company_services.company_set_contact_persons(company=company, contact_persons=contact_persons)
        return self.written(company, status_code=status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        company = self.get_object()
        data = _cited(self.input(inputs.CompanyInput, partial=partial))
        contact_persons = data.pop("contact_persons", None)
        company = company_services.company_update(
            company=company, data=data, expected_version=self.expected_version(company)
        )
        if contact_persons is not None:
            company_services.company_set_contact_persons(company=company, contact_persons=contact_persons)
        return self.written(company)

    def destroy(self, request, *args, **kwargs):
        company = self.get_object()
        company_services.company_delete(company=company, expected_version=self.expected_version(company))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _decide(self, decision, *, needs_reason: bool):
        company = self.get_object()
        kwargs = {"company": company, "by": self.request.user}
        if needs_reason:
            kwargs["reason"] = self.input(inputs.CompanyDecisionInput)["reason"]
        return self.written(decision(**kwargs))

    @extend_schema(
        summary="Verify a company (officers)",
        request=None,
        parameters=[TAX_CODE_PARAMETER],
        responses={200: serializers.CompanyDetailSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsOfficer])
    def verify(self, request, *args, **kwargs):
        return self._decide(company_services.company_verify, needs_reason=False)

    @extend_schema(
        summary="Reject a company's verification (officers)",
        request=inputs.CompanyDecisionInput,
        parameters=[TAX_CODE_PARAMETER],
        responses={200: serializers.CompanyDetailSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsOfficer])
    def reject(self, request, *args, **kwargs):
        return self._decide(company_services.company_reject, needs_reason=True)

    @extend_schema(
        summary="Suspend a company (officers)",
        request=inputs.CompanyDecisionInput,
        parameters=[TAX_CODE_PARAMETER],
        responses={200: serializers.CompanyDetailSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsOfficer])
    def suspend(self, request, *args, **kwargs):
        return self._decide(company_services.company_suspend, needs_reason=True)

    @extend_schema(
        summary="Reinstate a suspended company (officers)",
        request=None,
        parameters=[TAX_CODE_PARAMETER],
        responses={200: serializers.CompanyDetailSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsOfficer])
    def reinstate(self, request, *args, **kwargs):
        return self._decide(company_services.company_reinstate, needs_reason=False)

    @compare_schema
    @action(detail=False, methods=["get"], url_path="compare", query_parameters={"tax_codes"})
    def compare(self, request, *args, **kwargs):
        query = CompareQuery(data=request.query_params, context={"viewer": request.user})
        query.is_valid(raise_exception=True)
        comparison = company_comparison(request.user, query.validated_data["companies"])
        data = ComparisonSerializer(comparison, context=self.get_serializer_context()).data
        # Who asks decides which companies and figures are seen.
        return Response(data, headers={"Vary": VARY_BY_CALLER})


def _product_fields(data: dict) -> dict:
    """Service arguments from a checked product body (relations resolved by the domain)."""
    fields = _cited(data)
    fields.pop("standards", None)
    fields.pop("markets", None)
    return fields


@extend_schema_view(
    list=_list_schema(
        "List products",
        serializers.ProductSerializer,
        exports=True,
        parameters=[facets_parameter(list(PRODUCT_FACETS)), fields_parameter(serializers.ProductSerializer)],
    ),
    retrieve=extend_schema(
        summary="One product",
        parameters=[IF_NONE_MATCH_PARAMETER, fields_parameter(serializers.ProductSerializer)],
        responses={200: serializers.ProductSerializer, **CONDITIONAL_GET_RESPONSES, **NOT_FOUND_RESPONSE},
    ),
    **_write_schemas("a product", inputs.ProductInput, serializers.ProductSerializer),
)
class ProductViewSet(
    FacetsMixin, FieldSelectionMixin, ExportMixin, WritableMixin, mixins.ListModelMixin, RegistryViewSet
):
    facets = PRODUCT_FACETS
    pagination_class = faceted_pagination(list(PRODUCT_FACETS))
    selector = product_list
    detail_selector = product_list
    writable_selector = products_represented_by
    serializer_class = serializers.ProductSerializer
    filterset_class = ProductFilterSet
    lookup_value_regex = r"[0-9]+"

    def create(self, request, *args, **kwargs):
        data = self.input(inputs.ProductInput)
        company = data["company"]
        product = product_services.product_create(
            **_product_fields(data),
            standards=data.get("standards", []),
            export_markets=product_services.company_markets_in(company, data.get("markets", [])),
        )
        return self.written(product, status_code=status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        product = self.get_object()
        data = self.input(inputs.ProductInput, partial=partial)
        company = data.get("company", product.company)
        markets = data.get("markets")
        product = product_services.product_update(
            product=product,
            data=_product_fields(data),
            standards=data.get("standards"),
            export_markets=None if markets is None else product_services.company_markets_in(company, markets),
            expected_version=self.expected_version(product),
        )
        return self.written(product)

    def destroy(self, request, *args, **kwargs):
        product = self.get_object()
        product_services.product_delete(product=product, expected_version=self.expected_version(product))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _same_company(data: dict, obj) -> dict:
    """Export markets and revenue figures stay with their company: naming another one is refused."""
    company = data.pop("company", obj.company)
    if company != obj.company:
        raise ValidationError({"company": ["A figure cannot move to another company; delete it and create a new one."]})
    return data


def _cited(data: dict) -> dict:
    """The body's fields, with its ``source`` citation as a Source."""
    fields = dict(data)
    if fields.get("source"):
        try:
            fields["source"] = company_services.source_cite(**fields["source"])
        except DjangoValidationError as error:
            # The citation's own fields are refused where the body has them: {"source": {"title": [...]}}.
            raise ValidationError({"source": as_serializer_error(error)}) from error
    return fields


@extend_schema_view(
    list=_list_schema("List export markets", serializers.ExportMarketResourceSerializer),
    retrieve=extend_schema(
        summary="One export market",
        parameters=[IF_NONE_MATCH_PARAMETER],
        responses={
            200: serializers.ExportMarketResourceSerializer,
            **CONDITIONAL_GET_RESPONSES,
            **NOT_FOUND_RESPONSE,
        },
    ),
    **_write_schemas("an export market", inputs.ExportMarketInput, serializers.ExportMarketResourceSerializer),
)
class ExportMarketViewSet(WritableMixin, mixins.ListModelMixin, RegistryViewSet):
    selector = export_market_list
    detail_selector = export_market_list
    writable_selector = export_markets_represented_by
    serializer_class = serializers.ExportMarketResourceSerializer
    lookup_value_regex = r"[0-9]+"

    def create(self, request, *args, **kwargs):
        market = company_services.export_market_create(**_cited(self.input(inputs.ExportMarketInput)))
        return self.written(market, status_code=status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        market = self.get_object()
        data = _same_company(_cited(self.input(inputs.ExportMarketInput, partial=partial)), market)
        market = company_services.export_market_update(
            market=market, data=data, expected_version=self.expected_version(market)
        )
        return self.written(market)

    def destroy(self, request, *args, **kwargs):
        market = self.get_object()
        company_services.export_market_delete(market=market, expected_version=self.expected_version(market))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=_list_schema(
        "List export revenue figures",
        serializers.ExportRevenueResourceSerializer,
        "Verified figures; representatives also see their companies' unverified ones, officers all.",
    ),
    retrieve=extend_schema(
        summary="One export revenue figure",
        parameters=[IF_NONE_MATCH_PARAMETER],
        responses={
            200: serializers.ExportRevenueResourceSerializer,
            **CONDITIONAL_GET_RESPONSES,
            **NOT_FOUND_RESPONSE,
        },
    ),
    **_write_schemas(
        "an export revenue figure", inputs.ExportRevenueInput, serializers.ExportRevenueResourceSerializer
    ),
)
class ExportRevenueViewSet(WritableMixin, mixins.ListModelMixin, RegistryViewSet):
    selector = export_revenue_list
    detail_selector = export_revenue_list
    writable_selector = export_revenues_represented_by
    serializer_class = serializers.ExportRevenueResourceSerializer
    lookup_value_regex = r"[0-9]+"

    def create(self, request, *args, **kwargs):
        revenue = company_services.export_revenue_create(**_cited(self.input(inputs.ExportRevenueInput)))
        return self.written(revenue, status_code=status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        revenue = self.get_object()
        data = _same_company(_cited(self.input(inputs.ExportRevenueInput, partial=partial)), revenue)
        revenue = company_services.export_revenue_update(
            revenue=revenue, data=data, expected_version=self.expected_version(revenue)
        )
        return self.written(revenue)

    def destroy(self, request, *args, **kwargs):
        revenue = self.get_object()
        company_services.export_revenue_delete(revenue=revenue, expected_version=self.expected_version(revenue))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Verify an export revenue figure (officers)",
        description="A verified figure is public and counts in lists, filters and indicators.",
        request=None,
        responses={200: serializers.ExportRevenueResourceSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsOfficer])
    def verify(self, request, *args, **kwargs):
        revenue = company_services.export_revenue_verify(revenue=self.get_object(), by=request.user)
        return self.written(revenue)


@extend_schema_view(
    list=extend_schema(summary="The category tree", description="Every category, depth first, with its parent's slug."),
    retrieve=extend_schema(
        summary="One category", responses={200: serializers.CategorySerializer, **NOT_FOUND_RESPONSE}
    ),
)
class CategoryViewSet(ReadOnlyRegistryViewSet):
    selector = staticmethod(lambda viewer: category_list())
    serializer_class = serializers.CategorySerializer
    pagination_class = None
    lookup_field = "slug"
    # What a slug can be: anything else (a NUL, which PostgreSQL refuses in a query) is a 404 by its URL.
    lookup_value_regex = SLUG_PATTERN


@extend_schema_view(
    list=extend_schema(summary="The 34 provincial units", description="In force since 1 July 2025."),
    retrieve=extend_schema(
        summary="One province", responses={200: serializers.ProvinceSerializer, **NOT_FOUND_RESPONSE}
    ),
)
class ProvinceViewSet(ReadOnlyRegistryViewSet):
    selector = staticmethod(lambda viewer: province_list())
    serializer_class = serializers.ProvinceSerializer
    pagination_class = None
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{2}"


@extend_schema_view(
    list=extend_schema(summary="Standards products comply with"),
    retrieve=extend_schema(
        summary="One standard", responses={200: serializers.StandardSerializer, **NOT_FOUND_RESPONSE}
    ),
)
class StandardViewSet(ReadOnlyRegistryViewSet):
    selector = staticmethod(lambda viewer: standard_list())
    serializer_class = serializers.StandardSerializer
    pagination_class = None
    lookup_field = "code"
    lookup_value_regex = SLUG_PATTERN


@extend_schema_view(
    list=extend_schema(
        summary="Export markets by country",
        description=(
            "The foreign countries the registry's companies are present in, most companies first. Counted over "
            "the whole registry and kept in the shared cache for `INDICATORS_CACHE_SECONDS` (60 s by default), "
            "as the indicators are, then served while they are computed again in the background: a change may take "
            "that long, plus one computation, to show (at most ten times as long while other results are "
            "refreshed first)."
        ),
    ),
)
class MarketViewSet(mixins.ListModelMixin, RegistryViewSet):
    selector = market_list
    serializer_class = serializers.MarketSerializer
    pagination_class = None
    permission_classes = [AllowAny]  # an aggregate: read-only (405 to any write)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator: the counts are not needed
            return ExportMarket.objects.none()
        return super().get_queryset()


@extend_schema_view(
    list=extend_schema(
        summary="The change feed",
        description=(
            "Every change in order, for apps that keep in sync: poll with `since=<next_since>`. Anonymous "
            "and API-key callers read the changes of public records' public fields (a record that stops "
            "being public appears as a `delete`); officers read the full audit log, with old and new values "
            "and who changed what. The newest seconds are held back so a cursor never skips a late commit."
        ),
        responses={
            200: PolymorphicProxySerializer(
                component_name="ChangeOrAudit",
                serializers=[serializers.ChangeSerializer, serializers.AuditChangeSerializer],
                resource_type_field_name=None,
                many=True,
            ),
            **ERROR_RESPONSES,
        },
    )
)
class ChangeFeedViewSet(mixins.ListModelMixin, RegistryViewSet):
    selector = change_feed
    filterset_class = ChangeEventFilterSet
    pagination_class = ChangeFeedPagination
    permission_classes = [AllowAny]

    def list(self, request, *args, **kwargs):
        # On the primary: the settle window (CHANGE_FEED_SETTLE_SECONDS) assumes the feed sees every transaction
        # committed before it, and a replica lagging further behind would let a cursor pass a change it has not
        # replayed yet. A page is a short range scan on the primary key, cheap to serve there.
        with reads_from_primary():
            return super().list(request, *args, **kwargs)

    def get_serializer_class(self):
        if is_officer(self.request.user):
            return serializers.AuditChangeSerializer
        return serializers.ChangeSerializer
