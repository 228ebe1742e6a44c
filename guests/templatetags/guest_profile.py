"""Tags of the guest page's profile includes: which of the profile's services this integration
has, and whether the guest was deleted (so the includes need nothing from the page's view)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from guests.selectors.optional import ENROLLMENT, GUEST_MANAGEMENT
from guests.selectors.page import GuestPage, is_registered
from guests.selectors.privacy import GuestDeletion, deletion_waiting_among, guest_deletion
from portal.approvals.models import ApprovalRequest

register = template.Library()


@register.simple_tag
def profile_services() -> dict[str, bool]:
    """``enrollment`` and ``guestmanagement``: whether each service is there (no call spent)."""
    return {"enrollment": ENROLLMENT.available(), "guestmanagement": GUEST_MANAGEMENT.available()}


@register.simple_tag
def deletion_of(page: GuestPage) -> GuestDeletion | None:
    """The privacy deletion made for the guest of the page's account, if any. An account
    registered to someone has no deleted guest (or a new one since): the log is not asked."""
    if page.account is None or is_registered(page.account):
        return None
    return guest_deletion(account_id=page.account_id)


@register.simple_tag
def deletion_waiting_of(
    open_approvals: Iterable[ApprovalRequest], account_id: int
) -> ApprovalRequest | None:
    """The deletion of the guest waiting for a second person, among the account's open
    requests (the page's ``open_approvals``), if any."""
    return deletion_waiting_among(open_approvals, account_id=account_id)
