"""Every action the portal can take, and what the door demands of each: a pure registry.

An action name (``card.disable``) is what the audit log shows and filters on. Its spec says
which permission (``portal/staff/roles.py``) a user needs and whether a reason is required and
from which codes. How the reconciler settles an outcome that stayed ``unknown`` (a function that
reads upstream state back; without one, an unknown outcome is marked for review) is registered
separately, by ``portal.audit.settle`` (``settler_register``), and so is the limit an action may
have (``limit_register``, from the app that knows it), so this module imports no behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from portal.staff.roles import PERMISSIONS

if TYPE_CHECKING:
    from portal.audit.models import AuditRecord
    from portal.audit.types import Settlement, Target
    from portal.staff.models import User

#: ``settle(client, intent, target)``: ``target`` only when the door settles in-process.
SettleFunc = Callable[[Any, "AuditRecord", "Target | None"], "Settlement | None"]
#: ``limit(actor, target, params)``: why ``actor`` may not make this change alone (a sentence
#: for the CSR), or ``""`` when it is within what their role allows.
LimitFunc = Callable[["User", "Target | None", Mapping[str, Any]], str]

#: The settle function of each action that has one (``settler_register``).
SETTLERS: dict[str, SettleFunc] = {}
#: The limit of each action that has one (``limit_register``): checked by the door.
LIMITS: dict[str, LimitFunc] = {}

OTHER = "other"

CARD_DISABLE_REASONS: tuple[tuple[str, str], ...] = (
    ("lost", "Lost"),
    ("stolen", "Stolen"),
    ("damaged", "Damaged"),
    ("guest_request", "Guest request"),
    ("suspected_fraud", "Suspected fraud"),
    (OTHER, "Other (say why)"),
)
CARD_ENABLE_REASONS: tuple[tuple[str, str], ...] = (
    ("found", "Card found"),
    ("guest_request", "Guest request"),
    ("disabled_in_error", "Disabled in error"),
    (OTHER, "Other (say why)"),
)
BALANCE_TRANSFER_REASONS: tuple[tuple[str, str], ...] = (
    ("lost_card", "Card lost or stolen"),
    ("damaged_card", "Card damaged"),
    ("consolidate", "Guest wants one card"),
    ("guest_request", "Guest request"),
    (OTHER, "Other (say why)"),
)
CARD_EXCHANGE_REASONS: tuple[tuple[str, str], ...] = (
    ("lost", "Lost"),
    ("stolen", "Stolen"),
    ("damaged", "Damaged"),
    ("guest_request", "Guest request"),
    (OTHER, "Other (say why)"),
)

AUTO_RECHARGE_DISABLE_REASONS: tuple[tuple[str, str], ...] = (
    ("guest_request", "Guest request"),
    ("unexpected_charge", "Guest did not expect an automatic charge"),
    ("payment_card_lost", "Guest's payment card lost or stolen"),
    (OTHER, "Other (say why)"),
)
PAYMENT_METHOD_REMOVE_REASONS: tuple[tuple[str, str], ...] = (
    ("guest_request", "Guest request"),
    ("payment_card_lost", "Guest's payment card lost or stolen"),
    ("payment_card_replaced", "Guest's payment card expired or replaced"),
    (OTHER, "Other (say why)"),
)

PASSWORD_RESET_REASONS: tuple[tuple[str, str], ...] = (
    ("forgot_password", "The guest forgot their password"),
    ("locked_out", "The guest is locked out"),
    ("link_expired", "An earlier link expired"),
    (OTHER, "Other (say why)"),
)


@dataclass(frozen=True)
class ActionSpec:
    name: str
    label: str
    permission: str
    #: A reason must be given: a code from ``reason_codes`` or, without codes, free text.
    #: The code ``other`` always needs text.
    reason_required: bool = False
    reason_codes: tuple[tuple[str, str], ...] = ()
    #: False for records of work that is not one upstream write (a bulk job, an export).
    upstream: bool = True

    def __post_init__(self) -> None:
        if self.permission not in PERMISSIONS:
            raise ValueError(f"{self.name}: unknown permission {self.permission!r}")

    @property
    def reason_code_labels(self) -> dict[str, str]:
        return dict(self.reason_codes)

    def reason_label(self, code: str) -> str | None:
        """How ``code`` reads to a person ("Goodwill" for ``goodwill``), or None where it is
        not one of this action's codes."""
        return self.reason_code_labels.get(code)

    @property
    def settle(self) -> SettleFunc | None:
        """Reads upstream state to settle an ``unknown`` outcome; None marks it for review."""
        return SETTLERS.get(self.name)

    @property
    def limit(self) -> LimitFunc | None:
        """Says when a change is above what the actor may do alone (the door refuses it)."""
        return LIMITS.get(self.name)


