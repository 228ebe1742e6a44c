"""Reads of the approval queue: the open count, the queue, a requester's own requests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q, QuerySet

from portal.approvals.kinds import KINDS
from portal.approvals.models import ApprovalRequest, Status
from portal.staff.access import user_may
from portal.staff.models import User
from portal.versioned import versioned_bump, versioned_entries, versioned_get, versioned_set

#: How many requests a list shows (newest first).
LIST_SIZE = 50
#: How long an account with no open request is remembered as such.
_NONE_OPEN_SECONDS = 60


class ApprovalNotFoundError(LookupError):
    """No such request, or not one the viewer may see."""


def open_count(decider: User | None = None) -> int:
    """How many requests wait for a decision (one count over the status index); with
    ``decider``, those it may decide: not its own (a requester never approves their own)."""
    waiting = ApprovalRequest.objects.filter(status=Status.OPEN)
    if decider is not None:
        waiting = waiting.exclude(requester=decider)
    return waiting.count()


def open_requests() -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(status=Status.OPEN).order_by("-requested_at", "-id")[
        :LIST_SIZE
    ]


def _open_name(account_id: int) -> str:
    return f"approvals-open:{int(account_id)}"


def open_requests_of_account(account_id: int) -> list[ApprovalRequest]:
    """The requests about one account that wait for a decision (the guest page's summary):
    those acting on it and those that touch it too (a combine into it).
    An account with none is remembered as such for ``_NONE_OPEN_SECONDS`` (most guest pages
    then ask the database nothing); a request made or decided about it replaces that at once
    and on commit (``portal.versioned``: an answer read before it is never served after)."""
    name = _open_name(account_id)
    version, none_open = versioned_get(name)
    if none_open is True:
        return []
    about = Q(account_id=account_id) | Q(also_account_id=account_id)
    found = ApprovalRequest.objects.filter(about, status=Status.OPEN)
    listed = list(found.order_by("-requested_at", "-id")[:LIST_SIZE])
    if not listed:
        versioned_set(name, version, True, timeout=_NONE_OPEN_SECONDS)
    return listed


def open_requests_entries(account_id: int) -> list[tuple[str, str]]:
    """What ``open_requests_of_account`` reads of the cache (cache alias, key), for
    ``portal.redis_cache.looked_up_together``."""
    return versioned_entries(_open_name(account_id))


def open_requests_changed(*account_ids: int | None) -> None:
    """A request about these accounts was made or decided: their open requests are read
    again."""
    names = [_open_name(account_id) for account_id in account_ids if account_id is not None]
    if names:
        versioned_bump(names)


def decided_requests() -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.exclude(status=Status.OPEN).order_by("-decided_at", "-id")[
        :LIST_SIZE
    ]


def requests_of(user: User) -> QuerySet[ApprovalRequest]:
    """The user's own requests, newest first, with how each went."""
    return ApprovalRequest.objects.filter(requester=user).order_by("-requested_at", "-id")[
        :LIST_SIZE
    ]


def request_for(viewer: User, request_id: int) -> ApprovalRequest:
    """A request its requester or an approver may see; ``ApprovalNotFoundError`` otherwise."""
    found = ApprovalRequest.objects.filter(pk=request_id).first()
    if found is None:
        raise ApprovalNotFoundError(request_id)
    if found.requester_id != viewer.pk and not user_may(viewer, "approve_requests"):
        raise ApprovalNotFoundError(request_id)
    return found


def approval_authorizes(
    request_id: Any,
    *,
    actor: User,
    action: str,
    account_id: int | None,
    params: Mapping[str, Any],
    card_hash: str | None = None,
) -> bool:
    """True when ``request_id`` is an approved request for this change, decided by ``actor``
    who is not its requester: the same action on the same account with the same parameters
    (every parameter the request recorded) and, given ``card_hash``, on the same card. An
    action's limit lets such a change through, so the door itself holds the second person to
    being another one."""
    if not isinstance(request_id, int):
        return False
    found = ApprovalRequest.objects.filter(
        pk=request_id, status=Status.APPROVED, decided_by=actor, action=action
    ).first()
    if found is None or found.account_id != account_id or found.requester_id == actor.pk:
        return False
    if card_hash is not None and found.card_hash != card_hash:
        return False
    return all(params.get(key) == value for key, value in found.params.items())


def with_later(requests: Iterable[ApprovalRequest]) -> list[ApprovalRequest]:
    """The requests, each approved one whose change was made with ``later`` set to what
    became of that change since (its kind's ``later``; one read per kind)."""
    found = list(requests)
    made: dict[str, list[ApprovalRequest]] = defaultdict(list)
    for request in found:
        if request.status == Status.APPROVED and request.change_record_id is not None:
            made[request.action].append(request)
    for action, approved in made.items():
        kind = KINDS.get(action)
        notes = kind.later(approved) if kind is not None and kind.later is not None else {}
        for request in approved:
            request.later = notes.get(request.pk, "")
    return found
