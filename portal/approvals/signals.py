"""A request made or decided drops what the guest page remembers of the account's open ones."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal.approvals.models import ApprovalRequest
from portal.approvals.selectors import open_requests_changed


@receiver(post_save, sender=ApprovalRequest)
@receiver(post_delete, sender=ApprovalRequest)
def _request_changed(sender: Any, instance: ApprovalRequest, **kwargs: Any) -> None:
    open_requests_changed(instance.account_id, instance.also_account_id)
