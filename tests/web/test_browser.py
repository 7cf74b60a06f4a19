"""The public page in a real headless browser (Debian's chromium, driven by Playwright) against the live
server with the seed data: it loads without a console error or a failed request, the search box suggests
and searches, the charts are drawn, and both languages render. A screenshot is left in
``var/test-artefacts/``.

Needs the ``chromium`` Debian package (``apt-get install chromium``); Playwright never downloads a browser
here. Without chromium the tests are skipped, or fail when the ``CI`` environment variable is set.

Playwright's sync API runs an event loop in this thread while it is started, and Django refuses ORM calls
from a thread with a running loop (SynchronousOnlyOperation). So the database is filled *before* Playwright
starts and Playwright is stopped before the database is emptied: the ``browser`` fixture depends on
``seeded``, so it is set up after it and torn down before it. Nothing here touches the ORM while the
browser runs; the live server answers from its own thread.
"""

import io
import os
import shutil
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from seeds.demo import generate_demo_data
from tests.conftest import MISA  # in the seed data: "Công ty Cổ phần MISA", accounting software

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = settings.VAR_DIR / "test-artefacts"
TIMEOUT_MS = 15_000


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def unavailable(reason: str):
    """Skip, or fail under CI (where the browser test must run), saying what to install."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def chromium_executable() -> str:
    """Checked before anything is seeded."""
    executable = chromium_path()
    if executable is None:
        unavailable(
            "chromium is not installed: install Debian's package (apt-get install chromium); "
            "the browser tests drive it and never download a browser"
        )
    return executable


@pytest.fixture
def seeded(request, chromium_executable, live_server, settings):
    """The seed data (sources, categories, the firms of the sources) and, since the sources give no firm's
    export revenue, 60 deterministic demo companies with revenue series, so the charts have figures.
    ``@pytest.mark.parametrize("seeded", ["seed only"], indirect=True)`` leaves the demo companies out.
    The autocomplete's time budget is raised: these tests check what the page does with suggestions, and a
    2-core CI machine running the browser, the server and the tests at once can spend more than the
    production budget (12 ms on PostgreSQL) on a query of a few rows, which then leaves suggestions out
    (tests/registry/test_suggestion_reads.py tests the budget)."""
    settings.SUGGESTION_MILLISECONDS = 2000
    call_command("seed", stdout=io.StringIO())
    if getattr(request, "param", "with demo revenue") != "seed only":
        generate_demo_data(companies=60, seed=1)
    return live_server


class Watch:
    """Everything that went wrong on a page: console errors, uncaught exceptions, failed requests and
    answers with an error status."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.problems.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(f"failed: {request.url} {request.failure}"))
        page.on(
            "response",
            lambda response: response.status >= 400 and self.problems.append(f"HTTP {response.status}: {response.url}"),
        )


@pytest.fixture
def browser(chromium_executable, seeded):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed: pip install -e '.[dev]'")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=chromium_executable, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


def open_page(browser, url: str, locale: str):
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = Watch(page)
    page.goto(url)
    page.wait_for_selector("html[data-indicators='ready']", state="attached")
    return page, watch


def chart_elements(page, chart: str, selector: str) -> int:
    return page.locator(f"#{chart} svg {selector}").count()


def test_public_page_searches_and_draws_the_indicators(browser, seeded):
    started = time.perf_counter()
    page, watch = open_page(browser, seeded.url + "/", locale="vi-VN")

    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").inner_text() == "Doanh nghiệp công nghệ Việt Nam và xuất khẩu"

    # The charts: the revenue line against the target path, the top markets and categories as bars.
    assert chart_elements(page, "revenue-chart", "path.line-total") == 1
    assert chart_elements(page, "revenue-chart", "path.line-required") == 1
    assert chart_elements(page, "revenue-chart", "circle.dot-total") > 1
    assert chart_elements(page, "revenue-chart", "circle.dot-target") == 1
    assert page.locator("#revenue-chart svg").get_attribute("role") == "img"
    assert page.locator("#revenue-chart svg > title").text_content().startswith("Doanh thu xuất khẩu")
    assert page.locator("#revenue-chart table tbody tr").count() > 1  # the figures, for screen readers
    assert chart_elements(page, "markets-chart", "rect.bar-total") > 0
    assert chart_elements(page, "markets-chart", "rect.bar-verified") > 0  # the verified share
    assert chart_elements(page, "categories-chart", "rect.bar-total") > 0
    assert "đã xác minh" in page.locator("#indicator-stats").inner_text()

    # Typing shows suggestions from /api/v1/autocomplete/.
    search = page.locator("#search-input")
    search.press_sequentially("misa", delay=30)
    page.locator("#search-suggestions [data-kind='company']", has_text="Công ty Cổ phần MISA").wait_for()
    assert search.get_attribute("aria-expanded") == "true"
    assert "Công ty Cổ phần MISA" in page.locator("#search-suggestions").inner_text()

    # The keyboard chooses a suggestion, which searches for it.
    search.press("ArrowDown")
    assert search.get_attribute("aria-activedescendant") == "suggestion-0"
    search.press("Enter")
    page.wait_for_selector("#search-results .result")
    assert page.locator("#search-suggestions").is_hidden()

    # Submitting the form shows the results of /api/v1/companies/?search=.
    search.fill("phan mem ke toan")
    page.locator("#search-form button[type='submit']").click()
    # (wait_for_function would evaluate a string, which the page's Content-Security-Policy forbids)
    page.locator("#search-status", has_text="phan mem ke toan").wait_for()
    results = page.locator("#search-results .result")
    assert results.count() > 0
    misa_url = reverse("company-detail", kwargs={"tax_code": MISA})
    assert page.locator(f"#search-results a[href='{misa_url}']").count() == 1  # the company's API URL
    misa = page.locator(f"#search-results .result:has(a[href='{misa_url}'])").inner_text()
    assert "Công ty Cổ phần MISA" in misa and "Thành phố Hà Nội" in misa and MISA in misa  # name, province, code
    assert "khớp với" in page.locator("#search-status").inner_text()

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTEFACTS / "public-page.png", full_page=True)
    assert watch.problems == []
    print(f"browser scenario (vi) took {time.perf_counter() - started:.1f} s")


