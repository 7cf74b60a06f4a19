"""The "Ministry officers" group: members may verify, reject, suspend and reinstate companies and read
sensitive data. An administrator makes a user an officer by adding them to it (Django admin)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Ministry officers"
CODENAMES = ["verify_company", "view_sensitive_company_data"]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations; create this app's now to attach them.
    app_config = apps.get_app_config("companies")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="companies", codename__in=CODENAMES)
    )


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [("companies", "0005_representatives_contacts_versions"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_group, delete_group)]
