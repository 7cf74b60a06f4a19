"""Rate limits per anonymous client address, per signed-in user and per API key. The counters live in the
shared cache (settings.CACHES), so a limit holds across worker processes."""

from rest_framework import throttling

from accounts.models import ApiKey


def _uses_api_key(request) -> bool:
    return isinstance(request.auth, ApiKey)


class AnonymousRateThrottle(throttling.AnonRateThrottle):
    scope = "anon"


class UserRateThrottle(throttling.UserRateThrottle):
    """Signed-in users (bearer token or session), not API keys, which have their own limit."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated or _uses_api_key(request):
            return None
        return super().get_cache_key(request, view)


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request, view):
        if not _uses_api_key(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}


class TokenRateThrottle(throttling.AnonRateThrottle):
    """Password attempts at the token endpoint, per client address."""

    scope = "token"
