"""Who is looking: a store manager sees only the guests of their store group.

Paytronix filters account information by ``accessFilterStoreGroupCode``; a guest outside the
group answers "not found". Every other read (user, history, referrals...) has no such filter,
so every entry point first reads the account *with* the viewer's scope and only then the rest.

When a store manager's lookup finds nobody, the same lookup is repeated without the filter
(server-side only, the result is never shown) to tell "outside your store group" from "does
not exist": the first is logged as an out-of-scope attempt, and recorded as an audit event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from portal.audit.models import Outcome
from portal.audit.records import event_record
from portal.audit.types import Target
from portal.paytronix.errors import FailureError, PaytronixError
from portal.sentences import NotShownError
from portal.staff.models import User

logger = logging.getLogger("guests.scope")


class Viewer(Protocol):
    """The staff user a read is for (``portal.staff.models.User``)."""

    username: str
    store_group_code: int | None

    @property
    def is_store_scoped(self) -> bool: ...


class GuestNotFoundError(NotShownError):
    """No guest for this viewer: unknown, or outside a store manager's store group. The first
    argument is the account id looked for, when there was one."""

    @property
    def sentence(self) -> str:
        looked_for = self.args[0] if self.args else None
        if isinstance(looked_for, int):
            return f"No guest with account id {looked_for}."
        return "No such guest."


def scope_of(viewer: Viewer) -> int | None:
    """The store group a viewer's lookups are limited to; None for unscoped staff.

    Raises ``GuestNotFoundError`` for a store-scoped viewer without a store group: None would
    mean "no filter", and such a viewer must see nobody rather than everybody.
    """
    if not viewer.is_store_scoped:
        return None
    if viewer.store_group_code is None:
        logger.warning("store-scoped user without a store group refused: user=%s", viewer.username)
        raise GuestNotFoundError("store-scoped viewer without a store group")
    return viewer.store_group_code


def note_scope_miss(
    viewer: Viewer,
    *,
    kind: str,
    exists_unscoped: Callable[[], Any],
    account_id: int | None = None,
    printed_card_number: str = "",
) -> None:
    """After a store manager's lookup found nobody: log and audit it if the guest exists
    outside their store group. ``exists_unscoped`` repeats the lookup without the filter."""
    scope = scope_of(viewer)
    if scope is None:
        return
    try:
        exists_unscoped()
    except FailureError:
        return
    except PaytronixError:
        # Cannot tell; a lookup that found nobody is not worth failing the page for.
        logger.info("store-scoped lookup found nothing; scope check unavailable kind=%s", kind)
        return
    logger.warning(
        "store-scoped lookup outside store group: user=%s store_group=%s kind=%s account=%s",
        viewer.username,
        scope,
        kind,
        account_id or "-",
    )
    event_record(
        action="access.denied",
        outcome=Outcome.DENIED,
        actor=viewer if isinstance(viewer, User) else None,
        username=viewer.username,
        params={"lookup": kind, "why": "guest outside the store group", "store_group": scope},
        target=Target(account_id=account_id, printed_card_number=printed_card_number),
    )
