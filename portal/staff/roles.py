"""Roles and what each may do. The one place that says so: migrations and tests read it.

Permissions are custom permissions of the ``staff`` app (``staff.<codename>``); a role is a
Django group holding a set of them. A staff user has exactly one role.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    STORE_MANAGER = "store_manager"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.AGENT: "CSR agent",
    Role.SUPERVISOR: "CSR supervisor",
    Role.STORE_MANAGER: "Store manager",
    Role.AUDITOR: "Auditor",
    Role.ADMIN: "Administrator",
}

# codename -> description, as stored on the staff.User model's Meta.permissions.
PERMISSIONS: dict[str, str] = {
    "lookup_guests": "Look up guests and read their accounts",
    "change_card_status": "Enable and disable cards",
    "attach_cards": "Attach another card to a guest",
    "combine_cards": "Combine cards and attach-and-combine",
    "combine_without_approval": "Combine cards without a supervisor's approval",
    "run_bulk_jobs": "Run bulk card jobs",
    "manage_referrals": "Add referrals and create referral codes",
    "change_messaging": "Change message frequency and language preference",
    "apply_visit_codes": "Validate and apply visit codes",
    "add_account_notes": "Add account notes",
    "migrate_username": "Use a guest's email address as username",
    "edit_guest_details": "Edit a guest's details and addresses",
    "send_password_reset": "Send a guest a password reset email",
    "request_privacy_deletion": "Request the deletion of a guest's personal data",
    "adjust_wallets": "Adjust a guest's wallets within the role's limits",
    "void_adjustments": "Void one's own wallet adjustments",
    "void_any_adjustment": "Void anyone's wallet adjustments",
    "request_approvals": "Ask a supervisor to approve a change above one's limits",
    "approve_requests": "Approve or reject other people's requests",
    "manage_payment_methods": "Turn auto-recharge off and remove saved payment methods",
    "view_jobs": "See the jobs one started",
    "view_audit_log": "Read the audit log",
    "export_audit_log": "Export the audit log",
    "exchange_cards": "Replace a lost or damaged card (exchange)",
    "transfer_balances": "Move balances from one card to another",
    "view_reports": "Read the reports (adjustments) and export them",
}

_AGENT = {
    "lookup_guests",
    "change_card_status",
    "attach_cards",
    # Without combine_without_approval: an agent's combine is a request a supervisor approves.
    "combine_cards",
    "manage_referrals",
    "change_messaging",
    "apply_visit_codes",
    "add_account_notes",
    "migrate_username",
    "edit_guest_details",
    "send_password_reset",
    "request_privacy_deletion",
    "adjust_wallets",
    "void_adjustments",
    "request_approvals",
    "manage_payment_methods",
    # No view_jobs: every job an agent's work makes is started by someone else (an agent's
    # combine is a supervisor's run once approved), so the Jobs page would stay empty.
    "exchange_cards",
}

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.AGENT: frozenset(_AGENT),
    Role.SUPERVISOR: frozenset(
        _AGENT
        | {
            "combine_without_approval",
            "run_bulk_jobs",
            "view_audit_log",
            "void_any_adjustment",
            "approve_requests",
            "transfer_balances",
            "view_reports",
            "view_jobs",
        }
    ),
    Role.STORE_MANAGER: frozenset({"lookup_guests"}),
    Role.AUDITOR: frozenset({"view_audit_log", "export_audit_log", "view_jobs", "view_reports"}),
    # Admins manage staff in the Django admin; they get no guest or audit access by role.
    Role.ADMIN: frozenset(),
}

# Django's own model permissions an admin needs to manage staff users in the admin site.
ADMIN_MODEL_PERMISSIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("staff", "add_user"),
        ("staff", "change_user"),
        ("staff", "view_user"),
        ("auth", "view_group"),
    }
)


def sync_role_groups(apps: object) -> None:
    """Create or update one group per role with exactly its permissions (migration helper)."""
    group_model = apps.get_model("auth", "Group")  # type: ignore[attr-defined]
    permission_model = apps.get_model("auth", "Permission")  # type: ignore[attr-defined]
    content_type_model = apps.get_model("contenttypes", "ContentType")  # type: ignore[attr-defined]
    user_type, _ = content_type_model.objects.get_or_create(app_label="staff", model="user")
    for codename, name in PERMISSIONS.items():
        permission_model.objects.update_or_create(
            content_type=user_type, codename=codename, defaults={"name": name}
        )
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role.value)
        wanted = list(
            permission_model.objects.filter(content_type=user_type, codename__in=codenames)
        )
        if role is Role.ADMIN:
            for app_label, codename in ADMIN_MODEL_PERMISSIONS:
                model = "group" if codename.endswith("group") else "user"
                ctype, _ = content_type_model.objects.get_or_create(
                    app_label=app_label, model=model
                )
                perm, _ = permission_model.objects.get_or_create(
                    content_type=ctype, codename=codename, defaults={"name": codename}
                )
                wanted.append(perm)
        group.permissions.set(wanted)
