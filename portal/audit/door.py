"""The door: every change to a guest or card in the portal passes through ``mutation_run``.

In order, for one upstream write:

1. the user's permission for the action, and the store-group scope (``PermissionDenied``,
   recorded as a denial);
2. the reason, where the action requires one (``ValidationError``; nothing recorded), and the
   action's limit (``LimitExceededError``, recorded as a denial: above it a second person
   approves, ``portal.approvals``);
3. the idempotency key: a second submit with the same key, concurrent or later, gets the first
   one's outcome and makes no upstream write (a concurrent one waits briefly for it; an
   outcome still unknown is settled by reading upstream back, as the reconciler would);
4. the intent record, committed before upstream is called: if it cannot be written, nothing is
   sent (fail closed);
5. the call, inside the client's ``permit_writes()`` (opened nowhere else), and its outcome
   record, linked to the intent;
6. the guest's cached reads dropped (``portal.guestcache``).

Work that is not one upstream write (a bulk job, an export) records its intent with
``mutation_check`` + ``intent_claim`` when it is queued, and its outcome with ``outcome_record``
when it ends; each upstream write it makes goes through ``mutation_run`` itself.

Secrets never reach a record: ``params`` are scrubbed (``portal.audit.scrub``) and the ``call``
closure is the only thing that carries the password, registration code or full card number.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit.actions import OTHER, ActionSpec, action_get
from portal.audit.chain import chain_append, chain_lock, intent_append_or_first
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.records import (
    actor_fields,
    context_fields,
    outcome_record,
    outcome_record_if_latest,
    reply_detail,
    target_card,
    target_fields,
    targets_invalidate,
)
from portal.audit.scrub import params_scrub, text_scrub
from portal.audit.selectors import latest_outcome
from portal.audit.types import MAX_REASON_LENGTH, AuditContext, MutationResult, Reason, Target
from portal.paytronix.client import PaytronixClient, client_from_settings
from portal.paytronix.errors import (
    CircuitOpenError,
    MoreInfoError,
    PaytronixError,
    PaytronixResultError,
    TransportError,
    UpstreamStatusError,
)
from portal.paytronix.guard import permit_writes
from portal.staff.models import User

logger = logging.getLogger("portal.audit")

_POLL_SECONDS = 0.1


# -- checks ---------------------------------------------------------------------------------


def _in_scope(actor: User, target: Target | None) -> bool:
    if not actor.is_store_scoped:
        return True
    return target is not None and target.store_group_code == actor.store_group_code


class LimitExceededError(PermissionDenied):
    """The change is above what the actor may do alone (the action's limit): a second person
    has to approve it (``portal.approvals``). ``sentence`` says which ceiling."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


def reason_check(spec: ActionSpec, reason: Reason) -> None:
    """The reason ``spec`` asks for, or ``ValidationError`` (nothing is recorded)."""
    code, text = reason.code.strip(), reason.text.strip()
    if code and spec.reason_codes and code not in spec.reason_code_labels:
        raise ValidationError("Choose one of the listed reasons.", code="reason_unknown")
    if code == OTHER and not text:
        raise ValidationError("Say why: the reason “Other” needs a few words.", code="reason_text")
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationError(
            f"Keep the reason under {MAX_REASON_LENGTH} characters.", code="reason_long"
        )
    if spec.reason_required and spec.reason_codes and not code:
        raise ValidationError("Choose a reason for this change.", code="reason_required")
    if spec.reason_required and not spec.reason_codes and not text:
        raise ValidationError("Give a reason for this change.", code="reason_required")


def mutation_check(
    *,
    actor: User,
    action: str,
    target: Target | None,
    params: Mapping[str, Any],
    reason: Reason,
    context: AuditContext,
) -> ActionSpec:
    """Permission, store-group scope, reason and the action's limit for ``action``; return its
    spec.

    A refusal is recorded (an ``event`` with outcome ``denied``) and raises ``PermissionDenied``
    (``LimitExceededError`` above the action's limit); a missing or wrong reason raises
    ``ValidationError`` and records nothing.
    """
    spec = action_get(action)
    allowed = actor.is_authenticated and actor.has_perm(f"staff.{spec.permission}")
    if not allowed or not _in_scope(actor, target):
        why = {"missing_permission": spec.permission} if not allowed else {"out_of_scope": True}
        chain_append(
            kind=Kind.EVENT,
            outcome=Outcome.DENIED,
            action=spec.name,
            params={**params_scrub(params), **why},
            reason_code=reason.code.strip()[:64],
            reason_text=text_scrub(reason.text.strip()[:MAX_REASON_LENGTH]),
            **actor_fields(actor),
            **target_fields(target),
            **context_fields(context),
        )
        logger.warning(
            "mutation refused: action=%s user=%s %s",
            spec.name,
            actor.username,
            "missing permission" if not allowed else "out of store scope",
        )
        raise PermissionDenied(f"Your role does not allow this: {spec.label}.")
    reason_check(spec, reason)
    refusal = spec.limit(actor, target, params) if spec.limit is not None else ""
    if refusal:
        chain_append(
            kind=Kind.EVENT,
            outcome=Outcome.DENIED,
            action=spec.name,
            params={**params_scrub(params), "over_limit": refusal},
            reason_code=reason.code.strip()[:64],
            reason_text=text_scrub(reason.text.strip()[:MAX_REASON_LENGTH]),
            **actor_fields(actor),
            **target_fields(target),
            **context_fields(context),
        )
        logger.warning("mutation refused: action=%s user=%s over limit", spec.name, actor.username)
        raise LimitExceededError(refusal)
    return spec


def intent_claim(
    *,
    actor: User,
    spec: ActionSpec,
    target: Target | None,
    params: Mapping[str, Any],
    reason: Reason,
    idempotency_key: str,
    context: AuditContext,
    job_id: int | None = None,
) -> tuple[AuditRecord, bool]:
    """The intent for ``idempotency_key``: ``(new intent, True)`` or ``(the first one, False)``.

    Call inside a transaction (it holds the chain lock until commit, which is what makes the
    key check race-free); the intent is committed with it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("intent_claim must run inside transaction.atomic()")
    if not idempotency_key:
        raise ValueError("an idempotency key is required (the form's hidden field)")
    chain_lock()
    existing = AuditRecord.objects.filter(kind=Kind.INTENT, idempotency_key=idempotency_key)
    first = existing.first()
    if first is not None:
        return first, False
    fields = _intent_fields(actor, spec, target, params, reason, context, job_id)
    try:
        with transaction.atomic():
            intent = chain_append(idempotency_key=idempotency_key, **fields)
    except IntegrityError:
        # Only reachable if the chain lock did not serialise us (a misconfigured database).
        return existing.get(), False
    return intent, True


def _intent_fields(
    actor: User,
    spec: ActionSpec,
    target: Target | None,
    params: Mapping[str, Any],
    reason: Reason,
    context: AuditContext,
    job_id: int | None,
) -> dict[str, Any]:
    return {
        "kind": Kind.INTENT,
        "outcome": Outcome.PENDING,
        "action": spec.name,
        "params": params_scrub(params),
        "reason_code": reason.code.strip()[:64],
        "reason_text": text_scrub(reason.text.strip()),
        "job_id": job_id,
        **actor_fields(actor),
        **target_fields(target),
        **context_fields(context),
    }


# -- the door -------------------------------------------------------------------------------


def mutation_run[T](
    *,
    actor: User,
    action: str,
    target: Target,
    params: Mapping[str, Any],
    reason: Reason,
    idempotency_key: str,
    call: Callable[[PaytronixClient], T],
    context: AuditContext,
    client: PaytronixClient | None = None,
    job_id: int | None = None,
    also_invalidate: Sequence[Target] = (),
    retry_of: int | None = None,
) -> MutationResult:
    """Make one upstream write for ``actor``, audited; see the module docstring for the steps.

    ``call(client)`` does the write and returns what the caller needs (kept in ``.value``).
    ``params`` are what the record shows (scrubbed here; pass the API parameters, secrets and
    all, and they are replaced or masked). Raises ``PermissionDenied`` or ``ValidationError``
    before anything is sent; upstream failures come back as the result's ``outcome``. Must not
    run inside a transaction: the intent has to be committed before the call. ``retry_of`` is
    the intent of an earlier attempt at the same change that was settled as not applied (a job
    trying an item again): the new intent names it.
    """
    spec = mutation_check(
        actor=actor, action=action, target=target, params=params, reason=reason, context=context
    )
    if not spec.upstream:
        raise ValueError(f"{action} is not one upstream write; queue it as a job")
    client = client or client_from_settings()
    # Committed before the call (the connection must not be in a transaction), together with
    # whatever other threads of this process are appending at the same moment.
    intent, created = intent_append_or_first(
        idempotency_key=idempotency_key,
        **_intent_fields(
            actor,
            spec,
            target,
            {**params, "retry_of": retry_of} if retry_of else params,
            reason,
            context,
            job_id,
        ),
    )
    if not created:
        return _replay(
            intent, action=action, actor=actor, target=target, client=client, context=context
        )
    return _execute(
        intent, call, client=client, context=context, invalidate=[target, *also_invalidate]
    )


def _execute[T](
    intent: AuditRecord,
    call: Callable[[PaytronixClient], T],
    *,
    client: PaytronixClient,
    context: AuditContext,
    invalidate: Sequence[Target],
) -> MutationResult:
    started = time.monotonic()
    value: T | None = None
    error: PaytronixError | None = None
    facts: dict[str, Any]
    try:
        with permit_writes():
            value = call(client)
    except PaytronixResultError as exc:
        error = exc
        facts = {
            "outcome": Outcome.NEEDS_MORE_INFO
            if isinstance(exc, MoreInfoError)
            else Outcome.FAILED,
            "upstream_result": exc.result,
            "error_code": exc.error_code,
            "error_message": exc.error_message,
            "detail": exc.extra,
        }
    except TransportError as exc:
        error = exc
        # Failed only when provably nothing was applied: a connect error before sending (a plain
        # TransportError), an open circuit, or upstream refusing the request outright. Anything
        # else (a fault after sending, a malformed reply to a write that upstream answered) may
        # have been applied: it is settled by reading back and never sent again.
        unknown = not (
            type(exc) is TransportError or isinstance(exc, CircuitOpenError | UpstreamStatusError)
        )
        facts = {
            "outcome": Outcome.UNKNOWN if unknown else Outcome.FAILED,
            "error_code": "outcome_unknown" if unknown else type(exc).__name__,
            "error_message": exc.message,
            "transient": exc.transient,
        }
    except ValueError as exc:
        # The client checks its arguments (a status, frequency or language code) before it
        # sends anything: the request never reached upstream.
        facts = {
            "outcome": Outcome.FAILED,
            "error_code": "request.invalid",
            "error_message": text_scrub(f"not sent: {exc}"),
        }
    except Exception as exc:
        # A fault in the portal after the call began: whether upstream applied it is unknown.
        outcome_record(
            intent=intent,
            outcome=Outcome.UNKNOWN,
            error_code="internal_error",
            error_message=f"{type(exc).__name__} in the portal while calling upstream",
            duration_ms=_ms_since(started),
            context=context,
        )
        targets_invalidate(invalidate)
        raise
    else:
        facts = {
            "outcome": Outcome.SUCCEEDED,
            "upstream_result": "success",
            "detail": reply_detail(value),
        }
    record = outcome_record(intent=intent, duration_ms=_ms_since(started), context=context, **facts)
    targets_invalidate(invalidate)
    logger.info(
        "mutation %s intent=%d outcome=%s result=%s error_code=%s duration_ms=%s",
        intent.action,
        intent.pk,
        record.outcome,
        record.upstream_result or "-",
        record.error_code or "-",
        record.duration_ms,
    )
    return replace(MutationResult.from_record(record, replayed=False), value=value, error=error)


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _replay(
    intent: AuditRecord,
    *,
    action: str,
    actor: User,
    target: Target,
    client: PaytronixClient,
    context: AuditContext,
) -> MutationResult:
    same = (
        intent.action == action
        and intent.actor_id == actor.pk
        and intent.account_id == target.account_id
        and intent.card_hash == target_card(target)[1]
    )
    if not same:
        raise ValidationError(
            "This form was already used for a different change. Reload the page and try again.",
            code="idempotency_conflict",
        )
    deadline = time.monotonic() + settings.AUDIT_IN_PROGRESS_WAIT
    latest = latest_outcome(intent)
    while latest is None and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        latest = latest_outcome(intent)
    if latest is None:
        abandoned_before = timezone.now() - timedelta(seconds=settings.AUDIT_ABANDONED_AFTER)
        if intent.occurred_at > abandoned_before:
            return MutationResult(intent_id=intent.pk, outcome=Outcome.PENDING, replayed=True)
        latest = intent_abandon(intent, context=context)
    if latest.outcome == Outcome.UNKNOWN:
        # Read back now rather than answer "unknown" until the reconciler's next pass.
        latest = outcome_settle(intent, latest, client=client, target=target) or latest
    return MutationResult.from_record(latest, replayed=True)


def intent_abandon(intent: AuditRecord, *, context: AuditContext | None = None) -> AuditRecord:
    """Record ``unknown`` for an intent whose process died before recording its outcome (or
    return the outcome someone else recorded meanwhile)."""
    record, _ = outcome_record_if_latest(
        intent,
        None,
        outcome=Outcome.UNKNOWN,
        error_code="abandoned",
        error_message="No outcome was recorded: the process making the call stopped.",
        context=context,
    )
    return record


def outcome_settle(
    intent: AuditRecord,
    latest: AuditRecord,
    *,
    client: PaytronixClient,
    target: Target | None = None,
    settled_by: str = "door",
) -> AuditRecord | None:
    """Settle ``intent`` (whose latest outcome is ``latest``, an unknown) by reading upstream.

    Returns the settlement record, or None when the action cannot be settled this way or the
    state does not tell yet. Upstream errors while reading are logged and give None.
    """
    spec = action_get(intent.action)
    if spec.settle is None:
        return None
    try:
        settlement = spec.settle(client, intent, target)
    except PaytronixError as exc:
        logger.warning(
            "settling intent=%d %s: upstream read failed: %s", intent.pk, intent.action, exc.message
        )
        return None
    if settlement is None:
        return None
    record, recorded = outcome_record_if_latest(
        intent,
        latest,
        outcome=settlement.outcome,
        upstream_result="settled",
        error_message=settlement.message,
        params={"settled_by": settled_by},
    )
    if recorded:
        targets_invalidate([target, Target(account_id=intent.account_id)])
        logger.info("settled intent=%d %s outcome=%s", intent.pk, intent.action, record.outcome)
    return record
