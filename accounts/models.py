"""Who may use the API: API keys for third-party apps (users and roles are Django's own)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from rest_framework_api_key.models import AbstractAPIKey


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read, and write the owner's companies"


class ApiKey(AbstractAPIKey):
    """A third-party app's key. Only a hash is stored (djangorestframework-api-key); the key is shown once.

    ``name``, ``expiry_date`` and ``revoked`` come from the library; the key acts for its ``owner`` with
    the rights of ``scope``.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    scope = models.CharField(max_length=10, choices=ApiKeyScope.choices, default=ApiKeyScope.READ)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    @property
    def can_write(self) -> bool:
        return self.scope == ApiKeyScope.WRITE

    def is_usable(self) -> bool:
        return not self.revoked and not self.has_expired

    def mark_used(self) -> None:
        """Record the use, at most once a minute per key so a busy app costs one write a minute."""
        now = timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() >= 60:
            ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
