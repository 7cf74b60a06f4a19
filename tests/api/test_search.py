"""Search: accent- and case-insensitive Vietnamese, every word must match, name matches rank first."""

import unicodedata

import pytest

from companies.models import Company
from products.models import Category, Product
from products.services import category_upsert, product_update
from tests.conftest import DANANG_SOFT, GIAI_PHAP_SO, MISA
from tests.helpers import get_json, product_names, tax_codes


def test_unaccented_query_finds_company_by_its_product_name(api_client, registry):
    # Only MISA's product is named "Phần mềm kế toán MISA SME"; the Đà Nẵng firm has "Phần mềm" but no "kế toán".
    assert tax_codes(api_client, {"search": "phan mem ke toan"}) == [MISA]


def test_accented_query_equals_unaccented(api_client, registry):
    assert tax_codes(api_client, {"search": "Phần mềm kế toán"}) == [MISA]
    assert tax_codes(api_client, {"search": "PHẦN MỀM KẾ TOÁN"}) == [MISA]


def test_da_nang_finds_d_with_stroke(api_client, registry):
    assert tax_codes(api_client, {"search": "da nang"}) == [DANANG_SOFT]


def test_nfd_query_equals_nfc(api_client, registry):
    nfc = unicodedata.normalize("NFC", "Đà Nẵng")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert tax_codes(api_client, {"search": nfd}) == tax_codes(api_client, {"search": nfc}) == [DANANG_SOFT]


def test_stored_nfd_text_is_found_by_nfc_query(api_client, make_company):
    company = make_company(name=unicodedata.normalize("NFD", "Công ty Phần mềm Huế"))
    assert tax_codes(api_client, {"search": "Huế"}) == [company.tax_code]


def test_query_with_zero_width_characters(api_client, registry):
    assert tax_codes(api_client, {"search": "Đà\u200b Nẵng"}) == [DANANG_SOFT]


def test_english_name_matches(api_client, registry):
    assert tax_codes(api_client, {"search": "limited"}) == [DANANG_SOFT]
    assert tax_codes(api_client, {"search": "joint stock"}) == [MISA]


def test_description_matches(api_client, registry):
    assert tax_codes(api_client, {"search": "digital transformation"}) == [GIAI_PHAP_SO]


def test_every_word_must_match(api_client, registry):
    assert tax_codes(api_client, {"search": "misa"}) == [MISA]
    assert tax_codes(api_client, {"search": "misa nang"}) == []


def test_like_wildcards_are_literal(api_client, registry):
    assert tax_codes(api_client, {"search": "m_sa"}) == []
    assert tax_codes(api_client, {"search": "m%a"}) == []


def test_blank_search_is_no_filter(api_client, registry):
    assert tax_codes(api_client, {"search": "   "}) == [MISA, GIAI_PHAP_SO, DANANG_SOFT]


@pytest.fixture
def blockchain_firms(make_company):
    """A has the word in its name, B only in its description; B comes first by name."""
    in_description = make_company(
        name="Công ty An Bình", description_vi="Giải pháp Blockchain cho ngân hàng và bảo hiểm."
    )
    in_name = make_company(name="Công ty Blockchain Việt")
    return in_name, in_description


def test_name_matches_rank_above_description_matches(api_client, blockchain_firms):
    in_name, in_description = blockchain_firms
    assert tax_codes(api_client) == [in_description.tax_code, in_name.tax_code]  # by name without search
    assert tax_codes(api_client, {"search": "blockchain"}) == [in_name.tax_code, in_description.tax_code]


def test_whole_phrase_in_name_ranks_above_scattered_words(api_client, make_company):
    scattered = make_company(name="Công ty Pháp Việt Giải trí")  # both words, not as the phrase
    phrase = make_company(name="Công ty Xanh Giải pháp")
    assert tax_codes(api_client) == [scattered.tax_code, phrase.tax_code]  # by name without search
    assert tax_codes(api_client, {"search": "giải pháp"}) == [phrase.tax_code, scattered.tax_code]


def test_explicit_ordering_overrides_relevance(api_client, blockchain_firms):
    in_name, in_description = blockchain_firms
    assert tax_codes(api_client, {"search": "blockchain", "ordering": "name"}) == [
        in_description.tax_code,
        in_name.tax_code,
    ]


