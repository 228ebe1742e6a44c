"""The door: one intent and one outcome per change, idempotency, refusals, fail closed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connections, transaction

from portal.audit import door
from portal.audit.door import mutation_run
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.scrub import card_hash
from portal.audit.types import AuditContext, MutationResult, Reason, Target
from portal.guestcache import guest_cached
from portal.jobs.runner import ItemResult
from portal.paytronix.errors import MalformedReplyError, MoreInfoError
from portal.sandbox import demo
from portal.staff.models import User
from portal.staff.roles import Role
from tests.audit.conftest import ACCOUNT, CARD, Upstream, intents, outcomes

pytestmark = pytest.mark.django_db

DisableCard = Callable[..., MutationResult]


def test_disabling_a_card_records_one_intent_then_one_outcome(
    sandbox: Any, agent: User, disable_card: DisableCard, upstream: Upstream
) -> None:
    result = disable_card(agent)

    assert result.ok
    assert not result.replayed
    assert upstream.calls == 1
    assert sandbox.state.card(CARD).status == "DISABLED"
    [intent], [outcome] = intents(), outcomes()
    assert (intent.action, intent.outcome, intent.seq) == ("card.disable", Outcome.PENDING, 1)
    assert (intent.actor_id, intent.actor_username, intent.actor_role) == (
        agent.pk,
        "alice.agent",
        "agent",
    )
    assert (intent.account_id, intent.card_masked) == (ACCOUNT, CARD[-6:])
    assert intent.card_hash == card_hash(CARD)
    assert (intent.reason_code, intent.reason_text) == ("lost", "Guest lost it on the train")
    assert intent.params["printedCardNumber"] == {"masked": CARD[-6:], "hash": card_hash(CARD)}
    assert intent.idempotency_key == "form-key-1"
    assert outcome.intent == intent
    assert (outcome.outcome, outcome.upstream_result) == (Outcome.SUCCEEDED, "success")
    assert outcome.duration_ms is not None
    assert (outcome.actor_username, outcome.action, outcome.card_hash) == (
        "alice.agent",
        "card.disable",
        card_hash(CARD),
    )
    assert result.intent_id == intent.pk


def test_an_upstream_failure_is_recorded_with_its_result_and_error_code(
    sandbox: Any, agent: User, disable_card: DisableCard
) -> None:
    result = disable_card(agent, card=demo.DEMO_EXCHANGED_CARD)

    assert result.outcome == Outcome.FAILED
    assert (result.upstream_result, result.error_code) == ("failure", "card_status.card_exchanged")
    [outcome] = outcomes()
    assert (outcome.outcome, outcome.upstream_result, outcome.error_code) == (
        Outcome.FAILED,
        "failure",
        "card_status.card_exchanged",
    )
    assert len(intents()) == 1


def test_more_info_is_recorded_with_the_fields_upstream_asked_for(
    sandbox: Any, agent: User
) -> None:
    other = demo.DEMO_CARD_WITH_REGISTRATION_CODE
    result = mutation_run(
        actor=agent,
        action="card.attach",
        target=Target(account_id=ACCOUNT, printed_card_number=CARD),
        params={"printedCardNumber": CARD, "otherPrintedCardNumber": other},
        reason=Reason(text="Guest found an old card"),
        idempotency_key="attach-1",
        context=AuditContext(),
        call=lambda client: client.guest.attach_card(
            printed_card_number=CARD, other_printed_card_number=other
        ),
    )

    assert result.outcome == Outcome.NEEDS_MORE_INFO
    assert result.fields == ["registrationCode"]
    assert isinstance(result.error, MoreInfoError)
    [outcome] = outcomes()
    assert outcome.upstream_result == "more_info"
    assert outcome.upstream_detail == {"fields": ["registrationCode"]}


def _disabled_answering(key: str, reply: dict[str, Any], agent: User) -> Any:
    """A card disabled through the door, upstream answering ``reply``."""
    return mutation_run(
        actor=agent,
        action="card.disable",
        target=Target(account_id=ACCOUNT, printed_card_number=CARD),
        params={"printedCardNumber": CARD},
        reason=Reason(code="lost"),
        idempotency_key=key,
        context=AuditContext(),
        call=lambda client: reply,
    )


def test_a_card_number_in_upstreams_reply_is_recorded_masked_and_hashed_once(
    sandbox: Any, agent: User
) -> None:
    # Seen in a walkthrough: the reply's detail, scrubbed when read and again when recorded,
    # kept the card as "9df4'}": the tail of the first scrub's text, masked a second time.
    result = _disabled_answering(
        "reply-card", {"printedCardNumber": CARD, "cards": [{"printedCardNumber": CARD}]}, agent
    )

    assert result.outcome == Outcome.SUCCEEDED
    [outcome] = outcomes()
    scrubbed = {"masked": CARD[-6:], "hash": card_hash(CARD)}
    assert outcome.upstream_detail == {
        "printedCardNumber": scrubbed,
        "cards": [{"printedCardNumber": scrubbed}],
    }
    assert CARD not in str(outcome.upstream_detail)


def test_a_write_that_may_have_reached_upstream_is_recorded_unknown(
    sandbox: Any, agent: User, disable_card: DisableCard
) -> None:
    sandbox.faults.drop(endpoint="changeCardStatus", process=True, times=1)

    result = disable_card(agent)

    assert result.outcome == Outcome.UNKNOWN
    assert result.transient
    [outcome] = outcomes()
    assert (outcome.outcome, outcome.error_code, outcome.transient) == (
        Outcome.UNKNOWN,
        "outcome_unknown",
        True,
    )


def test_a_fault_before_anything_was_sent_is_failed_and_transient(
    agent: User, disable_card: DisableCard, settings: Any, upstream: Upstream
) -> None:
    settings.PAYTRONIX_BASE_URL = "http://127.0.0.1:9/rest/25.33/"  # nothing listens there

    result = disable_card(agent)

    assert (result.outcome, result.transient) == (Outcome.FAILED, True)
    assert upstream.calls == 1
    [outcome] = outcomes()
    assert outcome.error_code == "TransportError"


def test_a_write_whose_reply_cannot_be_parsed_is_unknown_and_not_retryable(
    sandbox: Any, agent: User, disable_card: DisableCard
) -> None:
    def applied_then_garbled(client: Any) -> None:
        client.guest.change_card_status(printed_card_number=CARD, status="DISABLED")
        raise MalformedReplyError("malformed reply: status is not str")

    result = disable_card(agent, call=applied_then_garbled)

    assert result.outcome == Outcome.UNKNOWN
    assert sandbox.state.card(CARD).status == "DISABLED"
    [outcome] = outcomes()
    assert (outcome.outcome, outcome.error_code) == (Outcome.UNKNOWN, "outcome_unknown")
    assert not ItemResult.from_mutation(result).retry


def test_arguments_the_client_refuses_are_failed_as_never_sent(
    sandbox: Any, agent: User, disable_card: DisableCard
) -> None:
    def bad_status(client: Any) -> None:
        client.guest.change_card_status(printed_card_number=CARD, status="LOST")

    result = disable_card(agent, call=bad_status)

    assert result.outcome == Outcome.FAILED
    assert result.error_code == "request.invalid"
    assert result.error_message.startswith("not sent: ")
    assert not result.transient
    assert sandbox.state.card(CARD).status == "ACTIVE"
    [outcome] = outcomes()
    assert (outcome.outcome, outcome.error_code) == (Outcome.FAILED, "request.invalid")


def test_a_second_submit_with_the_same_key_returns_the_first_outcome_without_calling_again(
    sandbox: Any, agent: User, disable_card: DisableCard, upstream: Upstream
) -> None:
    first = disable_card(agent)
    second = disable_card(agent)

    assert upstream.calls == 1
    assert second.replayed
    assert second.ok
    assert second.intent_id == first.intent_id
    assert (len(intents()), len(outcomes())) == (1, 1)


def test_a_new_key_is_a_new_change(
    sandbox: Any, agent: User, disable_card: DisableCard, upstream: Upstream
) -> None:
    disable_card(agent, key="one")
    disable_card(agent, key="two")

    assert upstream.calls == 2
    assert (len(intents()), len(outcomes())) == (2, 2)


def test_a_key_reused_for_another_change_is_refused_without_calling(
    sandbox: Any, agent: User, disable_card: DisableCard, upstream: Upstream
) -> None:
    disable_card(agent)

    with pytest.raises(ValidationError, match="already used for a different change"):
        disable_card(agent, card=demo.DEMO_ATTACHABLE_CARD)

    assert upstream.calls == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_with_the_same_key_make_one_upstream_call(
    sandbox: Any, agent: User, disable_card: DisableCard
) -> None:
    calls = []
    started = threading.Barrier(4)
    results: list[MutationResult] = []

    def slow_disable(client: Any) -> None:
        calls.append(1)
        time.sleep(0.3)
        client.guest.change_card_status(printed_card_number=CARD, status="DISABLED")

    def submit() -> None:
        started.wait()
        try:
            results.append(disable_card(agent, key="double-click", call=slow_disable))
        finally:
            from django.db import connection

            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(calls) == 1
    assert sorted(r.replayed for r in results) == [False, True, True, True]
    assert {r.outcome for r in results} == {Outcome.SUCCEEDED}
    assert (len(intents()), len(outcomes())) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_submit_that_outwaits_the_first_reports_in_progress(
    sandbox: Any, agent: User, disable_card: DisableCard, settings: Any
) -> None:
    settings.AUDIT_IN_PROGRESS_WAIT = 0.2
    first_is_calling = threading.Event()
    release = threading.Event()

    def held_disable(client: Any) -> None:
        first_is_calling.set()
        release.wait(5)

    def first() -> None:
        try:
            disable_card(agent, key="slow", call=held_disable)
        finally:
            from django.db import connection

            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    first_is_calling.wait(5)
    second = disable_card(agent, key="slow", call=held_disable)
    release.set()
    thread.join()

    assert second.in_progress
    assert second.replayed
    assert second.outcome == Outcome.PENDING


def test_a_missing_reason_is_refused_and_changes_nothing(
    sandbox: Any, agent: User, disable_card: DisableCard, upstream: Upstream
) -> None:
    with pytest.raises(ValidationError, match="Choose a reason"):
        disable_card(agent, reason=Reason())

    assert upstream.calls == 0
    assert sandbox.state.card(CARD).status == "ACTIVE"
    assert not AuditRecord.objects.exists()


def test_the_reason_other_needs_words(
    sandbox: Any, agent: User, disable_card: DisableCard, upstream: Upstream
) -> None:
    with pytest.raises(ValidationError, match="needs a few words"):
        disable_card(agent, reason=Reason(code="other"))
    with pytest.raises(ValidationError, match="listed reasons"):
        disable_card(agent, reason=Reason(code="bored"))

    assert upstream.calls == 0


def test_an_action_without_reason_codes_needs_free_text(sandbox: Any, agent: User) -> None:
    with pytest.raises(ValidationError, match="Give a reason"):
        mutation_run(
            actor=agent,
            action="messaging.frequency",
            target=Target(account_id=ACCOUNT, username=demo.DEMO_USERNAME),
            params={"username": demo.DEMO_USERNAME, "preference": "SNOOZE"},
            reason=Reason(text="  "),
            idempotency_key="k",
            context=AuditContext(),
            call=lambda client: None,
        )


def test_a_user_without_the_permission_is_refused_and_the_denial_recorded(
    sandbox: Any, auditor: User, disable_card: DisableCard, upstream: Upstream
) -> None:
    with pytest.raises(PermissionDenied):
        disable_card(auditor)

    assert upstream.calls == 0
    assert sandbox.state.card(CARD).status == "ACTIVE"
    [denial] = AuditRecord.objects.all()
    assert (denial.kind, denial.action, denial.outcome) == (
        Kind.EVENT,
        "card.disable",
        Outcome.DENIED,
    )
    assert denial.params["missing_permission"] == "change_card_status"
    assert denial.actor_username == "ari.auditor"


def test_a_supervisor_only_action_is_refused_to_an_agent(sandbox: Any, agent: User) -> None:
    with pytest.raises(PermissionDenied):
        mutation_run(
            actor=agent,
            action="cards.combine",
            target=Target(printed_card_number=demo.DEMO_COMBINE_OTHER_CARD),
            params={},
            reason=Reason(text="merge"),
            idempotency_key="k",
            context=AuditContext(),
            call=lambda client: None,
        )


def test_a_store_scoped_user_changes_only_guests_of_their_store_group(
    sandbox: Any, store_manager: User, disable_card: DisableCard, upstream: Upstream
) -> None:
    # Store managers have no change permission by role; grant one to test the scope itself.
    from django.contrib.auth.models import Permission

    store_manager.user_permissions.add(Permission.objects.get(codename="change_card_status"))
    manager = User.objects.get(pk=store_manager.pk)

    with pytest.raises(PermissionDenied):
        disable_card(manager, target=Target(account_id=ACCOUNT, printed_card_number=CARD))
    assert upstream.calls == 0
    assert AuditRecord.objects.get().params["out_of_scope"] is True

    result = disable_card(
        manager,
        target=Target(account_id=ACCOUNT, printed_card_number=CARD, store_group_code=100),
    )
    assert result.ok
    assert upstream.calls == 1


def test_when_the_intent_cannot_be_written_nothing_is_sent(
    sandbox: Any,
    agent: User,
    disable_card: DisableCard,
    upstream: Upstream,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(**fields: Any) -> tuple[AuditRecord, bool]:
        raise DatabaseError("disk full")

    monkeypatch.setattr(door, "intent_append_or_first", broken)

    with pytest.raises(DatabaseError):
        disable_card(agent)

    assert upstream.calls == 0
    assert sandbox.state.card(CARD).status == "ACTIVE"


def test_the_door_refuses_to_run_inside_a_transaction(
    sandbox: Any, agent: User, disable_card: DisableCard, upstream: Upstream
) -> None:
    # Inside a transaction the intent could not be committed before the call.
    with pytest.raises(RuntimeError, match="outside a transaction"), transaction.atomic():
        disable_card(agent)

    assert upstream.calls == 0


def test_a_bug_in_the_call_leaves_an_unknown_outcome_and_is_raised(
    sandbox: Any, agent: User, disable_card: DisableCard
) -> None:
    def buggy(client: Any) -> None:
        client.guest.change_card_status(printed_card_number=CARD, status="DISABLED")
        raise KeyError("reply field")

    with pytest.raises(KeyError):
        disable_card(agent, call=buggy)

    [outcome] = outcomes()
    assert (outcome.outcome, outcome.error_code) == (Outcome.UNKNOWN, "internal_error")


def test_a_change_drops_the_guests_cached_reads(
    sandbox: Any, agent: User, disable_card: DisableCard
) -> None:
    fetches = []

    def read() -> str:
        fetches.append(1)
        return sandbox.state.card(CARD).status

    assert guest_cached("account", read, account_id=ACCOUNT) == "ACTIVE"
    assert guest_cached("account", read, account_id=ACCOUNT) == "ACTIVE"
    disable_card(agent)

    assert guest_cached("account", read, account_id=ACCOUNT) == "DISABLED"
    assert len(fetches) == 2


def test_a_resubmit_after_the_first_process_died_settles_by_reading_upstream(
    sandbox: Any, agent: User, disable_card: DisableCard, upstream: Upstream, settings: Any
) -> None:
    # The first process recorded its intent, changed the card upstream, then died.
    spec = door.action_get("card.disable")
    with transaction.atomic():
        door.intent_claim(
            actor=agent,
            spec=spec,
            target=Target(account_id=ACCOUNT, printed_card_number=CARD),
            params={},
            reason=Reason(code="lost"),
            idempotency_key="died",
            context=door.AuditContext(),
        )

    def apply(model: Any, moment: Any) -> None:
        model.cards[CARD].status = "DISABLED"

    sandbox.state.write(apply)
    settings.AUDIT_IN_PROGRESS_WAIT = 0
    settings.AUDIT_ABANDONED_AFTER = 0

    result = disable_card(agent, key="died")

    assert upstream.calls == 0
    assert result.ok
    assert result.replayed
    unknown, settled = outcomes()
    assert (unknown.outcome, unknown.error_code) == (Outcome.UNKNOWN, "abandoned")
    assert (settled.outcome, settled.upstream_result) == (Outcome.SUCCEEDED, "settled")
    assert "the card is DISABLED" in settled.error_message


def test_roles_at_the_time_are_recorded(
    sandbox: Any, make_staff: Callable[..., User], disable_card: DisableCard
) -> None:
    supervisor = make_staff(Role.SUPERVISOR, username="sue")
    disable_card(supervisor)

    assert {r.actor_role for r in AuditRecord.objects.all()} == {"supervisor"}


def test_a_write_that_finds_no_write_slot_in_time_is_not_sent_and_failed(
    sandbox: Any, agent: User, disable_card: DisableCard
) -> None:
    from portal.paytronix.guard import WriteSlots, writes_at_once

    slots = WriteSlots(threading.BoundedSemaphore(1), wait=0.2)
    slots.slots.acquire()  # another write holds the only slot, and keeps it
    with writes_at_once(slots):
        result = disable_card(agent)
    assert not result.ok
    assert sandbox.state.card(CARD).status == "ACTIVE"  # nothing reached upstream
    [outcome] = outcomes()
    # Provably never sent: failed (not unknown), so a job tries the item again.
    assert outcome.outcome == Outcome.FAILED
    assert "not sent, every write slot of the job stayed busy" in outcome.error_message
    slots.slots.release()
    # The slot's own count is intact: the refused write took none.
    assert slots.slots.acquire(blocking=False)


@pytest.mark.django_db(transaction=True)
def test_a_write_waits_for_a_write_slot_and_gives_it_back_with_the_answer(
    sandbox: Any, agent: User, disable_card: DisableCard
) -> None:
    from portal.paytronix.guard import WriteSlots, writes_at_once

    slots = WriteSlots(threading.BoundedSemaphore(1), wait=10)
    slots.slots.acquire()
    results: list[MutationResult] = []

    def write() -> None:
        try:
            with writes_at_once(slots):
                results.append(disable_card(agent))
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.3)
    assert sandbox.state.card(CARD).status == "ACTIVE"  # waiting for the slot: not sent
    slots.slots.release()
    writer.join(timeout=10)
    [result] = results
    assert result.ok
    assert sandbox.state.card(CARD).status == "DISABLED"
    assert slots.slots.acquire(blocking=False)


def test_a_wallets_name_in_upstreams_reply_is_kept_and_a_persons_is_masked(
    sandbox: Any, agent: User
) -> None:
    # Seen in a walkthrough: an adjustment's record said "name P***" for the Points wallet.
    reply = {
        "walletContents": [{"walletCode": 1, "name": "Points", "quantity": "25"}],
        "pointBalances": [{"name": "Visits", "balance": "3"}],
        "referral": {"code": "R-1", "name": "Ava Thompson"},
        "name": "Ava Thompson",
    }
    _disabled_answering("reply-names", reply, agent)

    [outcome] = outcomes()
    detail = outcome.upstream_detail
    assert detail["walletContents"][0]["name"] == "Points"
    assert detail["pointBalances"][0]["name"] == "Visits"
    assert detail["referral"]["name"] != "Ava Thompson"
    assert detail["name"] != "Ava Thompson"
    assert "Thompson" not in str(detail)
