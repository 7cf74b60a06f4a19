"""Security headers on every response, and a strict Content-Security-Policy on every page: only this server's
scripts, never inline, no plug-ins, never framed. The API's documentation pages, the browsable API and the
admin work under it (tests/web/test_browser.py checks them in a real browser)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def policy(response) -> dict[str, list[str]]:
    directives = (directive.split() for directive in response["Content-Security-Policy"].split(";"))
    return {name: values for name, *values in directives}


def assert_strict_scripts(response):
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert [value for value in directives["script-src"] if not value.startswith("'nonce-")] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert "unsafe-inline" not in " ".join(directives["script-src"] + directives.get("script-src-elem", []))
    assert "unsafe-eval" not in response["Content-Security-Policy"]


PAGES = {
    "public page": "/",
    "Swagger UI": "/api/docs/",
    "Swagger UI's start-up script": "/api/docs/?script=",
    "ReDoc": "/api/redoc/",
    "schema": "/api/v1/schema/",
    "API (JSON)": "/api/v1/provinces/",
    "unknown URL under /api/ (JSON 404)": "/api/v1/no-such-thing/",
    "unknown URL elsewhere": "/no-such-page/",
    "browsable API sign-in": "/api/auth/login/",
    "admin sign-in": "/admin/login/",
    "admin (redirect to sign-in)": "/admin/",
    "health": "/healthz",
}


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_every_response_has_the_security_headers_and_a_strict_policy(db, path):
    response = Client().get(path)

    assert response.status_code in {200, 302, 404}
    assert {name: response.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert_strict_scripts(response)


@override_settings(WHITENOISE_USE_FINDERS=True)
def test_static_files_have_the_security_headers_too():
    response = Client().get("/static/web/app.js")

    assert response.status_code == 200
    assert {name: response.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert_strict_scripts(response)


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_production_adds_hsts_over_https_and_redirects_plain_http(db):
    assert Client().get("/api/v1/provinces/", secure=True)["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains"
    )
    redirect = Client().get("/api/v1/provinces/?search=x")
    assert redirect.status_code == 301
    assert redirect["Location"] == "https://testserver/api/v1/provinces/?search=x"
    assert {name: redirect.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert_strict_scripts(redirect)


def nonce_of(response) -> str:
    (nonce,) = {value for value in policy(response)["style-src"] if value.startswith("'nonce-")}
    return nonce.removeprefix("'nonce-").removesuffix("'")


def test_the_public_page_needs_no_nonce():
    directives = policy(Client().get("/"))

    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]


def test_swagger_ui_runs_no_inline_script():
    response = Client().get("/api/docs/")
    html = response.content.decode()

    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attributes and not body.strip() for attributes, body in scripts)
    # Its start-up script is a file of its own, from the same view.
    assert '<script src="/api/docs/?script="></script>' in html
    start_up = Client().get("/api/docs/?script=")
    assert start_up.status_code == 200 and start_up["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in start_up.content.decode()
    # The page's own style is allowed by this response's nonce, and only by it.
    assert f'<style nonce="{nonce_of(response)}">' in html
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_redoc_allows_the_styles_it_injects_but_no_inline_script():
    response = Client().get("/api/redoc/")
    directives = policy(response)
    html = response.content.decode()

    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["worker-src"] == ["'self'", "blob:"]  # its search index runs in a worker
    assert directives["script-src"] == ["'self'"]
    assert [body for _, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)] == [""]
    assert "fonts.googleapis.com" not in html and "https://" not in html


def test_the_browsable_api_allows_style_attributes_only(db):
    html_view = Client().get("/api/v1/provinces/", headers={"Accept": "text/html"})
    json_view = Client().get("/api/v1/provinces/")

    assert html_view["Content-Type"].startswith("text/html")
    assert policy(html_view)["style-src-attr"] == ["'unsafe-inline'"]
    assert_strict_scripts(html_view)
    assert "style-src-attr" not in policy(json_view)  # the JSON needs nothing but the site's policy
    assert policy(Client().get("/api/auth/login/"))["style-src-attr"] == ["'unsafe-inline'"]


def test_the_browsable_api_signs_out_without_an_inline_script(db):
    user = get_user_model().objects.create_user("reader")
    client = Client()
    client.force_login(user)

    html = client.get("/api/v1/provinces/", headers={"Accept": "text/html"}).content.decode()

    assert not re.search(r"\son[a-z]+=", html)  # no inline event handler, which the policy would block
    assert re.search(r'<form method="post" action="/api/auth/logout/\?next=/api/v1/provinces/">', html)
    signed_out = client.post("/api/auth/logout/?next=/api/v1/provinces/", {"csrfmiddlewaretoken": "x"})
    assert signed_out.status_code == 302
    assert signed_out["Location"] == "/api/v1/provinces/"
