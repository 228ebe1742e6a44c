"""The permission to turn auto-recharge off and remove saved payment methods (agents and
supervisors), and the role groups synced again from portal/staff/roles.py."""

from django.db import migrations

from portal.staff.roles import sync_role_groups


def forwards(apps, schema_editor):
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0002_role_groups"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "permissions": [
                    ("lookup_guests", "Look up guests and read their accounts"),
                    ("change_card_status", "Enable and disable cards"),
                    ("attach_cards", "Attach another card to a guest"),
                    ("combine_cards", "Combine cards and attach-and-combine"),
                    ("run_bulk_jobs", "Run bulk card jobs"),
                    ("manage_referrals", "Add referrals and create referral codes"),
                    ("change_messaging", "Change message frequency and language preference"),
                    ("apply_visit_codes", "Validate and apply visit codes"),
                    ("add_account_notes", "Add account notes"),
                    ("migrate_username", "Use a guest's email address as username"),
                    (
                        "manage_payment_methods",
                        "Turn auto-recharge off and remove saved payment methods",
                    ),
                    ("view_jobs", "See the jobs one started"),
                    ("view_audit_log", "Read the audit log"),
                    ("export_audit_log", "Export the audit log"),
                ],
                "verbose_name": "user",
                "verbose_name_plural": "users",
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
