"""The writers of the audit log: every record is appended here (through ``chain_append``).

``outcome_record`` and ``event_record`` append records, ``outcome_record_if_latest`` appends a
verdict only if nobody recorded one first; the door itself (permission, reason, idempotency, the
upstream call) is ``portal.audit.door``; reads are ``portal.audit.selectors``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from portal.audit.chain import chain_append, chain_lock
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.personal import reply_personal_mask
from portal.audit.scrub import card_hash, card_mask, params_scrub, text_scrub
from portal.audit.selectors import latest_outcome
from portal.audit.types import AuditContext, Target
from portal.guestcache import guest_cache_invalidate
from portal.paytronix.endpoint import mask_emails
from portal.staff.models import User

_MAX_DETAIL_CHARS = 8000


# -- record fields --------------------------------------------------------------------------


def actor_fields(actor: User | AnonymousUser | None) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor_id": None, "actor_username": "", "actor_role": ""}
    role = getattr(actor, "role", None)
    return {
        "actor_id": actor.pk,
        "actor_username": actor.get_username(),
        "actor_role": role.value if role is not None else "",
    }


def target_card(target: Target) -> tuple[str, str]:
    """The target's card as a record keeps it: (last six digits, keyed hash), from the full
    number when the target has it, else from the masked number and hash it was given."""
    number = target.printed_card_number
    if number:
        return card_mask(number), card_hash(number)
    return card_mask(target.card_masked), target.card_hash


def target_fields(target: Target | None) -> dict[str, Any]:
    target = target or Target()
    masked, hashed = target_card(target)
    return {
        "merchant_id": (
            target.merchant_id if target.merchant_id is not None else settings.PAYTRONIX_MERCHANT_ID
        ),
        "account_id": target.account_id,
        "card_masked": masked,
        "card_hash": hashed,
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
    fields.update(context_fields(context or AuditContext.ambient()))
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
    detail = params_scrub(reply_personal_mask(data))
    if len(json.dumps(detail, default=str)) > _MAX_DETAIL_CHARS:
        return {"omitted": "reply too large to record"}
    return detail


def targets_invalidate(targets: Sequence[Target | None]) -> None:
    for target in targets:
        if target is not None:
            guest_cache_invalidate(
                account_id=target.account_id,
                printed_card_number=target.printed_card_number,
                card_hash=target.card_hash,
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
    """Append an outcome for ``intent`` (never an edit of it). Email addresses in upstream's
    words (its message, its errors by field) are masked."""
    return chain_append(
        outcome=outcome,
        upstream_result=upstream_result[:64],
        error_code=error_code[:128],
        error_message=text_scrub(mask_emails(error_message)),
        upstream_detail=params_scrub(reply_personal_mask(detail or {}, by_field=False)),
        transient=transient,
        duration_ms=duration_ms,
        params=params_scrub(params or {}),
        **_outcome_fields(intent, context),
    )


def event_record(
    *,
    action: str,
    outcome: Outcome = Outcome.RECORDED,
    actor: User | AnonymousUser | None = None,
    username: str = "",
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
        **context_fields(context or AuditContext.ambient()),
    )


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
