"""Input serializers of the write API: they parse and check the shape of a request body and turn
references (tax codes, slugs, country codes) into objects; the domain services apply the rules.

A field that a caller may not set (verification state, status, ``verified`` of a revenue row, ids) or does
not exist is refused with 400, never silently ignored: no mass assignment."""

import unicodedata

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from companies.models import Company, MarketKind, Ownership, Province, SizeBand
from companies.provinces import PROVINCE_CHOICES
from companies.validators import NO_SUCH_COMPANY, normalize_tax_code
from products.models import Category, Maturity, Standard
from registry.filters import FOREIGN_COUNTRY_CHOICES

from .fields import PastYearField, UsdAmountField

# The JSON type each kind of field takes, as the schema says: DRF would also take 5 for "5", "5" for 5 and
# "true" for true, which a JSON API's clients cannot learn from its schema.
JSON_TYPES = (
    (serializers.BooleanField, bool, "Must be true or false."),
    (serializers.IntegerField, int, "A valid integer is required."),
    (
        (
            serializers.CharField,
            serializers.ChoiceField,
            serializers.RelatedField,
            serializers.DecimalField,
            serializers.DateField,
            serializers.DateTimeField,
        ),
        str,
        "Not a valid string.",
    ),
)


def _json_type_error(field, value) -> str | None:
    if value is None:
        return None  # the field's own allow_null decides
    for field_classes, json_type, message in JSON_TYPES:
        if isinstance(field, field_classes):
            wrong = not isinstance(value, json_type) or (json_type is int and isinstance(value, bool))
            # A whole number may be written 2020.0: JSON Schema counts it as an integer too.
            if json_type is int and isinstance(value, float) and value.is_integer():
                wrong = False
            return message if wrong else None
    return None


class StrictInputSerializer(serializers.Serializer):
    """Refuses keys it does not declare as writable. Texts are taken in Unicode NFC, the form the domain
    stores (``registry.plain_text``), so that their maximum lengths count the characters that will be stored:
    decomposed Vietnamese is up to three code points a letter."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field cannot be set here (it is read-only or unknown)."] for name in unknown}
                )
            mistyped = {
                name: [message]
                for name, value in data.items()
                if (message := _json_type_error(self.fields[name], value))
            }
            if mistyped:
                raise serializers.ValidationError(mistyped)
            if self.parent is not None:
                # A nested object (a source, a contact person) is given whole, in a PATCH too: DRF would skip its
                # missing required fields because the body's root is partial.
                missing = [name for name in sorted(writable - set(data)) if self.fields[name].required]
                if missing:
                    raise serializers.ValidationError(
                        {name: [self.fields[name].error_messages["required"]] for name in missing}
                    )
            data = {
                name: unicodedata.normalize("NFC", value) if isinstance(value, str) else value
                for name, value in data.items()
            }
        return super().to_internal_value(data)


class MultilineTextField(serializers.CharField):
    """Text that may have line breaks and tabs (a model's TextField); DRF draws it as a text area."""

    def __init__(self, **kwargs):
        kwargs.setdefault("style", {"base_template": "textarea.html"})
        super().__init__(**kwargs)


class SourceInput(StrictInputSerializer):
    """Where a fact comes from. Required for export markets and revenue figures."""

    title = serializers.CharField(max_length=300)
    publisher = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    published_on = serializers.DateField(required=False, allow_null=True, default=None)


# 6 to 30 of the characters of ContactPerson.phone's pattern after an optional "+", neither first nor last a space.
PHONE_PATTERN = r"^\+?(?=[0-9 .\-()]{6,30}$)[0-9.\-()](?:[0-9 .\-()]*[0-9.\-()])?$"
PHONE_MESSAGE = "Enter a phone number of digits, spaces and + . - ( )."


class ContactPersonInput(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    role = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    # The model's rule (ContactPerson.phone) as a pattern the schema states too. It is checked as sent, not trimmed
    # first: a trimmed "86-07 " would fall below the 6 characters the pattern counted.
    phone = serializers.RegexField(
        PHONE_PATTERN,
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        error_messages={"invalid": PHONE_MESSAGE},
    )
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
    founded_year = PastYearField(required=False, allow_null=True)
    ownership = serializers.ChoiceField(choices=Ownership.choices)
    size_band = serializers.ChoiceField(choices=SizeBand.choices, required=False, allow_blank=True)
    website = serializers.URLField(max_length=300, required=False, allow_blank=True)
    description_vi = MultilineTextField(max_length=20000, required=False, allow_blank=True)
    description_en = MultilineTextField(max_length=20000, required=False, allow_blank=True)
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
    description_vi = MultilineTextField(max_length=20000, required=False, allow_blank=True)
    description_en = MultilineTextField(max_length=20000, required=False, allow_blank=True)
    launch_year = PastYearField(required=False, allow_null=True)
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
    since_year = PastYearField(required=False, allow_null=True)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)
    source = SourceInput()


class ExportRevenueInput(StrictInputSerializer):
    company = RepresentedCompanyField()
    year = PastYearField()
    amount_usd = UsdAmountField()
    country = serializers.ChoiceField(
        choices=FOREIGN_COUNTRY_CHOICES, required=False, allow_blank=True, help_text="Blank: all foreign markets."
    )
    source = SourceInput()
