"""The exchange, balance transfer and reports permissions, and the role groups synced again
(0002's rule: a change to the role table comes with a migration that runs the sync). It follows
both 0003 migrations (payments; wallet adjustments and approvals), which were made apart."""

from django.db import migrations

from portal.staff.roles import sync_role_groups


def forwards(apps, schema_editor):
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0003_manage_payment_methods"),
        ("staff", "0003_wallet_and_approval_permissions"),
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
                    ("adjust_wallets", "Adjust a guest's wallets within the role's limits"),
                    ("void_adjustments", "Void one's own wallet adjustments"),
                    ("void_any_adjustment", "Void anyone's wallet adjustments"),
                    (
                        "request_approvals",
                        "Ask a supervisor to approve a change above one's limits",
                    ),
                    ("approve_requests", "Approve or reject other people's requests"),
                    (
                        "manage_payment_methods",
                        "Turn auto-recharge off and remove saved payment methods",
                    ),
                    ("view_jobs", "See the jobs one started"),
                    ("view_audit_log", "Read the audit log"),
                    ("export_audit_log", "Export the audit log"),
                    ("exchange_cards", "Replace a lost or damaged card (exchange)"),
                    ("transfer_balances", "Move balances from one card to another"),
                    ("view_reports", "Read the reports (adjustments) and export them"),
                ],
                "verbose_name": "user",
                "verbose_name_plural": "users",
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
