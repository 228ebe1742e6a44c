"""The changes a CSR makes on the guest page, each one audited write through the door
(``portal.audit.outcome.change_run``), each answering a ``ChangeOutcome``.

Every service takes the staff user (``actor``) and the ``AuditContext`` the view built, reads
the account first with the CSR's scope (the door's store-group check and the target come from
it), and watches for a change upstream shows later (``guests.pending``). ``PermissionDenied``
and ``ValidationError`` (a missing reason, a reused form) come from the door before anything is
sent; ``ChangeRefusedError`` says a change cannot be asked for at all (an anonymous card has no
username to change the language of).
"""

from guests.services.account import ChangeRefusedError
from guests.services.notes import account_note_add
from guests.services.preferences import language_change, message_frequency_change, username_migrate
from guests.services.referrals import referral_code_create, referrals_add
from guests.services.visits import visit_code_apply

__all__ = [
    "ChangeRefusedError",
    "account_note_add",
    "language_change",
    "message_frequency_change",
    "referral_code_create",
    "referrals_add",
    "username_migrate",
    "visit_code_apply",
]
