"""What an audit record is made of, and the writers every other module uses.

``Target``, ``Reason`` and ``AuditContext`` describe a change; ``MutationResult`` is what the
door answers. ``outcome_record`` and ``event_record`` append records; the door itself (permission,
reason, idempotency, the upstream call) is in ``portal.audit.services``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from portal.audit.chain import chain_append, chain_lock
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.scrub import card_hash, card_mask, params_scrub, text_scrub
from portal.guestcache import guest_cache_invalidate
from portal.middleware import current_request_id
from portal.paytronix.errors import PaytronixError

_MAX_DETAIL_CHARS = 8000


@dataclass(frozen=True)
class Target:
    """The guest or card a change is about.

    ``printed_card_number`` is the full number: the record keeps only its last six digits and a
    keyed hash. Give every identifier you know: each one's cached reads are dropped afterwards.
    A store-scoped user may change only a target whose ``store_group_code`` (from a scoped
    read) is their own.
    """

    account_id: int | None = None
    printed_card_number: str = field(default="", repr=False)
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
    """Where a change came from. Jobs keep the context of the request that queued them."""

    ip: str = ""
    user_agent: str = ""
    request_id: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest | None) -> AuditContext:
        ambient = current_request_id()
        ambient = "" if ambient == "-" else ambient
        if request is None:
            return cls(request_id=ambient)
        return cls(
            ip=str(request.META.get("REMOTE_ADDR", ""))[:45],
            user_agent=request.headers.get("User-Agent", "")[:300],
            request_id=str(getattr(request, "request_id", "") or ambient)[:64],
        )

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


# -- record fields --------------------------------------------------------------------------


def actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor_id": None, "actor_username": "", "actor_role": ""}
    role = getattr(actor, "role", None)
    return {
        "actor_id": actor.pk,
        "actor_username": actor.get_username(),
        "actor_role": role.value if role is not None else "",
    }


def target_fields(target: Target | None) -> dict[str, Any]:
    target = target or Target()
    number = target.printed_card_number
    return {
        "merchant_id": (
            target.merchant_id if target.merchant_id is not None else settings.PAYTRONIX_MERCHANT_ID
        ),
        "account_id": target.account_id,
        "card_masked": card_mask(number),
        "card_hash": card_hash(number),
    }


def context_fields(context: AuditContext) -> dict[str, Any]:
    return {"ip": context.ip, "user_agent": context.user_agent, "request_id": context.request_id}


_INHERITED = (
    "actor_id",
    "actor_username",
    "actor_role",
    "action",
    "merchant_id",
    "account_id",
    "card_masked",
    "card_hash",
    "job_id",
)


def _outcome_fields(intent: AuditRecord, context: AuditContext | None) -> dict[str, Any]:
    """An outcome names the same who and what as its intent, so filters find both."""
    fields = {name: getattr(intent, name) for name in _INHERITED}
    fields.update(context_fields(context or AuditContext.from_request(None)))
    return {**fields, "kind": Kind.OUTCOME, "intent": intent}


def reply_detail(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if is_dataclass(value) and not isinstance(value, type):
        data: Any = asdict(value)
    elif isinstance(value, Mapping):
        data = dict(value)
    else:
        data = {"value": value}
    detail = params_scrub(data)
    if len(json.dumps(detail, default=str)) > _MAX_DETAIL_CHARS:
        return {"omitted": "reply too large to record"}
    return detail


def targets_invalidate(targets: Sequence[Target | None]) -> None:
    for target in targets:
        if target is not None:
            guest_cache_invalidate(
                account_id=target.account_id,
                printed_card_number=target.printed_card_number,
                username=target.username,
            )


def outcome_record(
    *,
    intent: AuditRecord,
    outcome: Outcome,
    upstream_result: str = "",
    error_code: str = "",
    error_message: str = "",
    detail: Mapping[str, Any] | None = None,
    transient: bool = False,
    duration_ms: int | None = None,
    params: Mapping[str, Any] | None = None,
    context: AuditContext | None = None,
) -> AuditRecord:
    """Append an outcome for ``intent`` (never an edit of it)."""
    return chain_append(
        outcome=outcome,
        upstream_result=upstream_result[:64],
        error_code=error_code[:128],
        error_message=text_scrub(error_message),
        upstream_detail=params_scrub(detail or {}),
        transient=transient,
        duration_ms=duration_ms,
        params=params_scrub(params or {}),
        **_outcome_fields(intent, context),
    )


def event_record(
    *,
    action: str,
    outcome: Outcome = Outcome.RECORDED,
    actor: Any = None,
    username: str = "",
    request: HttpRequest | None = None,
    context: AuditContext | None = None,
    params: Mapping[str, Any] | None = None,
    target: Target | None = None,
) -> AuditRecord:
    """Record a security event: a login, a lockout, a denial, a look at the audit log.

    ``username`` names the person when there is no ``actor`` (a failed login).
    """
    who = actor_fields(actor)
    if not who["actor_username"]:
        who["actor_username"] = username[:150]
    return chain_append(
        kind=Kind.EVENT,
        outcome=outcome,
        action=action,
        params=params_scrub(params or {}),
        **who,
        **target_fields(target),
        **context_fields(context or AuditContext.from_request(request)),
    )


def latest_outcome(intent: AuditRecord) -> AuditRecord | None:
    return intent.outcomes.order_by("-seq").first()


def outcome_record_if_latest(
    intent: AuditRecord, expected: AuditRecord | None, **fields: Any
) -> tuple[AuditRecord, bool]:
    """Append an outcome only if ``expected`` is still the intent's latest (None: it has none).

    Returns ``(new record, True)``, or ``(the outcome someone else recorded first, False)``:
    two processes settling the same intent cannot both record a verdict.
    """
    with transaction.atomic():
        chain_lock()
        current = latest_outcome(intent)
        if current is not None and (expected is None or current.pk != expected.pk):
            return current, False
        return outcome_record(intent=intent, **fields), True
