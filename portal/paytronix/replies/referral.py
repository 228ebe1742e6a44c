"""Referrals and referral codes (spec "Reply Objects": UserReferralFields, BulkReferralFields)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._wire import WireModel, enumerated


@dataclass(frozen=True)
class Referral(WireModel):
    """A referral the guest sent by email. ``status``: see ``REFERRAL_STATUSES``."""

    email: str | None = None
    status: str | None = field(default=None, metadata=enumerated())
    reward: str | None = None


@dataclass(frozen=True)
class BulkReferral(WireModel):
    """A bulk referral: ``detail`` is a masked card number or the referent's name."""

    detail: str | None = None
    status: str | None = field(default=None, metadata=enumerated())
    reward: str | None = None


@dataclass(frozen=True)
class ReferralList(WireModel):
    """The referrals of an account and how many more it may send."""

    number_of_available_user_referrals: int | None = None
    user_referrals: list[Referral] = field(default_factory=list)
    bulk_referrals: list[BulkReferral] = field(default_factory=list)


@dataclass(frozen=True)
class ReferralCode(WireModel):
    """A referral code and its referrer; ``url`` only when the code was just created."""

    code: str | None = None
    name: str | None = None
    card_template_code: int | None = None
    url: str | None = None
