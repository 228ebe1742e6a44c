"""A combine by an agent goes through a supervisor's approval (agents lack the permission
``combine_without_approval``): the
preview says so, the submit records a request and sends nothing, the supervisor's approval
combines once as their action linked to the request, the requester sees how it went; the door
refuses an agent's combine that is not such a run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cards.limits import combine_needs_approval
from cards.selectors import combine_preview
from cards.services.combine import cards_combine_start
from portal.approvals.models import ApprovalRequest, Status
from portal.audit.door import LimitExceededError
from portal.audit.models import AuditRecord, Kind
from portal.audit.reconcile import unknown_outcomes_reconcile
from portal.audit.types import AuditContext, Reason, Submission
from portal.jobs.models import Job
from portal.paytronix.client import client_from_settings
from portal.paytronix.guard import permit_writes
from portal.sandbox import demo
from portal.sandbox.catalog import POINTS
from portal.staff.models import User
from portal.staff.roles import ROLE_PERMISSIONS, Role
from tests.cards.test_combine import account_of, attach_and_combine, combine

pytestmark = pytest.mark.django_db

MAIN, OTHER = demo.DEMO_COMBINABLE_PAIR
COMBINE_CALL = "guest/combineCard.json"


def decide(client: Client, request_id: int, *, key: str = "d1", decision: str = "approve"):
    return client.post(
        reverse("approvals:decide", args=[request_id]),
        {"idempotency_key": key, "decision": decision, "reason_text": "Two cards, one guest"},
    )


def test_the_agents_preview_says_a_supervisor_approves(sandbox, agent_client, supervisor_client):
    url = reverse("cards:combine", args=[account_of(sandbox, OTHER), OTHER[-6:]])
    page = agent_client.get(url).content.decode()
    assert "A supervisor approves this combine." in page
    assert "Ask a supervisor to combine card ending" in page
    theirs = supervisor_client.get(url).content.decode()
    assert "A supervisor approves this combine." not in theirs
    assert f"Combine card ending {OTHER[-6:]}" in theirs


def test_an_agents_request_approved_by_a_supervisor_combines_once_as_the_supervisors_action(
    sandbox, agent, agent_client, supervisor_client, upstream_calls
):
    main_id, other_id = account_of(sandbox, MAIN), account_of(sandbox, OTHER)
    asked = combine(agent_client, sandbox, key="ask")
    request = ApprovalRequest.objects.get()
    assert asked.status_code == 303
    assert asked["Location"] == reverse("approvals:detail", args=[request.pk])
    assert (request.action, request.status, request.requester_id) == (
        "cards.combine",
        Status.OPEN,
        agent.pk,
    )
    assert (request.account_id, request.card_masked) == (other_id, OTHER[-6:])
    assert request.params == {"card_ending": OTHER[-6:], "main_account_id": main_id}
    assert OTHER not in str(request.params) + request.summary
    # Nothing sent, no job: the agent sees the request, waiting.
    assert upstream_calls.to(COMBINE_CALL) == []
    assert Job.objects.count() == 0
    detail = agent_client.get(asked["Location"]).content.decode()
    assert "Sent for approval" in detail
    assert "Waiting for approval" in detail
    queue = supervisor_client.get(reverse("approvals:queue")).content.decode()
    assert f"Combine account {other_id} (card ending {OTHER[-6:]})" in queue

    approved = decide(supervisor_client, request.pk)
    # The page after the decision says what came of it once, at the top.
    after = supervisor_client.get(approved["Location"]).content.decode()
    assert after.count(f"was combined into account {account_of(sandbox, MAIN)}") == 1
    # A later view of the request says it under the status.
    later = supervisor_client.get(approved["Location"]).content.decode()
    assert later.count(f"was combined into account {account_of(sandbox, MAIN)}") == 1
    again = decide(supervisor_client, request.pk)
    other_key = decide(supervisor_client, request.pk, key="d2")

    assert approved.status_code == 303
    # Approving again, with the same form or another, answers the first combine.
    assert (again.status_code, other_key.status_code) == (303, 303)
    assert len(upstream_calls.to(COMBINE_CALL)) == 1
    assert sandbox.state.account_for_card(OTHER).account_id == main_id
    request.refresh_from_db()
    assert (request.status, request.change_outcome) == (Status.APPROVED, "succeeded")
    assert f"combined into account {main_id}" in request.change_message
    assert request.change_record_id is not None
    change = AuditRecord.objects.get(pk=request.change_record_id)
    assert (change.kind, change.action, change.actor_username) == (
        Kind.INTENT,
        "cards.combine",
        "sam.supervisor",
    )
    assert change.params["approval_request"] == request.pk
    assert change.params["requested_by"] == "alice.agent"
    assert change.params["approved_by"] == "sam.supervisor"
    assert AuditRecord.objects.filter(kind=Kind.INTENT, action="cards.combine").count() == 1
    # Its record says whose words its reason is (the maker is the approver).
    audit = supervisor_client.get(reverse("audit:detail", args=[change.pk])).content.decode()
    assert (
        'Guest has two cards <span class="muted">(the request\'s reason, given by alice.agent)'
        in (audit)
    )
    mine = agent_client.get(reverse("approvals:queue")).content.decode()
    assert "by sam.supervisor" in mine
    assert f"combined into account {main_id}" in mine


def _grant(role: Role, codename: str, *, granted: bool = True) -> None:
    """What an administrator does in the Django admin: a role group's permission added or
    taken away."""
    permission = Permission.objects.get(content_type__app_label="staff", codename=codename)
    group = Group.objects.get(name=role.value)
    if granted:
        group.permissions.add(permission)
    else:
        group.permissions.remove(permission)


def test_the_requester_cannot_approve_their_own_combine(
    sandbox, make_staff: Callable[..., User], upstream_calls
):
    # Supervisors too ask for their combines once their role loses the permission.
    _grant(Role.SUPERVISOR, "combine_without_approval", granted=False)
    sue = make_staff(Role.SUPERVISOR, username="sue.supervisor")
    client = Client()
    client.force_login(sue)
    assert combine(client, sandbox, key="own").status_code == 303
    request = ApprovalRequest.objects.get()

    answer = decide(client, request.pk)

    assert answer.status_code == 403
    request.refresh_from_db()
    assert request.status == Status.OPEN
    assert upstream_calls.to(COMBINE_CALL) == []
    assert sandbox.state.account_for_card(OTHER).account_id != account_of(sandbox, MAIN)


def test_the_door_refuses_an_agents_combine_that_no_supervisor_approved(
    sandbox, agent, agent_client, upstream_calls
):
    other_id = account_of(sandbox, OTHER)
    preview = combine_preview(viewer=agent, account_id=other_id, masked_card_number=OTHER[-6:])
    submission = Submission(
        actor=agent,
        context=AuditContext(),
        reason=Reason(text="Guest has two cards"),
        idempotency_key="direct",
    )
    with pytest.raises(LimitExceededError, match="A supervisor approves the combines"):
        cards_combine_start(
            submission,
            guest=preview.guest,
            card=preview.card,
            main_account_id=preview.main_account_id,
        )
    assert Job.objects.count() == 0
    denied = AuditRecord.objects.get(action="cards.combine")
    assert (denied.kind, denied.outcome, denied.actor_username) == (
        Kind.EVENT,
        "denied",
        "alice.agent",
    )
    # Attach-and-combine (whose password a request must not keep) is refused to them too.
    refused = attach_and_combine(agent_client, demo.DEMO_ATTACHABLE_CARD)
    assert refused.status_code == 403
    assert "attach the card, then ask" in refused.content.decode()
    assert upstream_calls.to(COMBINE_CALL) == []
    assert upstream_calls.to("guest/attachAndCombine.json") == []
    form = agent_client.get(reverse("cards:attach_and_combine", args=[demo.DEMO_ACCOUNT_ID]))
    assert form.status_code == 302
    assert form["Location"] == reverse("cards:attach", args=[demo.DEMO_ACCOUNT_ID])


def test_a_role_granted_combine_without_approval_combines_directly(
    sandbox, agent, agent_client, upstream_calls, django_capture_on_commit_callbacks
):
    _grant(Role.AGENT, "combine_without_approval")
    url = reverse("cards:combine", args=[account_of(sandbox, OTHER), OTHER[-6:]])
    assert "A supervisor approves this combine." not in agent_client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        combine(agent_client, sandbox, key="direct")
    assert ApprovalRequest.objects.count() == 0
    assert len(upstream_calls.to(COMBINE_CALL)) == 1
    assert sandbox.state.account_for_card(OTHER).account_id == account_of(sandbox, MAIN)


def test_the_roles_permissions_say_whose_combines_a_supervisor_approves(agent, supervisor) -> None:
    assert combine_needs_approval(agent)
    assert not combine_needs_approval(supervisor)
    assert "combine_without_approval" in ROLE_PERMISSIONS[Role.SUPERVISOR]
    assert "combine_without_approval" not in ROLE_PERMISSIONS[Role.AGENT]


def test_an_approved_combine_that_suspends_the_account_is_reported_on_the_request(
    sandbox, agent_client, supervisor_client
):
    main, other = demo.DEMO_NEAR_SUSPENSION_PAIR
    assert combine(agent_client, sandbox, demo.DEMO_NEAR_SUSPENSION_PAIR).status_code == 303
    request = ApprovalRequest.objects.get()

    assert decide(supervisor_client, request.pk).status_code == 303

    request.refresh_from_db()
    assert request.change_outcome == "failed"
    assert "the loyalty system suspended the guest's main account instead" in (
        request.change_message
    )
    assert request.change_message.endswith("(The loyalty system answered accountSuspended.)")
    # Said once, not twice.
    assert request.change_message.count("Nothing was combined") == 1
    assert sandbox.state.account_for_card(main).status == "SUSPENDED"
    assert sandbox.state.account_for_card(other).status == "ACTIVE"
    mine = agent_client.get(reverse("approvals:queue")).content.decode()
    assert "accountSuspended" in mine
    # A sentence, not a status pill: it wraps (a pill never does, and ran off the page).
    assert '<div class="status-note">' in mine
    assert '<div class="status warning">' not in mine


def test_an_agent_may_not_decide_a_combine(sandbox, agent_client):
    combine(agent_client, sandbox, key="ask")
    request = ApprovalRequest.objects.get()
    # The agent role has no approve_requests: only another person, a supervisor, decides.
    assert decide(agent_client, request.pk).status_code == 403
    request.refresh_from_db()
    assert request.status == Status.OPEN


def test_an_approved_combine_whose_reply_was_lost_is_settled_not_sent_again(
    sandbox, agent_client, supervisor_client, upstream_calls, settings
):
    main_id = account_of(sandbox, MAIN)
    sandbox.faults.drop(endpoint="combineCard", times=1, process=True)
    combine(agent_client, sandbox, key="ask")
    request = ApprovalRequest.objects.get()

    decide(supervisor_client, request.pk)
    request.refresh_from_db()
    assert request.change_outcome == "unknown"
    # Checking again before anything read it back: still not known, nothing sent again.
    decide(supervisor_client, request.pk)
    request.refresh_from_db()
    assert request.change_outcome == "unknown"
    assert "outcome is not known yet" in request.change_message
    assert "nothing was combined" not in request.change_message

    # The reconciler reads it back (after its wait for upstream to settle).
    later = timezone.now() + timedelta(seconds=settings.AUDIT_SETTLE_AFTER + 1)
    assert unknown_outcomes_reconcile(now=later).settled == 1
    decide(supervisor_client, request.pk)

    request.refresh_from_db()
    assert request.change_outcome == "succeeded"
    assert request.change_message == "Done, as the loyalty system shows it now."
    assert len(upstream_calls.to(COMBINE_CALL)) == 1
    assert sandbox.state.account_for_card(OTHER).account_id == main_id


def test_a_second_request_for_a_combine_already_waiting_is_refused(sandbox, agent_client):
    combine(agent_client, sandbox, key="first")
    second = combine(agent_client, sandbox, key="second")
    request = ApprovalRequest.objects.get()
    assert second.status_code == 422
    assert f"request #{request.pk}</a>, asked by alice.agent" in second.content.decode()
    # The same form submitted twice answers the first request.
    assert combine(agent_client, sandbox, key="first").status_code == 303
    assert ApprovalRequest.objects.count() == 1


def test_the_combine_screen_of_a_card_whose_combine_waits_points_to_the_request_with_no_form(
    sandbox, agent_client, supervisor_client
):
    combine(agent_client, sandbox, key="first")
    request = ApprovalRequest.objects.get()
    _, other = demo.DEMO_COMBINABLE_PAIR
    url = reverse("cards:combine", args=[account_of(sandbox, other), other[-6:]])

    for client, words in (
        (agent_client, "It is combined once a supervisor approves it."),
        (supervisor_client, "Approving it there combines the card, as your action"),
    ):
        html = client.get(url).content.decode()
        assert "A combine of this card is already waiting for a supervisor" in html
        assert f'href="{reverse("approvals:detail", args=[request.pk])}"' in html
        assert words in html
        assert 'id="combine-form"' not in html


def test_the_approver_sees_both_accounts_balances_now_and_after(
    sandbox, agent_client, supervisor_client
):
    combine(agent_client, sandbox, key="first")
    request = ApprovalRequest.objects.get()
    main, _ = demo.DEMO_COMBINABLE_PAIR

    html = supervisor_client.get(reverse("approvals:detail", args=[request.pk])).content.decode()

    main_id = account_of(sandbox, main)
    assert f"<caption>Balances now, and in main account {main_id} after the combine</caption>" in (
        html
    )
    assert (
        f'<th scope="col" class="num">Main account {main_id}</th>'
        f'<th scope="col" class="num">Account {request.account_id}</th>'
    ) in html
    points = sandbox.state.account(main_id).wallet(POINTS).balance
    theirs = sandbox.state.account(request.account_id).wallet(POINTS).balance
    assert (
        f'<tr><th scope="row">Points</th><td class="num">{points:,}</td><td class="num">'
        f'{theirs:,}</td><td class="num"><strong>{points + theirs:,}</strong></td></tr>'
    ) in html
    # The account it goes into is linked too.
    assert f'<dt>Also touches</dt><dd><a href="/guests/{main_id}/">{main_id}</a>' in html

    # Combined meanwhile (by a supervisor, directly): the approver is told it cannot be now.
    def closed(model, moment):
        model.accounts[request.account_id].status = "TERMINATED"

    sandbox.state.write(closed)
    html = supervisor_client.get(reverse("approvals:detail", args=[request.pk])).content.decode()
    assert "Balances now" not in html


def test_a_request_whose_account_was_combined_meanwhile_says_so_before_and_after_approving(
    sandbox, agent_client, supervisor_client
):
    combine(agent_client, sandbox, key="ask")
    request = ApprovalRequest.objects.get()
    # Combined meanwhile, outside this request (upstream leaves the account ABANDONED).
    with permit_writes():
        client_from_settings().guest.combine_card(printed_card_number=OTHER)
    merged = (
        f"account {request.account_id} is already merged into another account (combined "
        "since the request was made), so there is nothing left to combine."
    )

    html = supervisor_client.get(reverse("approvals:detail", args=[request.pk])).content.decode()
    assert f"It cannot be combined now: {merged} Decline it." in html
    assert "could not be read" not in html

    response = decide(supervisor_client, request.pk)
    page = supervisor_client.get(response["Location"]).content.decode()
    assert page.count(f"Nothing was combined: {merged}") == 1
    assert "could not be read" not in page
    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert not AuditRecord.objects.filter(kind=Kind.INTENT, action="cards.combine").exists()


def open_approvals(client: Client, account_id: int) -> str:
    html = client.get(reverse("guests:guest", args=[account_id])).content.decode()
    return html[html.index("<dt>Open approvals</dt>") :].split("</dd>", 1)[0]


def test_a_waiting_combine_is_among_the_open_approvals_of_both_accounts_until_decided(
    sandbox, agent_client, supervisor_client
):
    main_id, other_id = account_of(sandbox, MAIN), account_of(sandbox, OTHER)
    # Read before the request (remembered as none), so that its making must drop that.
    assert "none" in open_approvals(supervisor_client, main_id)

    combine(agent_client, sandbox, key="ask")
    request = ApprovalRequest.objects.get()
    assert request.also_account_id == main_id
    # The cards panel's Combine link says a request waits (its screen points to it).
    panel = agent_client.get(reverse("guests:panel", args=[main_id, "cards"])).content.decode()
    assert ">Combine: waiting for approval</a>" in panel
    assert ">Combine into the main account</a>" not in panel
    summary = f"Combine account {other_id} (card ending {OTHER[-6:]}) into the main account"
    for account_id in (main_id, other_id):
        listed = open_approvals(supervisor_client, account_id)
        assert f"{summary} {main_id}</a>" in listed
        assert 'asked by <span class="untrusted">alice.agent</span>' in listed

    decide(supervisor_client, request.pk, decision="reject")
    assert "none" in open_approvals(supervisor_client, main_id)


def test_a_store_manager_sees_no_request_that_only_touches_the_account_from_another(
    sandbox, agent, store_manager_client, supervisor_client
):
    """A combine request is listed on the account it goes into too, but it acts on another,
    which may be outside a store manager's group: theirs are the account's own requests."""
    outside = account_of(sandbox, demo.DEMO_OTHER_STORE_GROUP_CARD)
    ApprovalRequest.objects.create(
        action="cards.combine",
        summary=f"Combine account {outside} into the main account {demo.DEMO_ACCOUNT_ID}",
        account_id=outside,
        also_account_id=demo.DEMO_ACCOUNT_ID,
        requester=agent,
        requester_username=agent.username,
        idempotency_key="outside",
    )
    summary = f"Combine account {outside} into the main account"
    assert summary in open_approvals(supervisor_client, demo.DEMO_ACCOUNT_ID)
    theirs = open_approvals(store_manager_client, demo.DEMO_ACCOUNT_ID)
    assert summary not in theirs
    assert "none" in theirs


def test_an_approval_whose_combine_went_through_before_its_run_stopped_says_so_when_approved_again(
    sandbox, agent_client, supervisor_client, upstream_calls
):
    """The combine was made and its outcome recorded, and the process stopped before keeping
    it on the request: approving again finds the change by its key, not "nothing was combined"
    (the account now reads merged)."""
    main_id = account_of(sandbox, MAIN)
    combine(agent_client, sandbox, key="ask")
    request = ApprovalRequest.objects.get()
    decide(supervisor_client, request.pk)
    change_id = ApprovalRequest.objects.get().change_record_id
    assert change_id is not None
    # As if the run had stopped before keeping its outcome on the request.
    ApprovalRequest.objects.filter(pk=request.pk).update(
        change_outcome="", change_message="", change_record_id=None
    )

    decide(supervisor_client, request.pk, key="d2")

    request.refresh_from_db()
    assert (request.change_outcome, request.change_record_id) == ("succeeded", change_id)
    assert "Nothing was combined" not in request.change_message
    assert len(upstream_calls.to(COMBINE_CALL)) == 1
    assert sandbox.state.account_for_card(OTHER).account_id == main_id
