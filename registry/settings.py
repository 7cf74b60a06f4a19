"""Settings, all read from the environment.

The defaults are the embedded development run: SQLite in ``var/``, DEBUG off, local hosts only.
Production sets at least ``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DATABASE_URL`` (PostgreSQL).
"""

import os
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

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


DEBUG = env_bool("DEBUG", False)

# The development key only works for the embedded default; set SECRET_KEY anywhere else.
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-set-SECRET_KEY-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

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
    "accounts",
    "companies",
    "products",
    "seeds",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
elif (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get("DATABASE_JIT", "off") == "off"
):
    # PostgreSQL's JIT compiles the plan of every costly query: 0.5 s of the 1.5 s the category breakdown
    # of the indicators takes at 100,000 companies, for no gain on queries this short. DATABASE_JIT=on keeps it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
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
# Serve static files straight from the apps when collectstatic has not run (development, tests).
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)

# Shared cache: rate-limit counters live here, so limits hold across worker processes and servers.
# Redis when REDIS_URL is set (production); otherwise a database table (`manage.py createcachetable`).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "registry_cache"}}

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

# Autocomplete (/api/v1/autocomplete/): on PostgreSQL, each of its later tiers of matches is given up past
# this many milliseconds (0: no limit), so that a search box is answered at once (registry/search.py).
SUGGESTION_TIER_MILLISECONDS = int(os.environ.get("SUGGESTION_TIER_MILLISECONDS", "80"))

# Resolution 57 indicators (/api/v1/indicators/). The national target is a policy parameter, not a figure of
# the code: overseas revenue of Vietnam's digital technology firms of USD 100 billion by 2035 (Ministry of
# Information and Communications, New Year meeting of 22 January 2025; seed source below, by its key).
EXPORT_TARGET_USD = Decimal(os.environ.get("EXPORT_TARGET_USD", "100000000000"))  # USD
EXPORT_TARGET_YEAR = int(os.environ.get("EXPORT_TARGET_YEAR", "2035"))
EXPORT_TARGET_SOURCE = os.environ.get("EXPORT_TARGET_SOURCE", "mic-2025-new-year-meeting-self-reliance")
# The trend is the compound growth over this many years up to the latest year with figures.
EXPORT_TREND_YEARS = int(os.environ.get("EXPORT_TREND_YEARS", "5"))
# Indicators are computed from the registry when asked and kept this long in the shared cache (0: never).
INDICATORS_CACHE_SECONDS = int(os.environ.get("INDICATORS_CACHE_SECONDS", "60"))
# Unverified revenue figures are not public: an indicator leaves out the unverified part of a figure that
# fewer than this many companies' unverified figures make up, so that no indicator tells one of them.
INDICATORS_MIN_UNVERIFIED_COMPANIES = int(os.environ.get("INDICATORS_MIN_UNVERIFIED_COMPANIES", "3"))

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
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
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