def test_search_of_products_by_name_category_and_company(api_client, registry):
    assert product_names(api_client, {"search": "ke toan"}) == ["Phần mềm kế toán MISA SME"]
    assert product_names(api_client, {"search": "thiet bi"}) == ["Trạm gốc 5G"]  # its category "Thiết bị 5G"
    assert product_names(api_client, {"search": "da nang"}) == ["Trạm gốc 5G"]  # its company


def test_product_name_matches_rank_first(api_client, registry, make_product):
    # "tram goc" is in this product's description only; the base station has it in its name.
    other = make_product(
        registry["misa"], name="Anten", category="5g", description_vi="Anten cho trạm gốc", launch_year=2022
    )
    assert product_names(api_client, {"search": "tram goc"}) == ["Trạm gốc 5G", other.name]


def test_a_name_that_begins_with_the_phrase_ranks_first(api_client, registry, make_product):
    # Both names have the phrase; the one that begins with it comes first, though it comes later by name.
    other = make_product(registry["misa"], name="Anten trạm gốc", category="5g", launch_year=2022)
    assert product_names(api_client, {"search": "tram goc"}) == ["Trạm gốc 5G", other.name]
    ranks = dict(Product.objects.search("TRAM GOC").values_list("name", "search_rank"))
    assert ranks == {"Trạm gốc 5G": 3, other.name: 2}


def test_search_of_maximum_length_is_accepted(api_client, registry):
    body = get_json(api_client, "company-list", {"search": "misa " + "x" * 195})
    assert body["count"] == 0


def test_a_phrase_does_not_span_two_stored_names(make_company):
    # The folded names are stored one per line (registry.text.fold_join): "alpha beta" is in no single name.
    company = make_company(name="Công ty Alpha", name_en="Beta Corporation")
    assert Company.objects.search("alpha beta").get(pk=company.pk).search_rank == 1  # each word in a name
    assert Company.objects.search("beta corporation").get(pk=company.pk).search_rank == 2  # the phrase
    assert not Company.objects.search("|").exists()


def test_a_phrase_that_begins_with_a_short_word_ranks_first_only_at_a_words_start(make_company):
    # "5g" alone matches only at a word's start; the phrase it begins must too, for the top rank.
    inside = make_company(name="Công ty X5G Camera", description_vi="Thiết bị 5G.")
    at_start = make_company(name="Công ty 5G Camera")
    ranks = dict(Company.objects.search("5g camera").values_list("pk", "search_rank"))
    assert ranks == {at_start.pk: 2, inside.pk: 0}  # "5g" begins no word of the other's name


def test_company_search_follows_a_renamed_product(api_client, registry):
    product_update(product=registry["accounting"], data={"name": "Hóa đơn điện tử MISA"})

    assert tax_codes(api_client, {"search": "hoa don dien tu"}) == [MISA]
    assert tax_codes(api_client, {"search": "MISA SME"}) == []


def test_company_search_follows_a_renamed_category(api_client, registry):

    telecom = Category.objects.get(slug="telecommunications")
    assert tax_codes(api_client, {"search": "equipment"}) == [DANANG_SOFT]

    category_upsert(slug="5g-equipment", name="Hạ tầng mạng lõi", name_en="Core network", parent=telecom)

    assert tax_codes(api_client, {"search": "ha tang mang loi"}) == [DANANG_SOFT]
    assert tax_codes(api_client, {"search": "equipment"}) == []


def test_a_short_word_matches_the_start_of_a_word_not_the_middle(api_client, make_company):
    # Words under three letters cannot use the trigram index anywhere in a text, and mean a word anyway.
    camera = make_company(name="Công ty Camera AI Việt")
    finance = make_company(name="Công ty Tài chính Số")  # "tai" contains "ai"
    start_of_text = make_company(name="AI Lab Hà Nội")

    found = tax_codes(api_client, {"search": "ai"})

    assert set(found) == {camera.tax_code, start_of_text.tax_code}
    assert finance.tax_code not in found
    assert tax_codes(api_client, {"search": "camera ai"}) == [camera.tax_code]


def test_a_short_word_matches_after_a_part_break_in_the_folded_text(api_client, make_company):
    # The folded name joins the Vietnamese, English and short names with newlines.
    company = make_company(name="Công ty Trạm gốc", name_en="5G Base Stations JSC")
    assert tax_codes(api_client, {"search": "5g"}) == [company.tax_code]
