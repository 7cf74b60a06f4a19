"""The database cache table (settings.CACHES on the embedded default), which holds the rate-limit
counters: created by migration so that a database that is migrated can serve requests. A no-op when the
cache is Redis."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("companies", "0007_change_events")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
