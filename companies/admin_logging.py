"""Admin edits go through the change log and bump versions, like the API's writes: the audit log and the
change feed know every change, and an API client's ETag goes stale when an administrator edits a record."""

from django.contrib.admin.options import ActionLocation
from django.db.models import F

from registry.context import acting_as

from .changes import is_logged, record_change, snapshot
from .models import ChangeAction


class ChangeLoggedAdminMixin:
    """For a ModelAdmin: log the object's create, change or delete, and those of its inline rows."""

    def save_model(self, request, obj, form, change):
        request._change_log_before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        if change and hasattr(obj, "version"):
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        if change and hasattr(obj, "version"):
            obj.refresh_from_db(fields=["version"])

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # calls save_formset for each inline
        with acting_as(request.user):
            action = ChangeAction.UPDATE if change else ChangeAction.CREATE
            record_change(form.instance, action, before=request._change_log_before)

    def save_formset(self, request, form, formset, change):
        rows = [
            row_form.instance for row_form in formset.forms if row_form.instance.pk and is_logged(row_form.instance)
        ]
        befores = {row.pk: snapshot(row) for row in rows}
        deleted = [row_form.instance for row_form in formset.deleted_forms if row_form.instance.pk in befores]
        with acting_as(request.user):
            for row in deleted:
                record_change(row, ChangeAction.DELETE)
            super().save_formset(request, form, formset, change)
            for row in formset.new_objects:
                if is_logged(row):
                    record_change(row, ChangeAction.CREATE)
            for row, _fields in formset.changed_objects:
                if row.pk in befores:
                    record_change(row, ChangeAction.UPDATE, before=befores[row.pk])

    def delete_model(self, request, obj):
        with acting_as(request.user):
            record_change(obj, ChangeAction.DELETE)
        super().delete_model(request, obj)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)  # bulk deletes would bypass the log: delete one by one
        return actions
