from django.utils import translation
from django_countries import countries

from registry.countries import country_name


def test_every_code_has_the_name_django_countries_gives():
    assert len(countries) > 240
    assert all(country_name(code) == countries.name(code) for code, _name in countries)
    assert country_name("VN") == "Vietnam"


def test_a_code_django_countries_does_not_know_has_no_name():
    assert country_name("XX") == countries.name("XX") == ""


def test_names_follow_the_active_language():
    with translation.override("vi"):
        assert country_name("JP") == countries.name("JP")
        assert country_name("DE") == countries.name("DE") == "Đức"
    assert country_name("DE") == "Germany"
