"""The API's HTML pages under the site's Content-Security-Policy (settings.SECURE_CSP), and the little each
needs beyond it. Scripts stay strict everywhere: only this server's files, never inline, never eval.

- Swagger UI (/api/docs/) needs nothing more: drf-spectacular's split view serves its start-up script as a
  file, and its page style carries the nonce (registry/templates/drf_spectacular/swagger_ui.html).
- The browsable API (api/renderers.py) and its sign-in page, below, allow style attributes.
- ReDoc (/api/redoc/) injects its styles at run time (styled-components, and CSS bundled into its script,
  inserted before any nonce can be handed to it), so its page allows inline styles; its search runs in a
  worker made from a ``blob:`` URL.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularRedocView

from .renderers import BROWSABLE_API_CSP

REDOC_CSP = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],  # no nonce here: with one, browsers ignore 'unsafe-inline'
    "worker-src": [CSP.SELF, "blob:"],
}

redoc_view = csp_override(REDOC_CSP)(SpectacularRedocView.as_view(url_name="schema"))

# DRF's rest_framework.urls (session sign-in for the browsable API), with the browsable API's policy.
auth_urlpatterns = (
    [
        path(
            "login/",
            csp_override(BROWSABLE_API_CSP)(auth_views.LoginView.as_view(template_name="rest_framework/login.html")),
            name="login",
        ),
        path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    ],
    "rest_framework",
)
