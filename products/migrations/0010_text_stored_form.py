"""Rows written before the text rules (registry/plain_text.py) brought to the stored form: NFC, and in one-line
fields no invisible characters or surrounding space. Text the rules refuse (a control character, ...) is left
as it was and logged; ``TimeStampedModel.clean_fields`` refuses it only in text an edit changes. Without
this, an old row would be rewritten by its next edit anyway, and until then not match what is looked up in
stored form (``source_cite``: a title in decomposed Unicode)."""

import logging

from django.db import migrations

from registry.plain_text import bring_rows_to_stored_form

logger = logging.getLogger("registry.migrations")

MODELS = ["Product"]


def forwards(apps, schema_editor):
    for name in MODELS:
        bring_rows_to_stored_form(apps.get_model("products", name), using=schema_editor.connection.alias, logger=logger)


class Migration(migrations.Migration):
    dependencies = [("products", "0009_search_name_bytewise")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
