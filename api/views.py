"""Thin read-only viewsets: each names its selector, serializer and FilterSet; the domain does the rest."""

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound

from companies.filters import CompanyFilterSet
from companies.selectors import company_detail, company_list, market_list, province_list
from companies.validators import normalize_tax_code
from products.filters import ProductFilterSet
from products.selectors import category_list, product_list, standard_list

from . import serializers
from .filtering import StrictQueryParametersMixin
from .schema import ERROR_RESPONSES, NOT_FOUND_RESPONSE


class ReadOnlyViewSet(StrictQueryParametersMixin, viewsets.ReadOnlyModelViewSet):
    """The shared base: a selector gives the queryset; list and detail may use different serializers;
    unknown query parameters are refused."""

    selector = None
    detail_selector = None
    detail_serializer_class = None

    def get_queryset(self):
        if self.action == "retrieve" and self.detail_selector is not None:
            return type(self).detail_selector()
        return type(self).selector()

    def get_serializer_class(self):
        if self.action == "retrieve" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return self.serializer_class


@extend_schema_view(
    list=extend_schema(
        summary="List companies",
        description="A page of companies, filtered and ordered by the query parameters.",
        responses={200: serializers.CompanySerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="One company",
        description="A company with its products, export markets and yearly export revenue.",
        parameters=[
            OpenApiParameter(
                "tax_code",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="Enterprise code: 10 digits, or NNNNNNNNNN-NNN for a branch.",
            )
        ],
        responses={200: serializers.CompanyDetailSerializer, **NOT_FOUND_RESPONSE},
    ),
)
class CompanyViewSet(ReadOnlyViewSet):
    selector = company_list
    detail_selector = company_detail
    serializer_class = serializers.CompanySerializer
    detail_serializer_class = serializers.CompanyDetailSerializer
    filterset_class = CompanyFilterSet
    lookup_field = "tax_code"
    lookup_value_regex = r"[0-9][0-9 .\-]*"

    def get_object(self):
        try:
            self.kwargs[self.lookup_field] = normalize_tax_code(self.kwargs[self.lookup_field])
        except ValidationError as error:
            raise NotFound("No company has this enterprise code (it is not a valid one).") from error
        return super().get_object()


@extend_schema_view(
    list=extend_schema(
        summary="List products",
        responses={200: serializers.ProductSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(summary="One product", responses={200: serializers.ProductSerializer, **NOT_FOUND_RESPONSE}),
)
class ProductViewSet(ReadOnlyViewSet):
    selector = product_list
    serializer_class = serializers.ProductSerializer
    filterset_class = ProductFilterSet
    lookup_value_regex = r"[0-9]+"


@extend_schema_view(
    list=extend_schema(summary="The category tree", description="Every category, depth first, with its parent's slug."),
    retrieve=extend_schema(summary="One category", responses={200: serializers.CategorySerializer, **NOT_FOUND_RESPONSE}),
)
class CategoryViewSet(ReadOnlyViewSet):
    selector = category_list
    serializer_class = serializers.CategorySerializer
    pagination_class = None
    lookup_field = "slug"


@extend_schema_view(
    list=extend_schema(summary="The 34 provincial units", description="In force since 1 July 2025."),
    retrieve=extend_schema(summary="One province", responses={200: serializers.ProvinceSerializer, **NOT_FOUND_RESPONSE}),
)
class ProvinceViewSet(ReadOnlyViewSet):
    selector = province_list
    serializer_class = serializers.ProvinceSerializer
    pagination_class = None
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{2}"


@extend_schema_view(
    list=extend_schema(summary="Standards products comply with"),
    retrieve=extend_schema(summary="One standard", responses={200: serializers.StandardSerializer, **NOT_FOUND_RESPONSE}),
)
class StandardViewSet(ReadOnlyViewSet):
    selector = standard_list
    serializer_class = serializers.StandardSerializer
    pagination_class = None
    lookup_field = "code"


@extend_schema_view(
    list=extend_schema(
        summary="Export markets",
        description="The foreign countries the registry's companies are present in, most companies first.",
    ),
)
class MarketViewSet(StrictQueryParametersMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.MarketSerializer
    pagination_class = None

    def get_queryset(self):
        return market_list()
