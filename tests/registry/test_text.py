"""registry.text: the one folding function used for stored search text and for queries."""

import unicodedata

import pytest

from registry.text import fold, fold_join, search_terms


def test_vietnamese_accents_are_removed():
    assert fold("Phần mềm kế toán") == "phan mem ke toan"


@pytest.mark.parametrize("text", ["Đà Nẵng", "đà nẵng", "ĐÀ NẴNG"])
def test_d_with_stroke_becomes_d(text):
    assert fold(text) == "da nang"


def test_nfc_and_nfd_input_fold_the_same():
    nfc = unicodedata.normalize("NFC", "Phần mềm Kế toán Đà Nẵng")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    assert fold(nfd) == fold(nfc) == "phan mem ke toan da nang"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad", "\u2060"])
def test_zero_width_characters_are_removed(invisible):
    assert fold(f"Phần{invisible}mềm") == "phanmem"
    assert fold(f"{invisible}Viettel") == "viettel"


def test_case_is_folded():
    assert fold("VIETTEL High Tech") == "viettel high tech"


def test_white_space_runs_collapse_and_ends_are_trimmed():
    assert fold("  Phần \t mềm\n\u00a0 kế   toán ") == "phan mem ke toan"


@pytest.mark.parametrize("empty", ["", None])
def test_empty_input_gives_empty_string(empty):
    assert fold(empty) == ""


def test_every_vietnamese_vowel_folds_to_ascii():
    vowels = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵ"
    folded = fold(vowels + vowels.upper())
    assert folded.isascii()
    assert set(folded) == set("aeiouy")


def test_fold_join_separates_parts_and_skips_empty_ones():
    assert fold_join("Công ty MISA", "", None, "MISA JSC") == "cong ty misa\nmisa jsc"


def test_search_terms_are_folded_and_deduplicated_in_order():
    assert search_terms("Phần mềm  PHẦN mềm kế") == ["phan", "mem", "ke"]


def test_eth_and_full_width_letters_fold():
    assert fold("ÐÀ NẴNG") == "da nang"  # Ð (U+00D0) is a frequent mis-encoding of Đ
    assert fold("ＦＰＴ") == "fpt"