def test_public_page_in_english_and_back(browser, seeded):
    page, watch = open_page(browser, seeded.url + "/", locale="en-US")  # Accept-Language: en-US

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Vietnam's technology firms and their exports"
    assert page.locator("#revenue-chart svg > title").text_content().startswith("Export revenue by year")
    assert chart_elements(page, "revenue-chart", "path.line-total") == 1
    assert chart_elements(page, "markets-chart", "rect.bar-total") > 0
    assert page.locator("a[href='/api/docs/']").count() == 1

    page.locator("#search-input").fill("viettel")
    page.locator("#search-input").press("Enter")
    page.wait_for_selector("#search-results .result")
    assert "Viettel" in page.locator("#search-results").inner_text()
    assert "match" in page.locator("#search-status").inner_text()

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTEFACTS / "public-page-en.png", full_page=True)

    # The language switcher is a plain link: ?lang=vi wins over the browser's English.
    page.locator("nav a[hreflang='vi']").click()
    page.wait_for_url("**/?lang=vi")
    page.wait_for_selector("html[data-indicators='ready']", state="attached")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert chart_elements(page, "revenue-chart", "path.line-total") == 1
    assert watch.problems == []


@pytest.mark.parametrize("seeded", ["seed only"], indirect=True)
def test_public_page_without_any_revenue(browser, seeded):
    """The seed data alone has export markets but no revenue figure (the sources give none per firm): the
    page says so, and the breakdowns count companies instead."""
    page, watch = open_page(browser, seeded.url + "/?lang=en", locale="en-US")

    assert page.locator("#revenue-chart").inner_text() == "No export revenue is recorded yet."
    assert page.locator("#markets-caption").inner_text() == "Top export markets"
    assert "bars show the number of companies" in page.locator("#markets-chart").inner_text()
    assert chart_elements(page, "markets-chart", "rect.bar-total") > 0
    assert watch.problems == []


# Asked for by the browser itself, not by a page: /favicon.ico (the site has none), and ReDoc's branding image,
# which its script loads from cdn.redoc.ly and the Content-Security-Policy blocks (nothing from a CDN).
NOT_THE_PAGES_OWN = ("/favicon.ico", "https://cdn.redoc.ly/redoc/logo-mini.svg")

API_PAGES = {
    "/api/docs/": ".swagger-ui .opblock",  # Swagger UI, an operation drawn
    "/api/redoc/": "[data-section-id^='tag/companies']",  # ReDoc, an operation drawn
    "/api/v1/": ".response-info",  # the browsable API
    "/api/auth/login/": "#id_username",  # its sign-in page
    "/admin/login/": "#id_username",
}


@pytest.mark.parametrize("seeded", ["seed only"], indirect=True)
def test_api_documentation_and_admin_pages_work_under_the_content_security_policy(browser, seeded):
    """Each page draws its content with no Content-Security-Policy violation, script error or failed request of
    its own."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    problems = {}
    for path, drawn in API_PAGES.items():
        page = context.new_page()
        watch = Watch(page)
        response = page.goto(seeded.url + path)
        assert "default-src 'self'" in response.headers["content-security-policy"]  # Playwright: lower case
        page.locator(drawn).first.wait_for()
        page.wait_for_load_state("networkidle")
        problems[path] = [
            problem
            for problem in watch.problems
            if not any(url in problem for url in NOT_THE_PAGES_OWN)
            # Chromium's echo of a failed request, without its URL; Watch has the request itself, URL and all.
            and not problem.startswith("console: Failed to load resource")
        ]
        page.close()
    context.close()

    assert problems == dict.fromkeys(API_PAGES, [])
