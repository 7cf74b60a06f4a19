"""How callers prove who they are: API keys (third-party apps), bearer tokens (enterprise representatives
and officers) and the session (the browsable API)."""

from rest_framework.authentication import BaseAuthentication, TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_api_key.permissions import KeyParser

from accounts.models import ApiKey


class BearerTokenAuthentication(TokenAuthentication):
    """``Authorization: Bearer <token>``, the token from ``POST /api/v1/auth/token/``."""

    keyword = "Bearer"

    def authenticate_credentials(self, key):
        if not _may_be_a_key(key):
            raise AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)


def _may_be_a_key(text: str) -> bool:
    """Tokens and API keys are ASCII letters and digits (a key: prefix, dot, secret). Anything else is refused
    before the database is asked: PostgreSQL fails on a NUL in a query rather than finding nothing."""
    return text.isascii() and text.replace(".", "").isalnum()


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <key>``: the request acts for the key's owner, with the key's scope."""

    key_parser = KeyParser()

    def authenticate(self, request):
        key = self.key_parser.get(request)
        if not key:
            keyword = request.META.get("HTTP_AUTHORIZATION", "").split(" ")[0]
            if keyword.lower() == self.key_parser.keyword.lower():
                raise AuthenticationFailed("The Api-Key header has no key.")
            return None
        if not _may_be_a_key(key):
            raise AuthenticationFailed("Invalid or revoked API key.")
        try:
            api_key = ApiKey.objects.select_related("owner").get(prefix=key.partition(".")[0], revoked=False)
        except ApiKey.DoesNotExist as error:
            raise AuthenticationFailed("Invalid or revoked API key.") from error
        if not api_key.is_valid(key):
            raise AuthenticationFailed("Invalid or revoked API key.")
        if api_key.has_expired:
            raise AuthenticationFailed("This API key has expired.")
        if not api_key.owner.is_active:
            raise AuthenticationFailed("The owner of this API key is inactive.")
        api_key.mark_used()
        owner = api_key.owner
        owner.acting_through_api_key = True  # this request's user object only: see accounts.roles
        return owner, api_key

    def authenticate_header(self, request):
        return 'Api-Key realm="api", Bearer realm="api"'
