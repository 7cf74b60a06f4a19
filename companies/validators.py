"""Rules for single values of the companies domain."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.vn import mst

from registry.text import INVISIBLE_CHARACTERS

TAX_CODE_PATTERN = r"^[0-9]{10}(-[0-9]{3})?$"
EARLIEST_YEAR = 1900


# The answer for an enterprise code no visible company has (``{code}``: the code, as written): the same for a
# code that exists nowhere and for a company the caller may not see, so that none tells a hidden one exists.
NO_SUCH_COMPANY = "No company in the registry has the enterprise code “{code}”."


def normalize_tax_code(value: str) -> str:
    """The canonical form of an enterprise code: ``0100109106`` or ``0100109106-001`` for a branch.

    Spaces, dots and dashes in the input are ignored, and so are invisible characters (a zero-width space
    copied with the code from a web page): the code is the digits, so the same digits are the same company.
    Full-width digits count as digits. Raises ``ValidationError`` with a message that says what is wrong:
    length, non-digits, a zero sequence number or branch suffix, or the check digit.
    """
    try:
        return mst.format(mst.validate(INVISIBLE_CHARACTERS.sub("", value or "")))
    except InvalidLength:
        message = "An enterprise code has 10 digits, or 13 for a branch (NNNNNNNNNN-NNN)."
        code = "tax_code_length"
    except InvalidFormat:
        message = "An enterprise code contains only digits (spaces, dots and one dash are ignored)."
        code = "tax_code_format"
    except InvalidComponent:
        message = "Digits 3 to 9 of an enterprise code cannot all be 0, and a branch suffix cannot be 000."
        code = "tax_code_component"
    except InvalidChecksum:
        message = "The check digit (10th digit) of this enterprise code is wrong."
        code = "tax_code_checksum"
    raise ValidationError(message, code=code, params={"value": value})


def validate_tax_code(value: str) -> None:
    """Model-field validator: the stored value must already be canonical and valid."""
    if normalize_tax_code(value) != value:
        raise ValidationError(
            "Store enterprise codes in canonical form: 10 digits, or 10 digits, a dash and 3 digits.",
            code="tax_code_not_canonical",
        )


# More than any one company's yearly export revenue can be: over twice Vietnam's exports of all goods in
# 2024 (USD 405 billion, General Statistics Office). A larger figure is a typing or unit error (VND for USD).
MAX_EXPORT_REVENUE_USD = Decimal("1000000000000")


def validate_plausible_revenue(value: Decimal | None) -> None:
    if value is not None and value > MAX_EXPORT_REVENUE_USD:
        raise ValidationError(
            "More than USD %(limit)s in one year is not a plausible export revenue: is the amount in USD?",
            code="revenue_implausible",
            params={"limit": f"{MAX_EXPORT_REVENUE_USD:,.0f}"},
        )


def validate_past_year(value: int) -> None:
    """A year of something that already happened: from 1900 to this year."""
    this_year = datetime.date.today().year
    if value is not None and not EARLIEST_YEAR <= value <= this_year:
        raise ValidationError(
            "Enter a year from %(earliest)s to %(this_year)s.",
            code="year_out_of_range",
            params={"earliest": EARLIEST_YEAR, "this_year": this_year},
        )
