"""Signing in (a bearer token for a username and password) and a user's API keys."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.models import ApiKey, ApiKeyScope
from accounts.services import api_key_issue, api_key_revoke

from .input_serializers import StrictInputSerializer
from .parsers import JSONParser
from .schema import ERROR_RESPONSES, WRITE_ERROR_RESPONSES, ErrorSerializer
from .throttles import TokenRateThrottle

TokenSerializer = inline_serializer(name="Token", fields={"token": serializers.CharField()})


class TokenView(ObtainAuthToken):
    """``POST /api/v1/auth/token/`` with ``{"username", "password"}`` answers ``{"token": ...}``; send it as
    ``Authorization: Bearer <token>``. The same token is returned until it is deleted."""

    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        summary="Sign in: a bearer token for a username and password",
        request=AuthTokenSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(ERROR_RESPONSES[400].response, description="Wrong username or password."),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts; retry after Retry-After seconds."),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class SignedInInPerson(BasePermission):
    """A user signed in with a token or session; an API key cannot manage keys."""

    message = "Sign in with a bearer token or session to manage API keys."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and not isinstance(request.auth, ApiKey))


class ApiKeySerializer(serializers.ModelSerializer):
    expires_at = serializers.DateTimeField(source="expiry_date", allow_null=True)

    class Meta:
        model = ApiKey
        fields = ["prefix", "name", "scope", "created", "expires_at", "last_used_at", "revoked"]


class IssuedApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="The key itself, shown this once: only its hash is stored.")

    class Meta(ApiKeySerializer.Meta):
        fields = ["key", *ApiKeySerializer.Meta.fields]


class ApiKeyInput(StrictInputSerializer):
    name = serializers.CharField(max_length=50, help_text="What the key is for, such as the app's name.")
    scope = serializers.ChoiceField(choices=ApiKeyScope.choices, default=ApiKeyScope.READ)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


@extend_schema_view(
    list=extend_schema(summary="Your API keys"),
    create=extend_schema(
        summary="Issue an API key",
        request=ApiKeyInput,
        responses={201: IssuedApiKeySerializer, **WRITE_ERROR_RESPONSES},
    ),
    destroy=extend_schema(
        summary="Revoke an API key",
        responses={204: OpenApiResponse(description="Revoked."), **WRITE_ERROR_RESPONSES},
    ),
)
class ApiKeyViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Third-party apps' keys, each owned by the signed-in user; a write-scope key may change the companies
    its owner represents."""

    serializer_class = ApiKeySerializer
    permission_classes = [SignedInInPerson]
    pagination_class = None
    lookup_field = "prefix"
    lookup_value_regex = r"[A-Za-z0-9]+"  # a key's prefix; anything else is a 404 by its URL
    queryset = ApiKey.objects.none()  # for the schema; get_queryset() restricts to the caller's keys

    def get_queryset(self):
        return ApiKey.objects.filter(owner=self.request.user).order_by("-created")

    def create(self, request, *args, **kwargs):
        data = ApiKeyInput(data=request.data)
        data.is_valid(raise_exception=True)
        api_key, key = api_key_issue(
            owner=request.user,
            name=data.validated_data["name"],
            scope=data.validated_data["scope"],
            expires_at=data.validated_data["expires_at"],
        )
        api_key.key = key
        return Response(IssuedApiKeySerializer(api_key).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        api_key_revoke(api_key=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
