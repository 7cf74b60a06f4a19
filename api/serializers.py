"""Output serializers of the public read API, version 1. Field names are the contract third-party apps
rely on: add fields, never rename or remove them within v1."""

import copy

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from companies.models import ChangeEvent, Company, ContactPerson, ExportMarket, ExportRevenue, Province, Source
from products.models import Category, Product, Standard
from registry.countries import country_name

COUNTRY_CODE_SCHEMA = {"type": "string", "pattern": "^[A-Z]{2}$", "example": "JP"}
# Fields whose parts (a child serializer or field) are bound to them: copied whole (OutputSerializer.get_fields).
COMPOSITE_FIELDS = (
    serializers.BaseSerializer,
    serializers.ManyRelatedField,
    serializers.ListField,
    serializers.DictField,
)


class OutputSerializer(serializers.ModelSerializer):
    """A response shape. Every field is read-only, so the schema says it is always present, except fields
    declared with ``required=False``: those are present only for some callers. Addresses are plain
    strings (an empty one is "", not an invalid URI).

    ``Meta.reads``: for a field whose source does not say what it reads of the object (a method field), the
    annotations and relations it reads; ``?fields=`` leaves out reading them when the field is left out
    (``api.field_selection``)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.URLField: serializers.CharField,
    }

    def __init__(self, *args, fields: list[str] | None = None, **kwargs):
        """``fields``: answer with these fields only (``?fields=``, checked by ``api.field_selection``)."""
        super().__init__(*args, **kwargs)
        if fields is not None:
            for name in set(self.fields) - set(fields):
                self.fields.pop(name)

    def get_fields(self):
        """The fields, built from the model once per class and copied for each instance (a ModelSerializer
        builds them again for every instance, nested ones included: a company's serializing took 2.5 ms
        with that, 1.7 ms without). A plain field is copied as it is (binding it to this serializer sets
        its name, source and parent on the copy); a field made of others (a nested serializer, a list of
        related ids) is built anew from its arguments (DRF's deep copy), since its parts are bound to it.
        Deep-copying them all built each plain field anew too, its choices copied: serializing a company
        list's page of 20 took 0.8 ms with that, 0.6 ms without."""
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        fields = {
            name: copy.deepcopy(field) if isinstance(field, COMPOSITE_FIELDS) else copy.copy(field)
            for name, field in built.items()
        }
        for name, field in fields.items():
            optional = name in self._declared_fields and not field.read_only and field.required is False
            if not optional:
                field.read_only = True
        return fields

    @classmethod
    def field_names(cls) -> list[str]:
        """The names of the fields an instance answers with (before ``fields=`` leaves some out)."""
        built = cls.__dict__.get("_built_fields")
        return list(built) if built is not None else list(cls().fields)


class SourceSerializer(OutputSerializer):
    class Meta:
        model = Source
        fields = ["key", "title", "publisher", "url", "published_on"]


class ProvinceSerializer(OutputSerializer):
    class Meta:
        model = Province
        fields = ["code", "name", "division_type"]


class ProvinceBriefSerializer(OutputSerializer):
    class Meta:
        model = Province
        fields = ["code", "name"]


class CategorySerializer(OutputSerializer):
    parent = serializers.CharField(
        source="parent_slug", allow_null=True, read_only=True, help_text="Slug of the parent category; null for a root."
    )

    class Meta:
        model = Category
        fields = ["slug", "name", "name_en", "parent", "depth"]


class CategoryBriefSerializer(OutputSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name", "name_en"]


class StandardSerializer(OutputSerializer):
    class Meta:
        model = Standard
        fields = ["code", "name", "body", "url"]


class StandardBriefSerializer(OutputSerializer):
    class Meta:
        model = Standard
        fields = ["code", "name"]


class CompanyBriefSerializer(OutputSerializer):
    class Meta:
        model = Company
        fields = ["tax_code", "name"]


@extend_schema_field({"type": "array", "items": COUNTRY_CODE_SCHEMA})
class CountryCodesField(serializers.Field):
    """The sorted, distinct ISO alpha-2 codes of export markets, from the ``market_countries`` annotation
    (comma-joined codes: ``companies.querysets.joined_countries``)."""

    def __init__(self, **kwargs):
        super().__init__(source="market_countries", **kwargs)

    def to_representation(self, codes: str):
        return sorted(set(codes.split(","))) if codes else []


class LatestExportRevenueSerializer(serializers.Serializer):
    year = serializers.IntegerField(source="latest_export_revenue_year")
    amount_usd = serializers.DecimalField(max_digits=16, decimal_places=2, source="latest_export_revenue_usd")


class CompanySerializer(OutputSerializer):
    province = ProvinceBriefSerializer()
    verified = serializers.BooleanField(
        source="is_verified", help_text="Whether a ministry officer verified the company."
    )
    markets = CountryCodesField(
        help_text="ISO 3166-1 alpha-2 codes of the foreign countries the company is present in.",
    )
    latest_export_revenue = serializers.SerializerMethodField(
        help_text="Total export revenue in the latest reported year; null when none is recorded."
    )

    class Meta:
        model = Company
        fields = [
            "tax_code",
            "name",
            "name_en",
            "short_name",
            "slug",
            "province",
            "founded_year",
            "ownership",
            "size_band",
            "website",
            "status",
            "verified",
            "verification",
            "markets",
            "latest_export_revenue",
        ]
        reads = {"latest_export_revenue": ["latest_export_revenue_usd", "latest_export_revenue_year"]}

    @extend_schema_field(LatestExportRevenueSerializer(allow_null=True))
    def get_latest_export_revenue(self, company):
        if getattr(company, "latest_export_revenue_year", None) is None:
            return None
        # One nested serializer for every row: building one per row took a third of the row's serializing.
        if self._latest_export_revenue is None:
            self._latest_export_revenue = LatestExportRevenueSerializer()
        return self._latest_export_revenue.to_representation(company)

    _latest_export_revenue = None


class CompanyProductSerializer(OutputSerializer):
    category = CategoryBriefSerializer()
    certified = serializers.BooleanField(source="is_certified")

    class Meta:
        model = Product
        fields = ["id", "name", "slug", "category", "maturity", "certified"]


class ExportMarketSerializer(OutputSerializer):
    country = serializers.CharField(source="country.code", help_text="ISO 3166-1 alpha-2 code.")
    country_name = serializers.CharField(source="country.name")
    products = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the company's products sold in this market."
    )
    source = SourceSerializer()

    class Meta:
        model = ExportMarket
        fields = ["country", "country_name", "kind", "since_year", "products", "note", "source"]


class ExportRevenueSerializer(OutputSerializer):
    country = serializers.SerializerMethodField(help_text="ISO alpha-2 code, or null for the total of all markets.")
    source = SourceSerializer()

    class Meta:
        model = ExportRevenue
        fields = ["year", "country", "amount_usd", "verified", "source"]

    @extend_schema_field({**COUNTRY_CODE_SCHEMA, "nullable": True})
    def get_country(self, revenue) -> str | None:
        return revenue.country.code or None


class ContactPersonSerializer(OutputSerializer):
    class Meta:
        model = ContactPerson
        fields = ["name", "role", "phone", "email"]


SENSITIVE_NOTE = " Present only for the company's representatives and ministry officers."


class CompanyDetailSerializer(CompanySerializer):
    products = CompanyProductSerializer(many=True)
    export_markets = ExportMarketSerializer(many=True)
    export_revenue = ExportRevenueSerializer(
        many=True,
        source="export_revenues",
        help_text="Yearly export revenue. Unverified figures are shown only to the company's representatives and officers.",
    )
    # Not read-only, so that the schema does not list them as always present.
    contact_persons = ContactPersonSerializer(many=True, required=False, help_text="Contact persons." + SENSITIVE_NOTE)
    source = SourceSerializer(allow_null=True, help_text="Where the registration facts come from.")
    verification_note = serializers.CharField(
        required=False, help_text="The officer's reason for a rejection or suspension." + SENSITIVE_NOTE
    )

    class Meta(CompanySerializer.Meta):
        fields = CompanySerializer.Meta.fields + [
            "address",
            "description_vi",
            "description_en",
            "verified_at",
            "created_at",
            "updated_at",
            "products",
            "export_markets",
            "export_revenue",
            "source",
            "contact_persons",
            "verification_note",
        ]

    def to_representation(self, company):
        data = super().to_representation(company)
        if not getattr(company, "viewer_sees_sensitive", False):
            data.pop("contact_persons", None)  # absent already when ``?fields=`` left them out
            data.pop("verification_note", None)
            if "export_revenue" in data:
                data["export_revenue"] = [row for row in data["export_revenue"] if row["verified"]]
        return data


class ExportMarketResourceSerializer(ExportMarketSerializer):
    """An export market on its own URL."""

    company = CompanyBriefSerializer()

    class Meta(ExportMarketSerializer.Meta):
        fields = ["id", "company", *ExportMarketSerializer.Meta.fields]


class ExportRevenueResourceSerializer(ExportRevenueSerializer):
    """A revenue figure on its own URL."""

    company = CompanyBriefSerializer()

    class Meta(ExportRevenueSerializer.Meta):
        fields = ["id", "company", *ExportRevenueSerializer.Meta.fields]


class ProductSerializer(OutputSerializer):
    company = CompanyBriefSerializer()
    category = CategoryBriefSerializer()
    standards = StandardBriefSerializer(many=True)
    certified = serializers.BooleanField(source="is_certified", help_text='Certified as a "Make in Vietnam" product.')
    certified_on = serializers.DateField(source="miv_certified_on", allow_null=True)
    certification_source = SourceSerializer(source="miv_certification_source", allow_null=True)
    markets = CountryCodesField(help_text="ISO 3166-1 alpha-2 codes of the foreign countries the product is sold in.")
    source = SourceSerializer(allow_null=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "slug",
            "company",
            "category",
            "description_vi",
            "description_en",
            "launch_year",
            "maturity",
            "standards",
            "certified",
            "certified_on",
            "certification_source",
            "markets",
            "source",
        ]


class MarketSerializer(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    name = serializers.SerializerMethodField(help_text="English name of the country.")
    company_count = serializers.IntegerField(help_text="Companies present in the country.")
    product_count = serializers.IntegerField(help_text="Products sold in the country.")

    def get_name(self, row) -> str:
        return country_name(row["country"])


class ChangeSerializer(OutputSerializer):
    """One change of the public state, for apps that keep in sync. Replaying them in order, keeping for
    each (object_type, object_id) the last ``data`` and dropping it on ``delete``, gives the registry's
    current public state."""

    cursor = serializers.IntegerField(source="pk", help_text="This change's position; read on with since=<cursor>.")
    action = serializers.SerializerMethodField(
        help_text="upsert: the record is (now) public with this data; delete: it is gone or no longer public."
    )
    data = serializers.JSONField(source="public_data", allow_null=True, help_text="The public fields after the change.")

    class Meta:
        model = ChangeEvent
        fields = ["cursor", "at", "object_type", "object_id", "action", "data"]

    def get_action(self, event) -> str:
        return "delete" if event.public_data is None else "upsert"


class AuditChangeSerializer(ChangeSerializer):
    """The same change as an officer reads it: what exactly happened, each changed field's old and new
    value, and who did it through which client."""

    change = serializers.CharField(source="action", help_text="create, update or delete.")
    changes = serializers.JSONField(help_text="Each changed field: [old value, new value].")
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    api_key = serializers.CharField(
        source="api_key.prefix", allow_null=True, default=None, help_text="Prefix of the API key used, if any."
    )

    class Meta(ChangeSerializer.Meta):
        fields = [*ChangeSerializer.Meta.fields, "change", "changes", "actor", "api_key"]
