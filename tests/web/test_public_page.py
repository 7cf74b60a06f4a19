"""The public page at ``/`` (web/): server-rendered, in Vietnamese by default and in English on request,
everything served from this server, no inline code (a strict Content-Security-Policy holds), links to the
API's documentation. The browser test (test_browser.py) checks that its script works."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import translation

import web

WEB_DIR = Path(web.__file__).parent


class Page(HTMLParser):
    """The parts of a page the tests look at: every tag with its attributes, and the scripts' bodies."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self._body: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag == "script":
            self._script, self._body = attributes, []

    def handle_data(self, data):
        if self._script is not None:
            self._body.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._body)))
            self._script = None

    def urls(self) -> list[str]:
        return [
            attributes[name]
            for _, attributes in self.tags
            for name in ("src", "href", "action", "srcset", "poster", "data")
            if name in attributes
        ]

    def first(self, tag: str) -> dict[str, str]:
        return next(attributes for name, attributes in self.tags if name == tag)

    def config(self) -> dict:
        return json.loads(next(body for attributes, body in self.scripts if attributes.get("id") == "web-config"))


def get(path: str = "/", **headers):
    return Client().get(path, headers=headers)


def test_home_is_a_vietnamese_html_page_by_default():
    response = get()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Language"] == "vi"
    assert "Accept-Language" in response["Vary"]
    page = Page(response.text)
    assert page.first("html")["lang"] == "vi"
    assert "<title>Danh bạ doanh nghiệp Make in Vietnam</title>" in response.text
    assert "Tra cứu danh bạ" in response.text
    assert page.config()["lang"] == "vi"
    assert reverse("home") == "/"


@pytest.mark.parametrize(
    ("query", "accept_language", "expected"),
    [
        ("?lang=en", "", "en"),
        ("?lang=EN", "", "en"),
        ("", "en", "en"),
        ("", "en-GB,en;q=0.9", "en"),
        ("", "fr-FR, en;q=0.5", "en"),  # the best language the page has
        ("", "en;q=0.4, vi;q=0.8", "vi"),
        ("", "vi-VN", "vi"),
        ("", "fr", "vi"),  # nothing the page has: Vietnamese
        ("", "en;q=0, fr", "vi"),  # q=0 means "not this one"
        ("", "*", "vi"),
        ("", "en;q=nonsense", "vi"),
        ("?lang=vi", "en", "vi"),  # ?lang= wins over the header
        ("?lang=en", "vi", "en"),
        ("?lang=fr", "en", "en"),  # an unknown ?lang= is ignored, not an error
        ("?lang=fr", "", "vi"),
        ("?lang=", "en", "en"),
    ],
)
def test_language_is_lang_then_accept_language_then_vietnamese(query, accept_language, expected):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = get("/" + query, **headers)

    assert response.status_code == 200
    assert response["Content-Language"] == expected
    page = Page(response.text)
    assert page.first("html")["lang"] == expected
    assert page.config()["lang"] == expected


def test_english_page_is_translated():
    response = get("/?lang=en")

    assert "<title>Make in Vietnam enterprise registry</title>" in response.text
    assert "Search the registry" in response.text
    assert "Tra cứu danh bạ" not in response.text


def test_every_string_for_the_script_is_translated_in_vietnamese():
    """A string added to the view without a compiled Vietnamese translation (``compilemessages``) fails here."""
    vi, en = Page(get("/?lang=vi").text).config(), Page(get("/?lang=en").text).config()

    assert vi["strings"].keys() == en["strings"].keys()
    untranslated = [key for key in vi["strings"] if vi["strings"][key] == en["strings"][key]]
    assert untranslated == []
    # The placeholders the script fills in are kept.
    for key, english in en["strings"].items():
        assert set(re.findall(r"\{\w+\}", vi["strings"][key])) == set(re.findall(r"\{\w+\}", english)), key


def test_the_compiled_catalogues_are_committed():
    for language in ("vi", "en"):
        catalogue = WEB_DIR / "locale" / language / "LC_MESSAGES"
        assert (catalogue / "django.po").is_file()
        assert (catalogue / "django.mo").is_file()
    with translation.override("vi"):
        assert translation.gettext("Search the registry") == "Tra cứu danh bạ"


