"""What every app's models share."""

from django.core.exceptions import ValidationError
from django.db import models

from .plain_text import stored_text

# The registry records Vietnamese firms: Vietnam is never one of their export markets.
HOME_COUNTRY = "VN"


class TimeStampedModel(models.Model):
    """Abstract base: when a row was created and last changed, and a version that every change through
    the services increments (the API's ETag, so concurrent edits are detected, never silently lost)."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        """Text people type is brought to its stored form first (``registry.plain_text``), so that the
        fields' own rules (length, blank) judge what will be stored."""
        errors = {}
        for field in self._meta.concrete_fields:
            # Plain text only: not choices, codes with their own rules (slugs, URLs, e-mail addresses,
            # countries: subclasses), nor the columns the model maintains itself (search text).
            if type(field) not in (models.CharField, models.TextField) or field.choices or not field.editable:
                continue
            value = getattr(self, field.attname)
            if not isinstance(value, str) or (exclude and field.name in exclude):
                continue
            try:
                setattr(self, field.attname, stored_text(value, multiline=isinstance(field, models.TextField)))
            except ValidationError as error:
                errors[field.name] = error.error_list
        try:
            super().clean_fields(exclude=[*(exclude or ()), *errors])
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


class FoldedSearchTextMixin:
    """For models with folded search columns (see ``registry.search``): ``search_texts()`` returns the
    column values, and they are refreshed on every save. Bulk writers call ``refresh_search_texts()``."""

    def search_texts(self) -> dict[str, str]:
        raise NotImplementedError

    def refresh_search_texts(self) -> set[str]:
        texts = self.search_texts()
        for field_name, value in texts.items():
            setattr(self, field_name, value)
        return set(texts)

    def save(self, *args, **kwargs):
        refreshed = self.refresh_search_texts()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *refreshed}
        super().save(*args, **kwargs)