ACTIONS: dict[str, ActionSpec] = {}


def action_register(spec: ActionSpec) -> ActionSpec:
    """Add an action to the registry (module import time; tests may add their own)."""
    if spec.name in ACTIONS and ACTIONS[spec.name] != spec:
        raise ValueError(f"action {spec.name!r} is already registered differently")
    ACTIONS[spec.name] = spec
    return spec


def action_get(name: str) -> ActionSpec:
    try:
        return ACTIONS[name]
    except KeyError:
        raise LookupError(f"no such audited action: {name!r}") from None


def settler_register(action: str, settle: SettleFunc) -> None:
    """Say how an unknown outcome of ``action`` (a registered action) is settled."""
    action_get(action)
    SETTLERS[action] = settle


def limit_register(action: str, limit: LimitFunc) -> None:
    """Give ``action`` (a registered action) a limit the door checks after the permission
    (an app's ``AppConfig.ready()``: the limit may read that app's models)."""
    action_get(action)
    LIMITS[action] = limit


def wallet_adjust_reasons() -> tuple[tuple[str, str], ...]:
    """The reason codes of a wallet adjustment (``WALLET_ADJUST_REASONS``), and Other."""
    return (*settings.WALLET_ADJUST_REASONS, (OTHER, "Other (say why)"))


WALLET_VOID_REASONS: tuple[tuple[str, str], ...] = (
    ("entered_in_error", "Entered in error"),
    ("wrong_guest", "Wrong guest"),
    ("wrong_amount", "Wrong amount"),
    ("guest_request", "Guest request"),
    (OTHER, "Other (say why)"),
)


