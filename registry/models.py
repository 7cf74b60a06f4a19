"""What every app's models share."""

from django.core.exceptions import ValidationError
from django.db import models

from .plain_text import stored_text, text_fields

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

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        """Keeps the text the row was loaded with, for ``clean_fields``."""
        instance = super().from_db(db, field_names, values, **kwargs)
        loaded = zip(field_names, values, strict=False)
        instance._loaded_text = {name: value for name, value in loaded if isinstance(value, str)}
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        refreshed = {
            field.attname: value
            for field in text_fields(self)
            if fields is None or field.name in fields or field.attname in fields
            if isinstance(value := self.__dict__.get(field.attname), str)
        }
        self._loaded_text = {**getattr(self, "_loaded_text", {}), **refreshed}

    def clean_fields(self, exclude=None):
        """Text people type is brought to its stored form first (``registry.plain_text``), so that the
        fields' own rules (length, blank) judge what will be stored. What ``stored_text`` refuses is refused
        only in text that is new: a row stored before the rules (migrations companies 0014, products 0010
        left such text as it was) can still be edited in its other fields, and the 400 names a field the
        caller sent."""
        errors = {}
        loaded = getattr(self, "_loaded_text", {}) if not self._state.adding else {}
        for field in text_fields(self):
            value = getattr(self, field.attname)
            if not isinstance(value, str) or (exclude and field.name in exclude):
                continue
            try:
                setattr(self, field.attname, stored_text(value, multiline=isinstance(field, models.TextField)))
            except ValidationError as error:
                if field.attname not in loaded or loaded[field.attname] != value:
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
