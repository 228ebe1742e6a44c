"""The queue, a request's page, the decision form, and the count in the navigation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from portal.approvals.models import ApprovalRequest, Status
from portal.staff.models import User
from portal.staff.roles import Role
from tests.approvals.conftest import Writes

pytestmark = pytest.mark.django_db

Ask = Callable[..., ApprovalRequest]


def _form_key(page: str, form_id: str) -> str:
    """The idempotency key of form ``form_id`` on ``page``."""
    form = page.split(f'id="{form_id}"')[1]
    return form.split('name="idempotency_key" value="')[1].split('"')[0]


def test_a_supervisor_sees_the_open_count_and_the_queue(
    agent: User, supervisor_client: Client, ask: Ask
) -> None:
    ask(agent, "a")
    ask(agent, "b", amount="700")

    page = supervisor_client.get(reverse("approvals:queue")).content.decode()

    assert 'aria-label="2 waiting"' in page
    assert "Give 700" in page
    assert "Give 900" in page
    assert "Waiting for a decision" in page


def test_the_count_leaves_out_the_approvers_own_requests(
    agent: User, supervisor: User, supervisor_client: Client, ask: Ask
) -> None:
    # Seen in a walkthrough: "Approvals 2" when one of the two was the supervisor's own, which
    # only another approver can decide.
    ask(agent, "theirs")
    ask(supervisor, "mine", amount="700")

    page = supervisor_client.get(reverse("approvals:queue")).content.decode()

    assert 'aria-label="1 waiting"' in page


def test_an_agent_sees_only_their_own_requests_and_no_decision_form(
    agent: User, agent_client: Client, make_staff: Callable[..., User], ask: Ask
) -> None:
    mine = ask(agent)
    ask(make_staff(Role.AGENT, username="bob.agent"), "other", amount="555")

    queue = agent_client.get(reverse("approvals:queue")).content.decode()
    detail = agent_client.get(reverse("approvals:detail", args=[mine.pk])).content.decode()

    assert "My requests" in queue
    assert "Give 900" in queue
    assert "Give 555" not in queue
    assert "Waiting for a decision" not in queue
    assert "<dt>Your request</dt><dd>Give 900</dd>" in detail
    assert "If you approve" not in detail
    assert "Give 900 to the guest." not in detail
    assert "A supervisor has to decide this request" in detail
    assert 'value="approve"' not in detail
    assert agent_client.post(reverse("approvals:decide", args=[mine.pk])).status_code == 403


def test_a_request_of_someone_else_is_not_shown_to_an_agent(
    agent_client: Client, make_staff: Callable[..., User], ask: Ask
) -> None:
    theirs = ask(make_staff(Role.AGENT, username="bob.agent"), "other")
    assert agent_client.get(reverse("approvals:detail", args=[theirs.pk])).status_code == 404


def test_approving_from_the_page_makes_the_change_and_the_requester_sees_it(
    agent: User, agent_client: Client, supervisor_client: Client, ask: Ask, writes: Writes
) -> None:
    request = ask(agent)
    url = reverse("approvals:detail", args=[request.pk])
    form = supervisor_client.get(url).content.decode()
    key = _form_key(form, "decision-form")

    answer = supervisor_client.post(
        reverse("approvals:decide", args=[request.pk]),
        {"idempotency_key": key, "decision": "approve", "reason_text": "Receipt checked"},
    )

    assert answer.status_code == 303
    assert answer["Location"] == url
    assert writes.calls == ["sam.supervisor"]
    seen = agent_client.get(reverse("approvals:queue")).content.decode()
    assert "Approved" in seen
    assert "by sam.supervisor" in seen
    assert "The big change is made." in seen


def test_the_requester_supervisor_gets_no_form_and_is_refused(
    make_staff: Callable[..., User], ask: Ask, writes: Writes
) -> None:
    boss = make_staff(Role.SUPERVISOR, username="sue.supervisor")
    client = Client()
    client.force_login(boss)
    request = ask(boss)

    detail = client.get(reverse("approvals:detail", args=[request.pk])).content.decode()
    answer = client.post(
        reverse("approvals:decide", args=[request.pk]),
        {"idempotency_key": "k-self", "decision": "approve", "reason_text": "mine"},
    )

    assert 'value="approve"' not in detail
    assert "Another supervisor has to decide" in detail
    assert answer.status_code == 403
    assert "another supervisor" in answer.content.decode()
    assert ApprovalRequest.objects.get().status == Status.OPEN
    assert writes.calls == []


def test_a_decision_without_a_reason_is_refused_and_changes_nothing(
    agent: User, supervisor_client: Client, ask: Ask
) -> None:
    request = ask(agent)
    answer = supervisor_client.post(
        reverse("approvals:decide", args=[request.pk]),
        {"idempotency_key": "k1", "decision": "reject", "reason_text": ""},
    )
    assert answer.status_code == 422
    assert ApprovalRequest.objects.get().status == Status.OPEN


def test_after_the_decision_the_page_says_what_was_asked_not_what_will_happen(
    agent: User, supervisor_client: Client, ask: Ask
) -> None:
    request = ask(agent)
    url = reverse("approvals:detail", args=[request.pk])
    before = supervisor_client.get(url).content.decode()
    key = _form_key(before, "decision-form")
    supervisor_client.post(
        reverse("approvals:decide", args=[request.pk]),
        {"idempotency_key": key, "decision": "reject", "reason_text": "No receipt"},
    )

    after = supervisor_client.get(url).content.decode()

    assert "<dt>If you approve</dt><dd>Give 900 to the guest.</dd>" in before
    assert "If you approve" not in after
    assert "<dt>What was asked</dt><dd>Give 900" in after
    assert "Rejected: nothing was changed." in after


def test_a_reason_without_a_code_has_no_stray_separator(
    agent: User, agent_client: Client, ask: Ask
):
    request = ask(agent)
    page = agent_client.get(reverse("approvals:detail", args=[request.pk])).content.decode()
    assert "<dt>Your reason</dt><dd>Guest was promised it</dd>" in page


def test_the_own_request_note_shows_only_on_the_supervisors_own_requests(
    agent: User, supervisor: User, supervisor_client: Client, ask: Ask
) -> None:
    ask(agent, "theirs")
    none_of_mine = supervisor_client.get(reverse("approvals:queue")).content.decode()
    ask(supervisor, "mine", amount="700")
    with_mine = supervisor_client.get(reverse("approvals:queue")).content.decode()

    assert "another supervisor" not in none_of_mine
    assert with_mine.count("(you: another supervisor decides)") == 1


def test_the_queue_dates_read_like_the_rest_of_the_site(
    agent: User, agent_client: Client, ask: Ask
) -> None:
    request = ask(agent)
    request.requested_at = datetime(2026, 11, 29, 19, 14, tzinfo=UTC)
    request.save(update_fields=["requested_at"])
    page = agent_client.get(reverse("approvals:queue")).content.decode()
    assert "Nov 29, 2026 7:14 PM" in page


def test_the_requester_withdraws_from_the_page_and_it_leaves_the_queue(
    agent: User, agent_client: Client, supervisor_client: Client, ask: Ask, writes: Writes
) -> None:
    request = ask(agent)
    url = reverse("approvals:detail", args=[request.pk])
    page = agent_client.get(url).content.decode()
    assert "Withdraw the request" in page
    assert 'aria-label="1 waiting"' in supervisor_client.get(url).content.decode()

    answer = agent_client.post(
        reverse("approvals:withdraw", args=[request.pk]),
        {"idempotency_key": _form_key(page, "withdraw-form"), "reason_text": "Sent twice"},
    )

    assert answer.status_code == 303
    assert answer["Location"] == url
    after = agent_client.get(url).content.decode()
    assert "Request withdrawn: nobody can approve it now." in after
    assert "Withdrawn: nothing was changed." in after
    assert "Withdraw the request" not in after
    assert "<dt>Why withdrawn</dt><dd>Sent twice" in after
    assert ApprovalRequest.objects.get().status == Status.WITHDRAWN
    seen = supervisor_client.get(reverse("approvals:queue")).content.decode()
    # Not counted in the navigation any more; listed among the requests decided lately.
    assert 'aria-label="1 waiting"' not in seen
    assert 'Withdrawn</span> <span class="muted">by alice.agent</span>' in seen
    assert 'value="approve"' not in supervisor_client.get(url).content.decode()
    assert writes.calls == []


def test_only_the_requester_sees_the_withdraw_form_and_anyone_else_is_refused(
    agent: User, supervisor_client: Client, ask: Ask
) -> None:
    request = ask(agent)
    url = reverse("approvals:detail", args=[request.pk])
    page = supervisor_client.get(url).content.decode()
    assert "Withdraw the request" not in page

    answer = supervisor_client.post(
        reverse("approvals:withdraw", args=[request.pk]),
        {"idempotency_key": _form_key(page, "decision-form"), "reason_text": ""},
    )

    assert answer.status_code == 403
    assert "Only the person who asked for it can withdraw a request." in answer.content.decode()
    assert ApprovalRequest.objects.get().status == Status.OPEN


def test_a_requests_times_are_said_in_the_zone_they_are_shown_in(
    agent: User, supervisor_client: Client, ask: Ask, settings: Any
) -> None:
    settings.TIME_ZONE = "America/New_York"
    with time_machine.travel("2026-11-30T15:04:05+00:00", tick=False):
        request = ask(agent, "a")

    queue = supervisor_client.get(reverse("approvals:queue")).content.decode()
    detail = supervisor_client.get(reverse("approvals:detail", args=[request.pk])).content.decode()

    assert ">Nov 30, 2026 10:04 AM EST</time>" in queue
    assert ">Nov 30, 2026 10:04 AM EST</time>" in detail
