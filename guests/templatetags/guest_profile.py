"""Tags of the guest page's profile includes: which of the profile's services this integration
has, and whether the guest was deleted (so the includes need nothing from the page's view)."""

from __future__ import annotations

from django import template

from guests.selectors.optional import ENROLLMENT, GUEST_MANAGEMENT
from guests.selectors.privacy import GuestDeletion, deletion_waiting, guest_deletion
from portal.approvals.models import ApprovalRequest

register = template.Library()


@register.simple_tag
def profile_services() -> dict[str, bool]:
    """``enrollment`` and ``guestmanagement``: whether each service is there (no call spent)."""
    return {"enrollment": ENROLLMENT.available(), "guestmanagement": GUEST_MANAGEMENT.available()}


@register.simple_tag
def deletion_of(account_id: int) -> GuestDeletion | None:
    """The privacy deletion made for the guest of ``account_id``, if any."""
    return guest_deletion(account_id=account_id)


@register.simple_tag
def deletion_waiting_of(account_id: int) -> ApprovalRequest | None:
    """The deletion of the guest of ``account_id`` waiting for a second person, if any."""
    return deletion_waiting(account_id=account_id)
