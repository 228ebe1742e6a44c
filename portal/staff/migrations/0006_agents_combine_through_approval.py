"""Agents may combine cards, through a supervisor's approval (settings.COMBINE_APPROVAL_ROLES):
the permission given to the roles portal/staff/roles.py names (the same sync as 0002)."""

from django.db import migrations

from portal.staff.roles import sync_role_groups


def forwards(apps, schema_editor):
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0005_guest_profile_permissions"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
