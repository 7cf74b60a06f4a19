"""Writes for accounts: issuing and revoking API keys."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import ApiKey, ApiKeyScope


@transaction.atomic
def api_key_issue(*, owner, name: str, scope: str = ApiKeyScope.READ, expires_at: datetime.datetime | None = None):
    """Create a key; returns ``(api_key, key)``. The plain ``key`` is not stored: show it once."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    api_key = ApiKey(owner=owner, name=name, scope=scope, expiry_date=expires_at)
    api_key.full_clean(exclude=["id", "prefix", "hashed_key"])
    key = ApiKey.objects.assign_key(api_key)
    api_key.save()
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    api_key.revoked = True
    api_key.save(update_fields=["revoked"])
    return api_key
