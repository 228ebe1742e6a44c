"""Privacy deletion: what will be deleted said first, the identity checklist and typed
confirmation, a second person's approval, and the guest page afterwards."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from guests.selectors.profile import guest_profile
from guests.services.privacy import guest_delete
from portal.approvals.models import ApprovalRequest, Status
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.types import AuditContext, Reason, Submission
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from portal.staff.models import User
from tests.conftest import Records

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
USER = demo.DEMO_USERNAME
GUEST_URL = reverse("guests:guest", args=[ACCOUNT])
CHECKS = ["name", "email", "card", "request"]


def request_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "deletion-identity": CHECKS,
        "deletion-confirmation": f"DELETE {ACCOUNT}",
        "deletion-reason_text": "Guest asked by email to be forgotten",
        "deletion-idempotency_key": "del-1",
    }
    data.update({f"deletion-{name}": value for name, value in changes.items()})
    return data


def decide(client: Client, request_id: int, decision: str, key: str = "dec-1") -> Any:
    return client.post(
        reverse("approvals:decide", args=[request_id]),
        {"decision": decision, "reason_text": "Identity checked", "idempotency_key": key},
    )


def test_the_screen_says_exactly_what_will_be_deleted_masked(
    sandbox: SandboxController, agent_client: Client
) -> None:
    html = agent_client.get(reverse("guests:delete", args=[ACCOUNT])).content.decode()

    assert "Username and password (the guest can no longer sign in)" in html
    assert 'Email address: <span class="mono">a***@example.com</span>' in html
    assert 'Phone: <span class="mono">***0142</span>' in html
    assert "Address: Primary Address" in html
    assert demo.DEMO_EMAIL not in html
    assert demo.DEMO_PHONE not in html
    assert "cards and balances is not documented" in html
    # What stays is said too (seen in a walkthrough: the external account code, the notes and
    # the saved cards were all still there after a deletion, and the screen had not said so).
    kept = html[html.index("What it may not remove") :]
    for stays in ("account notes", "referrals the guest sent", "external accounts", "payment"):
        assert stays in kept
    assert reverse("cards:payments", args=[ACCOUNT]) in kept


def test_the_checklist_and_the_typed_confirmation_are_required(
    sandbox: SandboxController, agent_client: Client, records: Records
) -> None:
    response = agent_client.post(
        reverse("guests:delete_submit", args=[ACCOUNT]),
        request_form(identity=CHECKS[:3], confirmation="delete it"),
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Confirm the guest&#x27;s identity: tick every check." in html
    assert f"Type DELETE {ACCOUNT} exactly to confirm." in html
    assert not ApprovalRequest.objects.exists()
    assert records("approval.request") == []


@pytest.mark.parametrize("typed", [f"delete {ACCOUNT}", f"Delete {ACCOUNT}", f"DELETE  {ACCOUNT}"])
def test_the_confirmation_is_refused_unless_typed_exactly_as_stated(
    sandbox: SandboxController, agent_client: Client, records: Records, typed: str
) -> None:
    response = agent_client.post(
        reverse("guests:delete_submit", args=[ACCOUNT]), request_form(confirmation=typed)
    )

    assert response.status_code == 422
    assert f"Type DELETE {ACCOUNT} exactly to confirm." in response.content.decode()
    assert not ApprovalRequest.objects.exists()
    assert records("approval.request") == []


def test_asking_deletes_nothing_and_a_supervisor_approves_it(
    sandbox: SandboxController,
    agent_client: Client,
    supervisor_client: Client,
    supervisor: User,
    records: Records,
) -> None:
    asked = agent_client.post(
        reverse("guests:delete_submit", args=[ACCOUNT]), request_form(), follow=True
    )

    assert "Sent for approval" in asked.content.decode()
    assert "Deletion requested:" in asked.content.decode()
    request = ApprovalRequest.objects.get()
    assert (request.action, request.status, request.account_id) == ("guest.delete", "open", ACCOUNT)
    assert USER in sandbox.state.live.users
    # The requester cannot decide it.
    own = decide(agent_client, request.pk, "approve")
    assert own.status_code == 403
    assert USER in sandbox.state.live.users
    # The approver is told what the deletion leaves, as the requester was.
    review = supervisor_client.get(reverse("approvals:detail", args=[request.pk])).content
    assert b"saved payment methods and auto-recharge" in review.replace(b"\n", b" ")
    assert b"links to external accounts" in review

    approved = decide(supervisor_client, request.pk, "approve")

    assert approved.status_code == 303
    assert USER not in sandbox.state.live.users
    request.refresh_from_db()
    assert (request.status, request.change_outcome) == (Status.APPROVED, Outcome.SUCCEEDED)
    page = agent_client.get(GUEST_URL).content.decode()
    assert "Personal data deleted</strong> on" in page
    assert "by sam.supervisor, asked for by alice.agent." in page
    intent = records("guest.delete", kind=Kind.INTENT)[0]
    assert intent.actor_username == "sam.supervisor"
    assert intent.params["requested_by"] == "alice.agent"
    assert intent.params["approved_by"] == "sam.supervisor"
    assert intent.params["addressesOnFile"] == 1
    stored = json.dumps([r.params for r in AuditRecord.objects.all()])
    for personal in (demo.DEMO_EMAIL, demo.DEMO_PHONE, demo.DEMO_LAST_NAME):
        assert personal not in stored


def test_a_second_request_while_one_waits_is_refused(
    sandbox: SandboxController, agent_client: Client, supervisor_client: Client
) -> None:
    agent_client.post(reverse("guests:delete_submit", args=[ACCOUNT]), request_form())

    again = supervisor_client.post(
        reverse("guests:delete_submit", args=[ACCOUNT]), request_form(idempotency_key="del-2")
    )

    assert again.status_code == 422
    assert "already waiting for approval: asked by alice.agent" in again.content.decode()
    assert ApprovalRequest.objects.count() == 1


def test_the_door_refuses_a_deletion_no_second_person_approved(
    sandbox: SandboxController, supervisor: User, records: Records
) -> None:
    profile = guest_profile(viewer=supervisor, account_id=ACCOUNT, fresh=True)
    submission = Submission(
        actor=supervisor, context=AuditContext(), reason=Reason(text="x"), idempotency_key="k"
    )

    with pytest.raises(PermissionDenied):
        guest_delete(submission, profile=profile, approval={"approval_request": 12345})

    assert USER in sandbox.state.live.users
    (denied,) = records("guest.delete")
    assert (denied.kind, denied.outcome) == (Kind.EVENT, Outcome.DENIED)


def test_a_store_manager_cannot_ask_for_a_deletion(
    sandbox: SandboxController, store_manager_client: Client
) -> None:
    assert store_manager_client.get(reverse("guests:delete", args=[ACCOUNT])).status_code == 403


def test_a_deletion_waiting_behind_more_open_requests_than_the_summary_lists_is_still_said(
    sandbox: SandboxController, agent_client: Client, agent: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.approvals.selectors import LIST_SIZE

    def deletion_queries(queries: CaptureQueriesContext) -> list[str]:
        return [
            q["sql"]
            for q in queries.captured_queries
            if "approvals_approvalrequest" in q["sql"] and "'guest.delete'" in q["sql"]
        ]

    agent_client.post(reverse("guests:delete_submit", args=[ACCOUNT]), request_form())

    def ask(count: int) -> None:
        for n in range(count):
            ApprovalRequest.objects.create(
                action="wallet.adjust",
                summary=f"Add {n + 1} points: goodwill",
                account_id=ACCOUNT,
                requester=agent,
                requester_username=agent.username,
                idempotency_key=f"ap-{ApprovalRequest.objects.count()}",
            )

    # Fewer open requests than the summary lists: the deletion is found among them.
    ask(LIST_SIZE - 2)
    with CaptureQueriesContext(connection) as queries:
        page = agent_client.get(GUEST_URL).content.decode()
    # The requester is told it is their own, with the way to see or withdraw it.
    assert "Deletion requested:</strong> you asked on" in page
    assert "your request: see or withdraw it</a>" in page
    assert deletion_queries(queries) == []

    # Newer requests push it out of the summary's list: the banner asks for it directly.
    ask(2)
    assert ApprovalRequest.objects.filter(status=Status.OPEN).count() == LIST_SIZE + 1
    with CaptureQueriesContext(connection) as queries:
        page = agent_client.get(GUEST_URL).content.decode()
    assert "Deletion requested:</strong> you asked on" in page
    assert len(deletion_queries(queries)) == 1


def test_the_next_reset_time_is_said_in_the_zone_the_screens_use(settings: Any) -> None:
    from datetime import UTC, datetime

    from guests.services.password import password_reset_limit_reached

    settings.TIME_ZONE = "America/New_York"
    settings.GUESTS_PASSWORD_RESETS_PER_HOUR = 2
    sent = [datetime(2026, 11, 30, 15, 0, tzinfo=UTC), datetime(2026, 11, 30, 15, 20, tzinfo=UTC)]

    said = password_reset_limit_reached(sent)

    assert said.endswith("The next one can be sent at Nov 30, 2026 11:00 AM EST.")
