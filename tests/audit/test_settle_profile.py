"""Settling an unknown change to the guest's details, addresses or existence by reading the
guest back: applied, not applied only after the grace period, and not yet visible."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from guests.selectors.profile import guest_profile
from guests.services.privacy import guest_deletion_request
from guests.services.profile import account_fields_edit, address_add, guest_details_edit
from portal.approvals.services import approval_decide
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.reconcile import unknown_outcomes_reconcile
from portal.audit.types import AuditContext, Reason, Submission
from portal.paytronix.enrollment import AddressFields
from portal.sandbox import demo
from portal.staff.models import User

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID


@pytest.fixture(autouse=True)
def _settle_at_once(settings: Any) -> None:
    settings.AUDIT_SETTLE_AFTER = 0


def _submission(agent: User, key: str) -> Submission:
    return Submission(
        actor=agent, context=AuditContext(), reason=Reason(text="Guest asked"), idempotency_key=key
    )


def _latest(action: str) -> AuditRecord:
    found = AuditRecord.objects.filter(action=action).order_by("-seq").first()
    assert found is not None
    return found


def _edit(sandbox: Any, agent: User, *, applied: bool) -> None:
    sandbox.faults.drop(endpoint="enrollment/editUser", process=applied, times=1)
    profile = guest_profile(viewer=agent, account_id=ACCOUNT, fresh=True)
    outcome = guest_details_edit(
        _submission(agent, f"edit-{applied}"), profile=profile, values={"lastName": "Stone"}
    )
    assert outcome.outcome == Outcome.UNKNOWN


def test_an_unknown_edit_that_reached_upstream_settles_as_applied(
    sandbox: Any, agent: User
) -> None:
    _edit(sandbox, agent, applied=True)

    assert unknown_outcomes_reconcile().settled == 1
    assert _latest("guest.edit").outcome == Outcome.SUCCEEDED


def test_an_unknown_edit_that_never_arrived_fails_only_after_the_grace_period(
    sandbox: Any, agent: User, settings: Any
) -> None:
    _edit(sandbox, agent, applied=False)

    assert unknown_outcomes_reconcile().waiting == 1
    assert _latest("guest.edit").outcome == Outcome.UNKNOWN
    later = timezone.now() + timedelta(seconds=settings.AUDIT_NOT_APPLIED_AFTER)
    with time_machine.travel(later):
        assert unknown_outcomes_reconcile().settled == 1
    settled = _latest("guest.edit")
    assert settled.outcome == Outcome.FAILED
    assert "do not read as sent" in settled.error_message


def test_an_unknown_edit_not_yet_visible_waits_then_settles_as_applied(
    sandbox: Any, agent: User
) -> None:
    sandbox.faults.set_consistency_delay(30)
    _edit(sandbox, agent, applied=True)

    assert unknown_outcomes_reconcile().waiting == 1
    sandbox.advance(31)
    assert unknown_outcomes_reconcile().settled == 1
    assert _latest("guest.edit").outcome == Outcome.SUCCEEDED


def test_an_unknown_account_field_change_settles_by_the_account_read_back(
    sandbox: Any, agent: User, settings: Any
) -> None:
    for applied in (True, False):
        sandbox.faults.drop(endpoint="enrollment/editAccount", process=applied, times=1)
        profile = guest_profile(viewer=agent, account_id=ACCOUNT, fresh=True)
        account_fields_edit(
            _submission(agent, f"acct-{applied}"),
            profile=profile,
            values={"customerNumber": f"C-{applied}"},
        )
        if applied:
            assert unknown_outcomes_reconcile().settled == 1
            assert _latest("guest.edit_account").outcome == Outcome.SUCCEEDED
    assert unknown_outcomes_reconcile().waiting == 1
    later = timezone.now() + timedelta(seconds=settings.AUDIT_NOT_APPLIED_AFTER)
    with time_machine.travel(later):
        assert unknown_outcomes_reconcile().settled == 1
    assert _latest("guest.edit_account").outcome == Outcome.FAILED


def test_an_unknown_address_added_settles_by_the_address_read_back(
    sandbox: Any, agent: User, settings: Any
) -> None:
    work = AddressFields(label="Work", address1="1 Main St", city="Boston", postal_code="02110")
    for applied in (True, False):
        sandbox.faults.drop(endpoint="enrollment/addAddressForUser", process=applied, times=1)
        profile = guest_profile(viewer=agent, account_id=ACCOUNT, fresh=True)
        address_add(_submission(agent, f"add-{applied}"), profile=profile, address=work)
        if applied:
            assert unknown_outcomes_reconcile().settled == 1
            assert _latest("guest.address_add").outcome == Outcome.SUCCEEDED
            # The second attempt's address is the same: it would read as applied too.
            sandbox.reset()
    later = timezone.now() + timedelta(seconds=settings.AUDIT_NOT_APPLIED_AFTER)
    with time_machine.travel(later):
        assert unknown_outcomes_reconcile().settled == 1
    assert _latest("guest.address_add").outcome == Outcome.FAILED


def test_an_unknown_deletion_settles_by_whether_the_guest_is_gone(
    sandbox: Any, agent: User, supervisor: User
) -> None:
    sandbox.faults.drop(endpoint="enrollment/user", process=True, times=1)
    profile = guest_profile(viewer=agent, account_id=ACCOUNT, fresh=True)
    request = guest_deletion_request(_submission(agent, "ask"), profile=profile)

    outcome = approval_decide(_submission(supervisor, "approve"), request.value, approve=True)

    assert outcome.outcome == Outcome.UNKNOWN
    assert unknown_outcomes_reconcile().settled == 1
    assert _latest("guest.delete").outcome == Outcome.SUCCEEDED
    intent = AuditRecord.objects.get(action="guest.delete", kind=Kind.INTENT)
    assert intent.params["fieldsOnFile"] == sorted(
        n for n, v in profile.values.items() if v not in (None, "")
    )
    assert intent.params["addressesOnFile"] == 1
