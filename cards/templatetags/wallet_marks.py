"""The history panel's marks for the console's own adjustments: Voided under a row whose
adjustment was voided, a Void button under one the viewer may void.
``{% adjustment_mark_cells account_id rows user as marks %}`` draws them once per page of rows
(reference → HTML; the guests' history table puts each under its row, and its rows' key
includes them). ``intent|voidable_by:user`` says whether the viewer may void one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from cards.adjustments import Adjustment, adjustments_by_reference
from cards.limits import may_void
from portal.audit.models import AuditRecord
from portal.staff.models import User

register = template.Library()

_VOIDED = SafeString('<div><span class="status voided">Voided</span></div>')


def _mark(account_id: int, mark: Adjustment, user: User) -> SafeString | None:
    if mark.void is not None:
        return _VOIDED
    if mark.applied and may_void(user, mark.intent):
        url = reverse("cards:wallet_void", args=[account_id, mark.intent.pk])
        return format_html('<div><a class="button small" href="{}">Void</a></div>', url)
    return None


@register.simple_tag
def adjustment_mark_cells(
    account_id: int, rows: Iterable[Any], user: User
) -> dict[str, SafeString]:
    """reference → what to show under the row of one of the console's adjustments, for the
    rows that are such adjustments and have something to show (two queries a page of rows)."""
    marks = adjustments_by_reference(account_id, (str(row.check_number) for row in rows))
    drawn = {reference: _mark(account_id, mark, user) for reference, mark in marks.items()}
    return {reference: html for reference, html in sorted(drawn.items()) if html is not None}


@register.filter
def voidable_by(intent: AuditRecord, user: User) -> bool:
    """Whether ``user`` may void the adjustment ``intent`` (Void is offered only then)."""
    return may_void(user, intent)
