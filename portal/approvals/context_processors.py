"""The approval queue's open count for the navigation, counted only where a page shows it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portal.approvals.selectors import open_count


def approvals(request: HttpRequest) -> dict[str, Any]:
    # A callable: the template calls it only when it draws the count (an approver's page).
    return {"approvals_open": open_count}
