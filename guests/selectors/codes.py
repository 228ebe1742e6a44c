"""Checking codes before anything is changed: visit codes and referral codes (both reads)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

from guests.selectors.load import guest_account
from guests.selectors.scope import Viewer
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import (
    InvalidVisitCodeError,
    MalformedReplyError,
    PaytronixResultError,
)
from portal.paytronix.replies import ReferralCode, VisitCode
from portal.sentences import explain


@dataclass(frozen=True)
class VisitCodeCheck:
    """What a visit code is (store, check, amount, date) and whether it can be applied;
    ``problem`` says why not. ``info`` is set whenever upstream described the code."""

    code: str
    info: VisitCode | None
    problem: str = ""

    @property
    def applicable(self) -> bool:
        return self.info is not None and not self.problem


_CARRIED_SALT = "guests.visit-code-check"
#: How long a check carried in the apply form is shown again (it is the check's, not news).
_CARRIED_SECONDS = 3600


def visit_check_carried(check: VisitCodeCheck, *, account_id: int, viewer_id: int) -> str:
    """The check's description of its code, signed with the code, the account and who
    checked it, for the apply form to carry (``visit_check_carried_back``)."""
    info = check.info
    if info is None:
        return ""
    wire = {
        "storeCode": info.store_code,
        "checkNumber": info.check_number,
        "dollarSpent": None if info.dollar_spent is None else str(info.dollar_spent),
        "checkDate": None if info.check_date is None else info.check_date.isoformat(),
        "normalizedCode": info.normalized_code,
    }
    info_wire = {k: v for k, v in wire.items() if v is not None}
    signed = {"info": info_wire, "code": check.code, "account": account_id, "viewer": viewer_id}
    return signing.dumps(signed, salt=_CARRIED_SALT)


def visit_check_carried_back(
    code: str, carried: str, *, account_id: int, viewer_id: int
) -> VisitCodeCheck | None:
    """The check the apply form carried (``visit_check_carried``), as it was; None if it
    carries none, or one not signed here, too old, or made for another code, account or
    person."""
    if not carried:
        return None
    try:
        data = signing.loads(carried, salt=_CARRIED_SALT, max_age=_CARRIED_SECONDS)
        if (data["code"], data["account"], data["viewer"]) != (code, account_id, viewer_id):
            return None
        return VisitCodeCheck(code=code, info=VisitCode.from_wire(data["info"]))
    except (signing.BadSignature, MalformedReplyError, TypeError, KeyError):
        return None


def visit_code_check(*, viewer: Viewer, account_id: int, code: str) -> VisitCodeCheck:
    """Ask upstream whether ``code`` can be applied to the account, and what it stands for.

    Raises ``PaytronixError`` (transport) and the guest lookup errors; an unusable code is a
    ``VisitCodeCheck`` with a ``problem``.
    """
    guest_account(viewer=viewer, account_id=account_id)
    guest = client_from_settings().guest
    try:
        info = guest.validate_visit_code(code=code, account_id=account_id)
    except InvalidVisitCodeError as error:
        described = error.extra.get("codeInfo")
        return VisitCodeCheck(
            code=code,
            info=VisitCode.from_wire(described) if isinstance(described, dict) else None,
            problem=explain(error),
        )
    except PaytronixResultError as error:
        return VisitCodeCheck(code=code, info=None, problem=explain(error))
    return VisitCodeCheck(code=info.normalized_code or code, info=info)


@dataclass(frozen=True)
class ReferralCodeCheck:
    code: str
    referral: ReferralCode | None
    problem: str = ""


def referral_code_check(*, code: str) -> ReferralCodeCheck:
    """Whose referral code this is (the referrer's name and program), or why it is not valid."""
    try:
        referral = client_from_settings().guest.validate_referral_code(code=code)
    except PaytronixResultError as error:
        return ReferralCodeCheck(code=code, referral=None, problem=explain(error))
    return ReferralCodeCheck(code=code, referral=referral)
