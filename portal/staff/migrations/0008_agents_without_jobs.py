"""Agents no longer have view_jobs: no job is ever theirs (an agent's combine is a
supervisor's run once approved), so their Jobs page was always empty. Supervisors and auditors
keep it (the same sync as 0002)."""

from django.db import migrations

from portal.staff.roles import sync_role_groups


def forwards(apps, schema_editor):
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0007_combine_without_approval_permission"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
