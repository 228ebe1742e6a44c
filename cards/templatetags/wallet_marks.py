"""The history panel's marks for the console's own adjustments: which rows can be voided and
which were voided (``{% adjustment_marks account_id rows as marks %}`` once per page of rows,
then ``marks|mark_of:row.check_number`` per row), and whether the viewer may void one
(``intent|voidable_by:user``). ``marks|marks_state:user`` is all of that as plain values, for
a key of the rows as drawn (guests' ``fragment_key``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template

from cards.adjustments import Adjustment, adjustments_by_reference
from cards.limits import may_void
from portal.audit.models import AuditRecord
from portal.staff.models import User

register = template.Library()


@register.simple_tag
def adjustment_marks(account_id: int, rows: Iterable[Any]) -> dict[str, Adjustment]:
    """reference → the adjustment it is, for the rows that are the console's adjustments."""
    return adjustments_by_reference(account_id, (str(row.check_number) for row in rows))


@register.filter
def mark_of(marks: Mapping[str, Adjustment], reference: str) -> Adjustment | None:
    return marks.get(reference) if marks else None


@register.filter
def voidable_by(intent: AuditRecord, user: User) -> bool:
    """Whether ``user`` may void the adjustment ``intent`` (Void is offered only then)."""
    return may_void(user, intent)


@register.filter
def marks_state(marks: Mapping[str, Adjustment] | None, user: User) -> tuple[Any, ...]:
    """What the marks make the rows show, sorted: (reference, intent, voided, applied, whether
    ``user`` may void it) for each."""
    return tuple(
        sorted(
            (
                reference,
                mark.intent.pk,
                mark.void is not None,
                mark.applied,
                may_void(user, mark.intent),
            )
            for reference, mark in (marks or {}).items()
        )
    )