for _spec in (
    # Cards.
    ActionSpec(
        "card.disable",
        "Disable a card",
        "change_card_status",
        reason_required=True,
        reason_codes=CARD_DISABLE_REASONS,
    ),
    ActionSpec(
        "card.enable",
        "Enable a card",
        "change_card_status",
        reason_required=True,
        reason_codes=CARD_ENABLE_REASONS,
    ),
    ActionSpec(
        "card.attach",
        "Attach a card",
        "attach_cards",
        reason_required=True,
    ),
    ActionSpec(
        "cards.combine",
        "Combine cards",
        "combine_cards",
        reason_required=True,
    ),
    ActionSpec(
        "cards.attach_and_combine", "Attach and combine", "combine_cards", reason_required=True
    ),
    ActionSpec(
        "balance.transfer",
        "Move a balance between cards",
        "transfer_balances",
        reason_required=True,
        reason_codes=BALANCE_TRANSFER_REASONS,
    ),
    ActionSpec(
        "card.exchange",
        "Replace a card (exchange)",
        "exchange_cards",
        reason_required=True,
        reason_codes=CARD_EXCHANGE_REASONS,
    ),
    ActionSpec(
        "bulk.card_status",
        "Bulk card status job",
        "run_bulk_jobs",
        reason_required=True,
        upstream=False,
    ),
    # Stored-value payments (the guest's saved payment methods and auto-recharge).
    ActionSpec(
        "payment.autorecharge.disable",
        "Turn auto-recharge off",
        "manage_payment_methods",
        reason_required=True,
        reason_codes=AUTO_RECHARGE_DISABLE_REASONS,
    ),
    ActionSpec(
        "payment.method.remove",
        "Remove a saved payment method",
        "manage_payment_methods",
        reason_required=True,
        reason_codes=PAYMENT_METHOD_REMOVE_REASONS,
    ),
    # Guests.
    ActionSpec(
        "referrals.add",
        "Add referrals",
        "manage_referrals",
    ),
    ActionSpec("referrals.create_code", "Create a referral code", "manage_referrals"),
    ActionSpec(
        "messaging.frequency",
        "Change message frequency",
        "change_messaging",
        reason_required=True,
    ),
    ActionSpec(
        "language.set",
        "Change language preference",
        "change_messaging",
        reason_required=True,
    ),
    ActionSpec("visit_code.apply", "Apply a visit code", "apply_visit_codes", reason_required=True),
    ActionSpec(
        "account_note.add",
        "Add an account note",
        "add_account_notes",
    ),
    ActionSpec(
        "username.migrate_email",
        "Use email as username",
        "migrate_username",
        reason_required=True,
    ),
    # The guest's details, password and privacy (Enrollment, Guest Management).
    ActionSpec(
        "guest.edit", "Edit the guest's details", "edit_guest_details", reason_required=True
    ),
    ActionSpec(
        "guest.edit_account",
        "Edit the account's fields",
        "edit_guest_details",
        reason_required=True,
    ),
    ActionSpec("guest.address_add", "Add an address", "edit_guest_details", reason_required=True),
    ActionSpec("guest.address_edit", "Edit an address", "edit_guest_details", reason_required=True),
    ActionSpec(
        "guest.address_delete", "Delete an address", "edit_guest_details", reason_required=True
    ),
    ActionSpec(
        "guest.password_reset",
        "Send a password reset email",
        "send_password_reset",
        reason_required=True,
        reason_codes=PASSWORD_RESET_REASONS,
    ),
    ActionSpec(
        "guest.delete",
        "Delete the guest's personal data",
        "request_privacy_deletion",
        reason_required=True,
    ),
    # Balances.
    ActionSpec(
        "wallet.adjust",
        "Adjust a wallet",
        "adjust_wallets",
        reason_required=True,
        reason_codes=wallet_adjust_reasons(),
    ),
    ActionSpec(
        "wallet.void",
        "Void a wallet adjustment",
        "void_adjustments",
        reason_required=True,
        reason_codes=WALLET_VOID_REASONS,
    ),
    # Approvals (portal/approvals): not upstream writes; an approved change is its own record.
    # The reason of a request is the change's own, checked against that change's spec.
    ActionSpec("approval.request", "Ask for approval", "request_approvals", upstream=False),
    ActionSpec(
        "approval.approve",
        "Approve a request",
        "approve_requests",
        reason_required=True,
        upstream=False,
    ),
    ActionSpec(
        "approval.reject",
        "Reject a request",
        "approve_requests",
        reason_required=True,
        upstream=False,
    ),
    ActionSpec(
        "approval.withdraw", "Withdraw a request for approval", "request_approvals", upstream=False
    ),
    # The audit log itself.
    ActionSpec("audit.export", "Export the audit log", "export_audit_log", upstream=False),
    ActionSpec(
        "report.adjustments_export",
        "Export the adjustments report",
        "view_reports",
        upstream=False,
    ),
):
    action_register(_spec)

#: Security events: recorded, never authorised through the registry.
EVENT_LABELS: dict[str, str] = {
    "auth.login": "Logged in",
    "auth.login_failed": "Login failed",
    "auth.logout": "Logged out",
    "auth.lockout": "Locked out",
    "access.denied": "Access denied",
    "audit.view": "Viewed the audit log",
    "report.view": "Viewed a report",
    "job.download": "Downloaded a job file",
    "staff.unlocked": "Unlocked a staff sign-in",
    "staff.created": "Created a staff user",
    "staff.role_changed": "Changed a staff role",
    "staff.store_group_changed": "Changed a staff store group",
    "staff.deactivated": "Deactivated a staff user",
    "staff.reactivated": "Reactivated a staff user",
    "staff.details_changed": "Changed a staff user's details",
    "staff.password_reset": "Reset a staff password",
    "staff.change_refused": "Refused a staff change",
}


#: Records of someone reading, not changing: the audit screen leaves them out by default.
READ_ACTIONS = frozenset({"audit.view", "report.view", "job.download"})


def reason_parts(label: str, code: str, text: str) -> list[str]:
    """A reason as a person reads it, in parts: its code's ``label``, then the words given;
    "Other (say why)" is the form's prompt, not a reason: its words alone say why."""
    shown = "" if code == "other" and text else label
    return [part for part in (shown, text) if part]


def action_label(name: str) -> str:
    spec = ACTIONS.get(name)
    return spec.label if spec else EVENT_LABELS.get(name, name)


def action_choices() -> list[tuple[str, str]]:
    """Every action and event name with its label, for the audit screen's filter."""
    names = {**{name: spec.label for name, spec in ACTIONS.items()}, **EVENT_LABELS}
    return sorted(names.items(), key=lambda item: item[1])
