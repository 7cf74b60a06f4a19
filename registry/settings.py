"""Settings, all read from the environment.

The defaults are the embedded development run: SQLite in ``var/``, DEBUG off, local hosts only.
Production sets ``REGISTRY_ENV=production``, which refuses to start without ``SECRET_KEY`` and ``ALLOWED_HOSTS``,
and should set ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (README, "Running in production").
Names imported here are lower case, or aliased so: every upper-case name of this module becomes a setting.
"""

import os
import re
from decimal import Decimal
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP as csp

from registry.logging_config import FORMATS as log_formats
from registry.logging_config import log_format_from, logging_config
from registry.replicas import replica_databases

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("REGISTRY_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# REGISTRY_ENV=production: the service refuses to start without its own SECRET_KEY and ALLOWED_HOSTS, and
# HTTPS is the rule (secure cookies, HSTS, the redirect; see "HTTPS" below). DEBUG stays off either way
# unless DEBUG=true.
REGISTRY_ENV = os.environ.get("REGISTRY_ENV", "development")
if REGISTRY_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"REGISTRY_ENV must be 'development' or 'production', got {REGISTRY_ENV!r}")
PRODUCTION = REGISTRY_ENV == "production"

DEBUG = env_bool("DEBUG", False)

# The development key only works for the embedded default; set SECRET_KEY anywhere else.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
if PRODUCTION:
    # The rule `manage.py check --deploy` applies (security.W009), enforced rather than warned about.
    from django.core.checks.security import base as security_checks

    how_to_make_a_key = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            f"REGISTRY_ENV=production needs SECRET_KEY set to a random value; {how_to_make_a_key}"
        )
    min_length = security_checks.SECRET_KEY_MIN_LENGTH
    min_unique = security_checks.SECRET_KEY_MIN_UNIQUE_CHARACTERS
    insecure_prefix = security_checks.SECRET_KEY_INSECURE_PREFIX
    if len(SECRET_KEY) < min_length or len(set(SECRET_KEY)) < min_unique or SECRET_KEY.startswith(insecure_prefix):
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak for REGISTRY_ENV=production (fewer than {min_length} characters, fewer than "
            f"{min_unique} different ones, or Django's '{insecure_prefix}' prefix); {how_to_make_a_key}"
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "REGISTRY_ENV=production needs ALLOWED_HOSTS: the host names the service answers to, comma-separated "
            "(e.g. ALLOWED_HOSTS=registry.example.vn)"
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "treebeard",
    "corsheaders",
    "accounts",
    "companies",
    "products",
    "seeds",
    "web",
]

MIDDLEWARE = [
    # First, so that every response has its X-Request-ID and every request its access-log line.
    "registry.request_id.RequestIdMiddleware",
    # Outside SecurityMiddleware, so that its redirects to HTTPS carry these headers too, and before
    # WhiteNoise, so that static files do.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that could read a request body: one over REQUEST_BODY_MAX_BYTES is refused unread (413).
    "api.middleware.RequestBodyLimitUnderApiMiddleware",
    # Before anything that reads the database: where each request's reads go (registry/db_routers.py).
    "registry.db_routers.ReplicaRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "api.middleware.JsonErrorsUnderApiMiddleware",
]

ROOT_URLCONF = "registry.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # registry/templates overrides third-party templates (e.g. the ReDoc page, without its CDN fonts).
        "DIRS": [BASE_DIR / "registry" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",  # {{ csp_nonce }} for the pages' own <style>
            ],
        },
    },
]

WSGI_APPLICATION = "registry.wsgi.application"
ASGI_APPLICATION = "registry.asgi.application"

