"""Checking codes before anything is changed: visit codes and referral codes (both reads)."""

from __future__ import annotations

from dataclasses import dataclass

from guests.selectors.load import guest_account
from guests.selectors.scope import Viewer
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import InvalidVisitCodeError, PaytronixResultError
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
