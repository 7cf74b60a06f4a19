"""Helpers that every app's services share."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.text import slugify

from .exceptions import VersionConflict
from .text import fold


def model_update(*, instance: models.Model, fields: list[str], data: dict[str, Any]) -> tuple[models.Model, list[str]]:
    """Set those of ``fields`` that are in ``data`` and differ, validate with ``full_clean()``, save, and
    bump the version of a versioned model. Returns the instance and the names of the changed fields.
    Unknown keys in ``data`` are a programming error."""
    unknown = set(data) - set(fields)
    if unknown:
        raise TypeError(f"{type(instance).__name__} has no updatable fields {sorted(unknown)}")
    changed = [name for name in fields if name in data and getattr(instance, name) != data[name]]
    for name in changed:
        setattr(instance, name, data[name])
    if changed:
        instance.full_clean()
        if hasattr(instance, "version"):
            instance.version += 1
        instance.save()
    return instance, changed


def insert_or_refuse(instance: models.Model, message: str) -> None:
    """Save a new row; when a concurrent request inserted a conflicting one since ``full_clean()`` checked,
    the unique constraint refuses it and the caller gets a 400 with ``message`` instead of a 500."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        raise ValidationError(message, code="unique") from error


def lock_for_update(instance: models.Model, *, expected_version: int | None = None) -> models.Model:
    """The row of ``instance`` re-read and locked (``SELECT ... FOR UPDATE``) until the transaction ends,
    so concurrent writers go one after the other; ``VersionConflict`` when the caller expected another
    version (it read the record before someone else changed it). Call inside ``transaction.atomic``."""
    locked = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    if expected_version is not None and locked.version != expected_version:
        raise VersionConflict(locked.version)
    return locked


def bump_version(model: type[models.Model], pk) -> None:
    """Mark an aggregate changed (its ETag changes) when one of its parts changed."""
    model._default_manager.filter(pk=pk).update(version=models.F("version") + 1)


def unique_slug(
    text: str, *, queryset: models.QuerySet, max_length: int = 100, exclude_pk=None, field: str = "slug"
) -> str:
    """An ASCII slug of ``text`` (Vietnamese folded first, so "Đà Nẵng" gives "da-nang") that no row of
    ``queryset`` has yet in ``field``; a numeric suffix is added on collision."""
    base = slugify(fold(text))[:max_length].strip("-") or "item"
    taken = queryset.exclude(pk=exclude_pk) if exclude_pk is not None else queryset
    candidate, counter = base, 2
    while taken.filter(**{field: candidate}).exists():
        suffix = f"-{counter}"
        candidate = f"{base[: max_length - len(suffix)]}{suffix}"
        counter += 1
    return candidate
