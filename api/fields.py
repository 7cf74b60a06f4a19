"""Serializer fields whose schema says more than DRF can infer."""

import datetime

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from companies.validators import EARLIEST_YEAR, MAX_EXPORT_REVENUE_USD, validate_past_year


class PastYearField(serializers.IntegerField):
    """A year that has already come (founding, launch, figures), from EARLIEST_YEAR to this year: the domain's
    rule (``companies.validators.validate_past_year``), checked here too so that the error names the field
    before any service runs. One message a wrong year: DRF's minimum below EARLIEST_YEAR, the domain's above."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", EARLIEST_YEAR)
        super().__init__(**kwargs)
        self.validators.append(_not_after_this_year)


def _not_after_this_year(value: int) -> None:
    if value >= EARLIEST_YEAR:  # below it, the minimum has said so
        validate_past_year(value)


class PastYearFieldSchema(OpenApiSerializerFieldExtension):
    target_class = PastYearField

    def map_serializer_field(self, auto_schema, direction):
        # This year as of when the schema is generated: no fixed maximum would stay true.
        return {"type": "integer", "minimum": EARLIEST_YEAR, "maximum": datetime.date.today().year}


class UsdAmountField(serializers.DecimalField):
    """An amount in USD with cents, as a decimal string ("1250000.50"): not negative, and at most
    ``MAX_EXPORT_REVENUE_USD`` (``companies.validators.validate_plausible_revenue``)."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=16, decimal_places=2, min_value=0, **kwargs)


# The schema's pattern spells "0 to MAX_EXPORT_REVENUE_USD" as digits, which needs MAX to be a power of ten.
_MAX_WHOLE_USD = int(MAX_EXPORT_REVENUE_USD)
_MAX_DIGITS = len(str(_MAX_WHOLE_USD)) - 1
assert str(_MAX_WHOLE_USD) == "1" + "0" * _MAX_DIGITS and MAX_EXPORT_REVENUE_USD == _MAX_WHOLE_USD


class UsdAmountFieldSchema(OpenApiSerializerFieldExtension):
    target_class = UsdAmountField

    def map_serializer_field(self, auto_schema, direction):
        # drf-spectacular's pattern for a DecimalField also matches "" and "-5", which are refused.
        up_to_max = rf"[0-9]{{1,{_MAX_DIGITS}}}(?:\.[0-9]{{0,2}})?|\.[0-9]{{1,2}}|{_MAX_WHOLE_USD}(?:\.0{{0,2}})?"
        return {"type": "string", "format": "decimal", "pattern": f"^(?:{up_to_max})$", "example": "1250000.00"}