def test_the_language_switcher_is_plain_links():
    page = Page(get("/?lang=en").text)
    switcher = {
        attributes["hreflang"]: attributes for tag, attributes in page.tags if tag == "a" and "hreflang" in attributes
    }

    assert switcher["vi"]["href"] == "?lang=vi"
    assert switcher["en"]["href"] == "?lang=en"
    assert switcher["en"].get("aria-current") == "page"
    assert "aria-current" not in switcher["vi"]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_nothing_is_loaded_from_another_host(language):
    response = get(f"/?lang={language}")
    page = Page(response.text)

    external = [url for url in page.urls() if urlsplit(url).scheme or urlsplit(url).netloc]
    assert external == []
    assert not re.search(r"(?:src|href|action)\s*=\s*[\"']?\s*(?:https?:)?//", response.text, re.IGNORECASE)


def test_the_static_files_the_page_references_exist():
    page = Page(get().text)
    static = [url for url in page.urls() if url.startswith("/" + settings.STATIC_URL.lstrip("/"))]

    assert {url.rsplit("/", 1)[-1] for url in static} >= {"app.js", "app.css", "favicon.svg"}
    for url in static:
        assert finders.find(url.removeprefix("/" + settings.STATIC_URL.lstrip("/"))), url


def test_the_script_and_styles_load_nothing_from_elsewhere():
    script = (WEB_DIR / "static" / "web" / "app.js").read_text(encoding="utf-8")
    styles = (WEB_DIR / "static" / "web" / "app.css").read_text(encoding="utf-8")

    # The only absolute URL in the script is the SVG namespace, an identifier that is never fetched.
    assert set(re.findall(r"https?://[^\s\"')]+", script)) == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"https?://|@import|url\(", styles)


def test_no_inline_code_only_a_json_configuration():
    response = get()
    page = Page(response.text)

    for attributes, body in page.scripts:
        if "src" in attributes:
            assert body.strip() == ""
        else:
            assert attributes.get("type") == "application/json"
            json.loads(body)
    assert [attributes["src"] for attributes, _ in page.scripts if "src" in attributes] == ["/static/web/app.js"]
    handlers = [(tag, name) for tag, attributes in page.tags for name in attributes if name.lower().startswith("on")]
    assert handlers == []
    assert not [tag for tag, attributes in page.tags if "style" in attributes] and "<style" not in response.text
    assert "javascript:" not in response.text.lower()


def test_a_strict_content_security_policy_is_sent():
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in get()["Content-Security-Policy"].split(";")
        if directive.strip()
    )

    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert "unsafe-inline" not in get()["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_script_is_told_api_urls_that_answer():
    urls = Page(get().text).config()["urls"]

    assert set(urls) == {"autocomplete", "companies", "categories", "indicators"}
    for name, url in urls.items():
        response = get(url + ("?q=misa" if name == "autocomplete" else ""))
        assert response.status_code == 200, name
        assert response["Content-Type"] == "application/json", name


def test_links_to_the_api_documentation_and_schema():
    page = Page(get().text)
    links = {attributes["href"] for tag, attributes in page.tags if tag == "a" and "href" in attributes}

    assert {
        reverse("swagger-ui"),
        reverse("redoc"),
        reverse("schema"),
        reverse("schema") + "?format=json",
        reverse("api-root"),
        reverse("indicators"),
    } <= links


@pytest.mark.parametrize("name", ["swagger-ui", "redoc"])
def test_the_linked_documentation_pages_answer(name):
    assert Client().get(reverse(name)).status_code == 200


def test_search_form_works_without_javascript():
    """Without the script, the form sends ``?search=`` to the company list (the browsable API)."""
    page = Page(get().text)
    form = page.first("form")
    field = next(attributes for tag, attributes in page.tags if tag == "input" and attributes.get("type") == "search")

    assert form["action"] == reverse("company-list") and form["method"] == "get"
    assert field["name"] == "search"
    assert field["id"] == next(attributes["for"] for tag, attributes in page.tags if tag == "label")


def test_live_regions_and_chart_containers_are_in_place():
    page = Page(get().text)
    ids = {attributes.get("id"): attributes for _, attributes in page.tags if attributes.get("id")}

    assert ids["search-status"]["aria-live"] == "polite"
    assert ids["indicators-status"]["aria-live"] == "polite"
    assert ids["search-input"]["role"] == "combobox"
    assert ids["search-input"]["aria-controls"] == "search-suggestions"
    assert ids["search-suggestions"]["role"] == "listbox"
    assert {"revenue-chart", "markets-chart", "categories-chart", "search-results"} <= ids.keys()


def test_only_get_and_head():
    assert Client().head("/").status_code == 200
    assert Client().post("/").status_code == 405


def test_page_language_does_not_leak_into_the_api(db):
    """No LocaleMiddleware: the API answers the same whatever the caller's language."""
    response = Client().get(reverse("autocomplete"), headers={"Accept-Language": "vi"})

    assert response.status_code == 400
    assert response.json() == {"q": ["This field is required."]}
    assert "Content-Language" not in response
