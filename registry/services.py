"""Helpers that every app's services share."""

from typing import Any

from django.db import models
from django.utils.text import slugify

from .text import fold


def model_update(*, instance: models.Model, fields: list[str], data: dict[str, Any]) -> tuple[models.Model, bool]:
    """Set those of ``fields`` that are in ``data`` and differ, validate with ``full_clean()``, save.

    Returns the instance and whether anything changed. Unknown keys in ``data`` are a programming error.
    """
    unknown = set(data) - set(fields)
    if unknown:
        raise TypeError(f"{type(instance).__name__} has no updatable fields {sorted(unknown)}")
    changed = [name for name in fields if name in data and getattr(instance, name) != data[name]]
    for name in changed:
        setattr(instance, name, data[name])
    if changed:
        instance.full_clean()
        instance.save()
    return instance, bool(changed)


def unique_slug(text: str, *, queryset: models.QuerySet, max_length: int = 100, exclude_pk=None) -> str:
    """An ASCII slug of ``text`` (Vietnamese folded first, so "Đà Nẵng" gives "da-nang") that no row of
    ``queryset`` has yet; a numeric suffix is added on collision."""
    base = slugify(fold(text))[:max_length].strip("-") or "item"
    taken = queryset.exclude(pk=exclude_pk) if exclude_pk is not None else queryset
    candidate, counter = base, 2
    while taken.filter(slug=candidate).exists():
        suffix = f"-{counter}"
        candidate = f"{base[: max_length - len(suffix)]}{suffix}"
        counter += 1
    return candidate
