"""Input serializers of the write API: they parse and check the shape of a request body and turn
references (tax codes, slugs, country codes) into objects; the domain services apply the rules.

A field that a caller may not set (verification state, status, ``verified`` of a revenue row, ids) or does
not exist is refused with 400, never silently ignored: no mass assignment."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from companies.models import Company, MarketKind, Ownership, Province, SizeBand
from companies.provinces import PROVINCE_CHOICES
from companies.validators import NO_SUCH_COMPANY, normalize_tax_code
from products.models import Category, Maturity, Standard
from registry.filters import FOREIGN_COUNTRY_CHOICES


class StrictInputSerializer(serializers.Serializer):
    """Refuses keys it does not declare as writable."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field cannot be set here (it is read-only or unknown)."] for name in unknown}
                )
        return super().to_internal_value(data)


class SourceInput(StrictInputSerializer):
    """Where a fact comes from. Required for export markets and revenue figures."""

    title = serializers.CharField(max_length=300)
    publisher = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    published_on = serializers.DateField(required=False, allow_null=True, default=None)


class ContactPersonInput(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    role = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class ProvinceField(serializers.ChoiceField):
    """A province by its two-digit code (the schema lists the 34 codes)."""

    def __init__(self, **kwargs):
        super().__init__(choices=PROVINCE_CHOICES, **kwargs)

    def to_internal_value(self, data):
        return Province.objects.get(code=super().to_internal_value(data))

    def to_representation(self, value):
        return value.code


class CompanyInput(StrictInputSerializer):
    """The profile a representative keeps. Enterprise code rules (check digit) are the domain's."""

    tax_code = serializers.CharField(max_length=20, help_text="Enterprise code; spaces and dots are ignored.")
    name = serializers.CharField(max_length=300, help_text="Legal name in Vietnamese.")
    name_en = serializers.CharField(max_length=300, required=False, allow_blank=True)
    short_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    province = ProvinceField(help_text="Two-digit province code.")
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    founded_year = serializers.IntegerField(required=False, allow_null=True, min_value=1900, max_value=2100)
    ownership = serializers.ChoiceField(choices=Ownership.choices)
    size_band = serializers.ChoiceField(choices=SizeBand.choices, required=False, allow_blank=True)
    website = serializers.URLField(max_length=300, required=False, allow_blank=True)
    description_vi = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    description_en = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    source = SourceInput(required=False, allow_null=True, help_text="Where the registration facts come from.")
    contact_persons = ContactPersonInput(
        many=True,
        required=False,
        help_text="Replaces the contact persons. Visible only to representatives and officers.",
    )


class CompanyDecisionInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=1000, help_text="Why: shown to the company's representatives.")


@extend_schema_field({"type": "string", "pattern": "^[0-9 .]{10,}(-[0-9]{3})?$", "example": "0101243150"})
class RepresentedCompanyField(serializers.RelatedField):
    """A company named by its enterprise code (spaces and dots ignored) that the caller represents:
    naming any other company is refused with 403, whatever the rest of the body."""

    default_error_messages = {"does_not_exist": NO_SUCH_COMPANY.format(code="{value}")}

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Company.objects.all())
        kwargs.setdefault("help_text", "Enterprise code of a company the caller represents.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            company = self.get_queryset().get(tax_code=normalize_tax_code(str(data)))
        except (DjangoValidationError, Company.DoesNotExist):
            self.fail("does_not_exist", value=data)
        if not self.context["represented_companies"].filter(pk=company.pk).exists():
            raise PermissionDenied(f"You do not represent the company {company.tax_code}.")
        return company

    def to_representation(self, value):
        return value.tax_code


class ProductInput(StrictInputSerializer):
    company = RepresentedCompanyField(
        help_text="Enterprise code of the company that makes it: one the caller represents."
    )
    name = serializers.CharField(max_length=300)
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
    maturity = serializers.ChoiceField(choices=Maturity.choices)
    description_vi = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    description_en = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    launch_year = serializers.IntegerField(required=False, allow_null=True, min_value=1900, max_value=2100)
    standards = serializers.SlugRelatedField(
        slug_field="code", queryset=Standard.objects.all(), many=True, required=False
    )
    markets = serializers.ListField(
        child=serializers.ChoiceField(choices=FOREIGN_COUNTRY_CHOICES),
        required=False,
        help_text="ISO alpha-2 codes of the company's export markets in which the product is sold.",
    )
    source = SourceInput(required=False, allow_null=True)


class ExportMarketInput(StrictInputSerializer):
    company = RepresentedCompanyField()
    country = serializers.ChoiceField(choices=FOREIGN_COUNTRY_CHOICES, help_text="ISO 3166-1 alpha-2 code.")
    kind = serializers.ChoiceField(choices=MarketKind.choices)
    since_year = serializers.IntegerField(required=False, allow_null=True, min_value=1900, max_value=2100)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)
    source = SourceInput()


class ExportRevenueInput(StrictInputSerializer):
    company = RepresentedCompanyField()
    year = serializers.IntegerField(min_value=1900, max_value=2100)
    amount_usd = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    country = serializers.ChoiceField(
        choices=FOREIGN_COUNTRY_CHOICES, required=False, allow_blank=True, help_text="Blank: all foreign markets."
    )
    source = SourceInput()