# DATABASE_URL, e.g. postgres://user@127.0.0.1:5432/registry; default: SQLite in var/.
if not os.environ.get("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'registry.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers wait for each other (BEGIN IMMEDIATE, up to 20 s) instead of failing with
    # "database is locked"; WAL lets readers go on while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    # The covering indexes' extra columns (for PostgreSQL's index-only reads, registry.search) are left out on
    # SQLite, which has no such indexes: the index on the key columns is what it needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Planner settings of this app's connections (run-time parameters: -c name=value).
    _planner = {
        # PostgreSQL's JIT compiles the plan of every costly query: 0.5 s of the 1.5 s the category breakdown
        # of the indicators takes at 100,000 companies, for no gain on queries this short. DATABASE_JIT=on
        # keeps it.
        "jit": os.environ.get("DATABASE_JIT", "off"),
        # Parallel workers only for queries that cost ten times PostgreSQL's default: a page of a list walks an
        # index for a few milliseconds, and starting workers for it made it slower (the product list by
        # category and market: 9 ms without them, 29 ms with two); the aggregates over the whole registry
        # (facets, markets, the indicators) still get them.
        "parallel_setup_cost": os.environ.get("DATABASE_PARALLEL_SETUP_COST", "10000"),
    }
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = " ".join(
        f"-c {name}={value}" for name, value in _planner.items()
    )
# Read replicas: DATABASE_REPLICA_URLS, comma-separated URLs of PostgreSQL streaming replicas of DATABASE_URL,
# become the databases replica_1, replica_2, ... with the primary's options. registry/db_routers.py sends reads
# there, and writes, migrations and the reads of a caller that has just written to the primary.
_replicas = replica_databases(env_list("DATABASE_REPLICA_URLS", ""), primary=DATABASES["default"])
DATABASES.update(_replicas)
DATABASE_REPLICAS = list(_replicas)
DATABASE_ROUTERS = ["registry.db_routers.PrimaryReplicaRouter"]
# After a caller writes, the primary's WAL position is kept in the shared cache (keyed on an HMAC of the
# credentials it presents) for this many seconds: until its replica has replayed that position, the caller's
# reads go to the primary, so it sees its own writes whatever the lag, and it goes back to the replica as soon
# as the replica has caught up. Past this lifetime the caller reads its replica again, caught up or not: keep it
# well above the replicas' worst lag. 0: off (a caller's next request may miss its own write).
DATABASE_REPLICA_STICKY_SECONDS = int(os.environ.get("DATABASE_REPLICA_STICKY_SECONDS", "60"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("vi", "Tiếng Việt")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the apps when collectstatic has not run (development, tests). Production
# serves what `collectstatic` put in STATIC_ROOT (compressed), run at each deploy.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", not PRODUCTION)

# Shared cache: rate-limit counters live here, so limits hold across worker processes and servers.
# Redis when REDIS_URL is set (production); otherwise a database table (`manage.py createcachetable`).
# CACHE_KEY_PREFIX starts every key, so that deployments (or benchmark runs) sharing one Redis do not read each
# other's entries.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "registry.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "registry_cache"}}
CACHES["default"]["KEY_PREFIX"] = os.environ.get("CACHE_KEY_PREFIX", "")

# Rate limits, as DRF rates ("120/min", "5000/hour"): per anonymous client address, per signed-in user, and
# per API key. Over the limit: 429 with Retry-After.
THROTTLE_RATES = {
    "anon": os.environ.get("THROTTLE_ANON", "120/min"),
    "user": os.environ.get("THROTTLE_USER", "600/min"),
    "api_key": os.environ.get("THROTTLE_API_KEY", "1200/min"),
    "token": os.environ.get("THROTTLE_TOKEN", "10/min"),
}

# The change feed holds back its newest events this many seconds, so that a write committed late (a long
# transaction) never lands behind a cursor a client has already read past.
CHANGE_FEED_SETTLE_SECONDS = float(os.environ.get("CHANGE_FEED_SETTLE_SECONDS", "2"))

# CSV and XLSX exports of the lists (api/exports.py) refuse, with 400, a query matching more rows than this
# (XLSX holds at most 1,048,575 rows; a full copy of the registry is the change feed's job).
EXPORT_MAX_ROWS = int(os.environ.get("EXPORT_MAX_ROWS", "200000"))

# Request bodies larger than this many bytes are refused with 413 before they are read (Django checks the
# Content-Length; a body without one is not read at all under WSGI). The largest body the API takes, a
# company with both descriptions at their 20,000-character limit, is under 300 KB even fully \u-escaped.
REQUEST_BODY_MAX_BYTES = int(os.environ.get("REQUEST_BODY_MAX_BYTES", str(1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES

# Autocomplete (/api/v1/autocomplete/): on PostgreSQL, the later tiers of company matches of one request get
# this many milliseconds together, and those of product matches as many; a tier past them is given up with
# what the earlier ones found (0: no limit), so that a search box is answered at once (registry/search.py).
# At 100,000 companies, 12 ms keep about 88% of the suggestions an unlimited search finds (p99: 36 ms, bench/).
SUGGESTION_MILLISECONDS = int(os.environ.get("SUGGESTION_MILLISECONDS", "12"))
# Search (registry/search.py), on PostgreSQL: how long a capped count of search results may first scan the
# table before the trigram indexes count them (how that went is remembered in the shared cache, and that
# search's next scan gets as long as the indexes took, or none), and how long one rank of results may be read
# as PostgreSQL plans it before it is read another way (the way that read it is remembered too; 0: no
# limit). Milliseconds of wall time, so a slower machine gets through fewer rows in them: the README's
# benchmark section says what other values did.
SEARCH_COUNT_SCAN_MILLISECONDS = int(os.environ.get("SEARCH_COUNT_SCAN_MILLISECONDS", "12"))
SEARCH_RANK_WALK_MILLISECONDS = int(os.environ.get("SEARCH_RANK_WALK_MILLISECONDS", "30"))
# A rank of results that PostgreSQL reads from the name's covering index alone is read so for this long, then
# through the trigram indexes for as long (they find a phrase no name has at once, where the index alone reads
# every name), then from the index alone with no limit; the way that answered is remembered (0: at once).
SEARCH_RANK_INDEX_ALONE_MILLISECONDS = int(os.environ.get("SEARCH_RANK_INDEX_ALONE_MILLISECONDS", "10"))

# Resolution 57 indicators (/api/v1/indicators/). The national target is a policy parameter, not a figure of
# the code: overseas revenue of Vietnam's digital technology firms of USD 100 billion by 2035 (Ministry of
# Information and Communications, New Year meeting of 22 January 2025; seed source below, by its key).
EXPORT_TARGET_USD = Decimal(os.environ.get("EXPORT_TARGET_USD", "100000000000"))  # USD
EXPORT_TARGET_YEAR = int(os.environ.get("EXPORT_TARGET_YEAR", "2035"))
EXPORT_TARGET_SOURCE = os.environ.get("EXPORT_TARGET_SOURCE", "mic-2025-new-year-meeting-self-reliance")
# The trend is the compound growth over this many years up to the latest year with figures.
EXPORT_TREND_YEARS = int(os.environ.get("EXPORT_TREND_YEARS", "5"))
# Indicators, and the markets' counts (/api/v1/markets/), are computed from the registry when asked and kept
# this long in the shared cache (0: never).
INDICATORS_CACHE_SECONDS = int(os.environ.get("INDICATORS_CACHE_SECONDS", "60"))
# Facet counts (?facets= on the company and product lists) are kept this long in the shared cache, for
# every caller who filters the same rows (0: counted on every request).
FACETS_CACHE_SECONDS = int(os.environ.get("FACETS_CACHE_SECONDS", "60"))
# That the filters of a company or product list match more than the count's limit (1,000) is kept this long in
# the shared cache, for every caller who filters the same rows; they are not counted again meanwhile (0:
# counted on every request). Counts under the limit are always read.
CAPPED_COUNT_CACHE_SECONDS = int(os.environ.get("CAPPED_COUNT_CACHE_SECONDS", "60"))
# Unverified revenue figures are not public: an indicator leaves out the unverified part of a figure that
# fewer than this many companies' unverified figures make up, so that no indicator tells one of them.
INDICATORS_MIN_UNVERIFIED_COMPANIES = int(os.environ.get("INDICATORS_MIN_UNVERIFIED_COMPANIES", "3"))

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "api.renderers.BrowsableAPIRenderer",  # under the site's Content-Security-Policy
    ],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ReadOnlyOrRegistryWriter"],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttles.AnonymousRateThrottle",
        "api.throttles.UserRateThrottle",
        "api.throttles.ApiKeyRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    # How many reverse proxies in front of the app append to X-Forwarded-For. 0: the client address is the
    # connection's own, so a forged X-Forwarded-For can neither dodge a limit nor throttle someone else.
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "0")),
    "DEFAULT_FILTER_BACKENDS": ["api.filtering.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "api.autoschema.RegistryAutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Make in Vietnam enterprise registry API",
    "DESCRIPTION": (
        "Vietnam's domestic technology firms, their products and the foreign markets they export to. "
        "Search is accent- and case-insensitive Vietnamese (`da nang` finds “Đà Nẵng”). "
        "Every invalid filter value is answered with 400 and a JSON body naming the parameter."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The default hook, then: an object answered with `fields` may lack any field (api/field_selection.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.field_selection.postprocess_schema",
    ],
    # Tags and operation ids from the resource, not the version: companies_list, products_retrieve, ...
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "ENUM_NAME_OVERRIDES": {
        "ForeignCountryEnum": "registry.filters.FOREIGN_COUNTRY_CHOICES",
        "MarketKindEnum": "companies.models.MarketKind",
        # The constant ``kind`` of each autocomplete suggestion (api/autocomplete.py).
        "CompanySuggestionKindEnum": [("company", "company")],
        "ProductSuggestionKindEnum": [("product", "product")],
    },
}

# --- HTTPS, security headers, CORS --------------------------------------------------------------------------
# In production, HTTPS only: cookies never sent in clear, HSTS (a year, subdomains, preload: what
# `check --deploy` asks for), and plain-HTTP requests redirected, except the health probes. Behind a reverse
# proxy that terminates TLS, set SECURE_PROXY_SSL_HEADER to the header it sets (X-Forwarded-Proto), or the
# redirect loops; SECURE_SSL_REDIRECT=false where the proxy redirects itself.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
if proxy_ssl_header := os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip():
    if not re.fullmatch(r"[A-Za-z0-9-]+", proxy_ssl_header):
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER must be a header name, e.g. X-Forwarded-Proto, got {proxy_ssl_header!r}"
        )
    # Trusted only because the proxy overwrites it: never set this when clients reach the app directly.
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + proxy_ssl_header.upper().replace("-", "_"), "https")
# Origins (https://registry.example.vn) from which the admin's and the browsable API's forms may be posted,
# when the proxy changes the host or scheme the app sees.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Django's defaults, stated because the tests hold every response to them.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy of every page (django.middleware.csp): everything from this server, no inline
# script, no plug-ins, never framed. A page's own <style> or <script> carries {{ csp_nonce }}; the nonce is in
# the header only when a page used it. Pages that need more say so themselves (api/html_pages.py, api/renderers.py).
SECURE_CSP = {
    "default-src": [csp.SELF],
    "script-src": [csp.SELF, csp.NONCE],
    "style-src": [csp.SELF, csp.NONCE],
    "img-src": [csp.SELF, "data:"],
    "connect-src": [csp.SELF],
    "object-src": [csp.NONE],
    "base-uri": [csp.NONE],
    "form-action": [csp.SELF],
    "frame-ancestors": [csp.NONE],
}

# CORS (django-cors-headers), for third-party browser apps calling the API: only under /api/, only from the
# origins listed (https://app.example.vn,https://other.example; default none). No cookies cross-origin:
# such apps authenticate with an Authorization header (Api-Key or Bearer).
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "")
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_HEADERS = [*default_cors_headers, "if-match", "if-none-match", "x-request-id"]
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "X-Request-ID", "Content-Disposition"]

# --- Logging -------------------------------------------------------------------------------------------------
# LOG_FORMAT=json (the default in production): one JSON object a line, with the request id; text otherwise.
LOG_FORMAT = log_format_from(os.environ)
if LOG_FORMAT not in log_formats:
    raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(log_formats)}, got {LOG_FORMAT!r}")
LOGGING = logging_config(
    log_format=LOG_FORMAT,
    level=os.environ.get("LOG_LEVEL", "INFO"),
    gunicorn_access_log=bool(os.environ.get("GUNICORN_ACCESS_LOG")),
)
