"""Load the 34 provincial-level units in force since 1 July 2025 from the vietnam-provinces library.

Reference data the schema relies on (every company has a province), so it is loaded by migration and is
therefore present in every database, tests included. Rerunning updates names; it never deletes.
"""

from django.db import migrations


def load_provinces(apps, schema_editor):
    from vietnam_provinces import Province as LibraryProvince

    from companies.provinces import province_code

    Province = apps.get_model("companies", "Province")
    for unit in LibraryProvince.iter_all():
        Province.objects.update_or_create(
            code=province_code(unit),
            defaults={
                "name": unit.name,
                "codename": unit.codename,
                "division_type": str(unit.division_type.value),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("companies", "0001_initial")]
    operations = [migrations.RunPython(load_provinces, migrations.RunPython.noop)]
