"""normalize_tax_code: the canonical enterprise code, or a ValidationError saying what is wrong."""

import pytest
from django.core.exceptions import ValidationError
from stdnum.vn import mst

from companies.validators import normalize_tax_code, validate_tax_code


def error_code(value: str) -> str:
    with pytest.raises(ValidationError) as caught:
        normalize_tax_code(value)
    return caught.value.code


@pytest.mark.parametrize("value", ["0100109106", "0101248141", "0303490096", "0104831030"])
def test_valid_ten_digit_code_is_returned_unchanged(value):
    assert normalize_tax_code(value) == value


def test_branch_code_keeps_its_dash():
    assert normalize_tax_code("0100109106-001") == "0100109106-001"


def test_branch_code_without_dash_gets_one():
    assert normalize_tax_code("0100109106001") == "0100109106-001"


@pytest.mark.parametrize(
    "value",
    ["0100 109 106", "01.00.109.106", " 0100109106 ", "0100-109-106"],
)
def test_spaces_dots_and_dashes_are_dropped(value):
    assert normalize_tax_code(value) == "0100109106"


def test_spaced_branch_code_is_normalised():
    assert normalize_tax_code("0100 109 106 - 001") == "0100109106-001"


def test_wrong_check_digit_is_rejected():
    assert error_code("0100109107") == "tax_code_checksum"


def test_wrong_check_digit_of_branch_is_rejected():
    assert error_code("0100109107-001") == "tax_code_checksum"


def test_sequence_whose_check_digit_would_be_ten_has_no_valid_code():
    # 31·0 + 29·1 + ... for 010000005 is a multiple of 11, so the check digit would be 10: no 10th digit fits.
    first_nine = "010000005"
    assert mst.calc_check_digit(first_nine) == "10"
    for last in "0123456789":
        assert error_code(first_nine + last) == "tax_code_checksum"


def test_all_zero_sequence_number_is_rejected():
    # NN0000000x: digits 3 to 9 may not all be 0, whatever the check digit.
    for last in "0123456789":
        assert error_code("010000000" + last) == "tax_code_component"


def test_branch_suffix_000_is_rejected():
    assert error_code("0100109106-000") == "tax_code_component"


@pytest.mark.parametrize("value", ["01001O9106", "ABCDEFGHIJ", "0100109106-0A1"])
def test_letters_are_rejected(value):
    assert error_code(value) == "tax_code_format"


@pytest.mark.parametrize("value", ["010010910", "01001091061", "0100109106-01", "", None])
def test_wrong_lengths_are_rejected(value):
    assert error_code(value) == "tax_code_length"


def test_error_message_is_human_readable():
    with pytest.raises(ValidationError) as caught:
        normalize_tax_code("0100109107")
    assert "check digit" in caught.value.messages[0]


def test_model_validator_requires_canonical_form():
    validate_tax_code("0100109106")  # canonical: no error
    with pytest.raises(ValidationError) as caught:
        validate_tax_code("0100 109 106")
    assert caught.value.code == "tax_code_not_canonical"
