"""The words of the audit door, with no behaviour: what a change is about (``Target``), why
(``Reason``), where it came from (``AuditContext``), who asked with which form
(``Submission``), and how it went (``MutationResult``, ``Settlement``). Every other audit
module, and every app's services, import these from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from portal.audit.models import Outcome
from portal.middleware import current_request_id
from portal.paytronix.errors import ACCOUNT_SUSPENDED, PaytronixError

if TYPE_CHECKING:
    from portal.audit.models import AuditRecord
    from portal.staff.models import User

MAX_REASON_LENGTH = 1000


@dataclass(frozen=True)
class Target:
    """The guest or card a change is about.

    ``printed_card_number`` is the full number: the record keeps only its last six digits and a
    keyed hash. Where the full number is not at hand (a cached account keeps only the masked
    number and the keyed hash: ``portal.guestcache.codec``), give ``card_hash`` and
    ``card_masked`` instead; a full number, when given, wins. Give every identifier you know:
    each one's cached reads are dropped afterwards. A store-scoped user may change only a
    target whose ``store_group_code`` (from a scoped read) is their own.
    """

    account_id: int | None = None
    printed_card_number: str = field(default="", repr=False)
    card_hash: str = field(default="", repr=False)
    card_masked: str = ""
    username: str = ""
    store_group_code: int | None = None
    merchant_id: int | None = None


@dataclass(frozen=True)
class Reason:
    """Why: a code from the action's ``reason_codes`` and/or free text."""

    code: str = ""
    text: str = ""


@dataclass(frozen=True)
class AuditContext:
    """Where a change came from: built once in the view (``portal.web.audit_context``) and
    handed to the services. Jobs keep the context of the request that queued them."""

    ip: str = ""
    user_agent: str = ""
    request_id: str = ""

    @classmethod
    def ambient(cls) -> AuditContext:
        """The context of work that no request started (a task, the reconciler): only the
        request id, if one is being handled."""
        request_id = current_request_id()
        return cls(request_id="" if request_id == "-" else request_id)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditContext:
        return cls(
            ip=str(data.get("ip", "")),
            user_agent=str(data.get("user_agent", "")),
            request_id=str(data.get("request_id", "")),
        )

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Submission:
    """A change form as submitted: who asks (the staff user), from where, why, and the form's
    idempotency key. A view builds it once (``portal.web.submission_of``); every service that
    makes a change takes it."""

    actor: User
    context: AuditContext
    reason: Reason
    idempotency_key: str


@dataclass(frozen=True)
class MutationResult:
    """What happened to one change: fresh, or the first submit's outcome replayed.

    ``value`` is what ``call`` returned (fresh successes only); ``error`` the client's exception
    (fresh failures only: use it for ``MoreInfoError.fields`` or ``InvalidStatusError``).
    A replay carries the same facts from the records: ``detail`` holds upstream's extra fields
    (``fields`` for more_info, ``accountStatus``/``cardStatus`` for invalid_status).
    ``outcome == "pending"`` means the first submit is still running.
    """

    intent_id: int
    outcome: str
    upstream_result: str = ""
    error_code: str = ""
    error_message: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    transient: bool = False
    replayed: bool = False
    value: Any = None
    error: PaytronixError | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.SUCCEEDED

    @property
    def in_progress(self) -> bool:
        return self.outcome == Outcome.PENDING

    @property
    def account_suspended(self) -> bool:
        """Upstream answered ``accountSuspended`` (a combine's result: nothing moved, the
        guest's main account is suspended for a review)."""
        return self.upstream_result == ACCOUNT_SUSPENDED

    @property
    def fields(self) -> list[str]:
        """The fields upstream asked for (``needs_more_info``)."""
        return [str(name) for name in self.detail.get("fields", [])]

    @classmethod
    def from_record(cls, outcome: AuditRecord, *, replayed: bool) -> MutationResult:
        assert outcome.intent_id is not None
        return cls(
            intent_id=outcome.intent_id,
            outcome=outcome.outcome,
            upstream_result=outcome.upstream_result,
            error_code=outcome.error_code,
            error_message=outcome.error_message,
            detail=dict(outcome.upstream_detail),
            transient=outcome.transient,
            replayed=replayed,
        )


@dataclass(frozen=True)
class Settlement:
    """A settle function's verdict on an unknown outcome, read back from upstream."""

    outcome: Outcome
    message: str
