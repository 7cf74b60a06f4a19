"""DRF's browsable API under the site's Content-Security-Policy (settings.SECURE_CSP).

DRF's templates use ``style="..."`` attributes for layout, so the browsable API and its sign-in page
(api/html_pages.py) allow style *attributes* (``style-src-attr``), which can neither run code nor load
anything; scripts stay strict, and style elements still need the nonce (registry/templates/rest_framework/
api.html). Kept apart from the views: DRF imports its renderers while it defines APIView.
"""

from django.conf import settings
from django.utils.csp import CSP
from rest_framework import renderers

BROWSABLE_API_CSP = {**settings.SECURE_CSP, "style-src-attr": [CSP.UNSAFE_INLINE]}


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            # What django.views.decorators.csp.csp_override sets, here per response: only the HTML view of
            # an API response gets this policy, its JSON never needs one.
            response._csp_config = BROWSABLE_API_CSP
        return super().render(data, accepted_media_type, renderer_context)
