"""The changes a CSR makes on the guest page, each through the audit door (``door``).

``PermissionDenied`` and ``ValidationError`` (a missing reason, a reused form) come from the
door before anything is sent; views show them. ``ChangeRefusedError`` says a change cannot be
asked for at all (an anonymous card has no username to change the language of).
"""

from guests.services.door import ChangeRefusedError, ChangeResult
from guests.services.notes import account_note_add
from guests.services.preferences import language_change, message_frequency_change, username_migrate
from guests.services.referrals import referral_code_create, referrals_add
from guests.services.visits import visit_code_apply

__all__ = [
    "ChangeRefusedError",
    "ChangeResult",
    "account_note_add",
    "language_change",
    "message_frequency_change",
    "referral_code_create",
    "referrals_add",
    "username_migrate",
    "visit_code_apply",
]
