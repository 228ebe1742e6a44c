"""Typed Paytronix replies. Every class has ``from_wire(dict)``; see ``_wire`` for the rules."""

from .account import (
    AccountFields,
    AccountIdentity,
    AccountInformation,
    BalanceInformation,
    CardInformation,
    CombineResult,
    Expiration,
    ExternalAccount,
    ExternalAccountCards,
    PendingEventReward,
    Perk,
    Store,
)
from .csr import AccountComment
from .enrollment import EnrollmentConfig, EnrollmentField, FieldChoice
from .history import (
    Transaction,
    TransactionAnnotation,
    TransactionDetail,
    TransactionHistory,
    WalletInfo,
)
from .payment import AutoRecharge, Recharge, SavedPaymentMethod
from .referral import BulkReferral, Referral, ReferralCode, ReferralList
from .search import AccountQueryMatch
from .transaction import TransactionReply, WalletQuantity
from .user import (
    AddressInformation,
    RelatedGuest,
    UserAndAccountInformation,
    UserFields,
    UserInformation,
)
from .visit import AddRedeemReply, VisitCode, WalletContent

__all__ = [
    "AccountComment",
    "AccountFields",
    "AccountIdentity",
    "AccountInformation",
    "AccountQueryMatch",
    "AddRedeemReply",
    "AddressInformation",
    "AutoRecharge",
    "BalanceInformation",
    "BulkReferral",
    "CardInformation",
    "CombineResult",
    "EnrollmentConfig",
    "EnrollmentField",
    "Expiration",
    "ExternalAccount",
    "ExternalAccountCards",
    "FieldChoice",
    "PendingEventReward",
    "Perk",
    "Recharge",
    "Referral",
    "ReferralCode",
    "ReferralList",
    "RelatedGuest",
    "SavedPaymentMethod",
    "Store",
    "Transaction",
    "TransactionAnnotation",
    "TransactionDetail",
    "TransactionHistory",
    "TransactionReply",
    "UserAndAccountInformation",
    "UserFields",
    "UserInformation",
    "VisitCode",
    "WalletContent",
    "WalletInfo",
    "WalletQuantity",
]
