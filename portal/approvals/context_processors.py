"""The approval queue's open count for the navigation, counted only where a page shows it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portal.approvals.selectors import open_count


def approvals(request: HttpRequest) -> dict[str, Any]:
    # A callable: the template calls it only when it draws the count (an approver's page).
    # The approver's own requests are not counted: another approver decides them.
    user = getattr(request, "user", None)
    decider = user if user is not None and user.is_authenticated else None
    return {"approvals_open": lambda: open_count(decider)}
