"""Settling an unknown change to the guest's details, addresses or existence by reading the
guest back: applied, not applied only after the grace period, and not yet visible."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from guests.selectors.profile import guest_profile
from guests.services.password import password_reset_send
from guests.services.privacy import guest_deletion_request
from guests.services.profile import (
    account_fields_edit,
    address_add,
    address_delete,
    address_edit,
    guest_details_edit,
)
from portal.approvals.services import approval_decide
from portal.audit.actions import SETTLERS
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


def _details(agent: User, supervisor: User, key: str) -> Any:
    profile = guest_profile(viewer=agent, account_id=ACCOUNT, fresh=True)
    return guest_details_edit(
        _submission(agent, key), profile=profile, values={"lastName": "Stone"}
    )


def _account_fields(agent: User, supervisor: User, key: str) -> Any:
    profile = guest_profile(viewer=agent, account_id=ACCOUNT, fresh=True)
    return account_fields_edit(
        _submission(agent, key), profile=profile, values={"customerNumber": "C-42"}
    )


def _address_add(agent: User, supervisor: User, key: str) -> Any:
    profile = guest_profile(viewer=agent, account_id=ACCOUNT, fresh=True)
    return address_add(_submission(agent, key), profile=profile, address=WORK)


def _address_edit(agent: User, supervisor: User, key: str) -> Any:
    profile = guest_profile(viewer=agent, account_id=ACCOUNT, fresh=True)
    address_id = str(profile.addresses[0].address_id)
    return address_edit(
        _submission(agent, key), profile=profile, address_id=address_id, address=WORK
    )


def _address_delete(agent: User, supervisor: User, key: str) -> Any:
    profile = guest_profile(viewer=agent, account_id=ACCOUNT, fresh=True)
    address_id = str(profile.addresses[0].address_id)
    return address_delete(_submission(agent, key), profile=profile, address_id=address_id)


def _delete(agent: User, supervisor: User, key: str) -> Any:
    profile = guest_profile(viewer=agent, account_id=ACCOUNT, fresh=True)
    request = guest_deletion_request(_submission(agent, f"ask-{key}"), profile=profile)
    return approval_decide(_submission(supervisor, key), request.value, approve=True)


WORK = AddressFields(label="Work", address1="1 Main St", city="Boston", postal_code="02110")

#: action → (the endpoint whose reply is lost, the change through its service)
_PROFILE_ACTIONS: dict[str, tuple[str, Callable[[User, User, str], Any]]] = {
    "guest.edit": ("enrollment/editUser", _details),
    "guest.edit_account": ("enrollment/editAccount", _account_fields),
    "guest.address_add": ("enrollment/addAddressForUser", _address_add),
    "guest.address_edit": ("enrollment/editAddressForUser", _address_edit),
    "guest.address_delete": ("enrollment/deleteAddressForUser", _address_delete),
    "guest.delete": ("enrollment/user", _delete),
}


def _unknown(sandbox: Any, agent: User, supervisor: User, action: str, *, applied: bool) -> None:
    endpoint, change = _PROFILE_ACTIONS[action]
    sandbox.faults.drop(endpoint=endpoint, process=applied, times=1)
    assert change(agent, supervisor, f"{action}-{applied}").outcome == Outcome.UNKNOWN
    assert _latest(action).outcome == Outcome.UNKNOWN


def test_every_profile_action_with_a_settle_function_is_in_the_table() -> None:
    assert {a for a in SETTLERS if a.startswith("guest.")} == set(_PROFILE_ACTIONS)


@pytest.mark.parametrize("action", sorted(_PROFILE_ACTIONS))
def test_an_unknown_change_that_reached_upstream_settles_as_applied(
    sandbox: Any, agent: User, supervisor: User, action: str
) -> None:
    _unknown(sandbox, agent, supervisor, action, applied=True)

    assert unknown_outcomes_reconcile().settled == 1
    settled = _latest(action)
    assert (settled.outcome, settled.upstream_result) == (Outcome.SUCCEEDED, "settled")


@pytest.mark.parametrize("action", sorted(_PROFILE_ACTIONS))
def test_an_unknown_change_that_never_arrived_fails_only_after_the_grace_period(
    sandbox: Any, agent: User, supervisor: User, settings: Any, action: str
) -> None:
    _unknown(sandbox, agent, supervisor, action, applied=False)

    assert unknown_outcomes_reconcile().waiting == 1
    assert _latest(action).outcome == Outcome.UNKNOWN
    later = timezone.now() + timedelta(seconds=settings.AUDIT_NOT_APPLIED_AFTER)
    with time_machine.travel(later):
        assert unknown_outcomes_reconcile().settled == 1
    settled = _latest(action)
    assert (settled.outcome, settled.upstream_result) == (Outcome.FAILED, "settled")
    assert settled.error_message.startswith("settled by reading back: ")


@pytest.mark.parametrize("action", sorted(_PROFILE_ACTIONS))
def test_an_unknown_change_not_yet_visible_waits_then_settles_as_applied(
    sandbox: Any, agent: User, supervisor: User, action: str
) -> None:
    sandbox.faults.set_consistency_delay(30)
    _unknown(sandbox, agent, supervisor, action, applied=True)

    assert unknown_outcomes_reconcile().waiting == 1
    assert _latest(action).outcome == Outcome.UNKNOWN
    sandbox.advance(31)
    assert unknown_outcomes_reconcile().settled == 1
    assert _latest(action).outcome == Outcome.SUCCEEDED


def test_an_unknown_password_reset_goes_to_review_not_to_a_guess(
    sandbox: Any, agent: User, settings: Any
) -> None:
    # Nothing upstream reads back whether a mail was sent: no settle function, no waiting.
    assert "guest.password_reset" not in SETTLERS
    sandbox.faults.drop(
        endpoint="guestmanagement/generateAndSendGuestResetPasswordCode", process=True, times=1
    )
    profile = guest_profile(viewer=agent, account_id=ACCOUNT, fresh=True)
    submission = Submission(
        actor=agent,
        context=AuditContext(),
        reason=Reason(code="forgot_password", text=""),
        idempotency_key="reset",
    )
    outcome = password_reset_send(submission, profile=profile)
    assert outcome.outcome == Outcome.UNKNOWN

    later = timezone.now() + timedelta(seconds=settings.AUDIT_REVIEW_AFTER + 1)
    with time_machine.travel(later):
        summary = unknown_outcomes_reconcile()
    assert (summary.settled, summary.waiting, summary.reviewed) == (0, 0, 1)
    assert _latest("guest.password_reset").outcome == Outcome.NEEDS_REVIEW


def test_an_unknown_deletion_records_what_was_on_file_for_its_settling(
    sandbox: Any, agent: User, supervisor: User
) -> None:
    sandbox.faults.drop(endpoint="enrollment/user", process=True, times=1)
    profile = guest_profile(viewer=agent, account_id=ACCOUNT, fresh=True)

    assert _delete(agent, supervisor, "approve").outcome == Outcome.UNKNOWN

    intent = AuditRecord.objects.get(action="guest.delete", kind=Kind.INTENT)
    assert intent.params["fieldsOnFile"] == sorted(
        n for n, v in profile.values.items() if v not in (None, "")
    )
    assert intent.params["addressesOnFile"] == 1
