"""One group per role, holding exactly the permissions portal/staff/roles.py gives it.

Later changes to the role table come with a new migration that runs the same sync.
"""

from django.db import migrations

from portal.staff.roles import sync_role_groups


def forwards(apps, schema_editor):
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
