"""Settling unknown outcomes by reading upstream back: only what the state can prove is final."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from portal.audit import settle
from portal.audit.actions import SETTLERS
from portal.audit.door import mutation_run
from portal.audit.models import AuditRecord, Outcome
from portal.audit.personal import identifier_record, text_digest, text_personal_mask
from portal.audit.reconcile import unknown_outcomes_reconcile
from portal.audit.types import AuditContext, MutationResult, Reason, Target
from portal.paytronix.errors import FailureError
from portal.sandbox import demo
from portal.staff.models import User
from tests.audit.conftest import ACCOUNT, CARD

pytestmark = pytest.mark.django_db

NEW_EMAIL = "new.friend@example.org"
ALREADY_REFERRED = "maya.friend@example.net"  # in the demo account's referrals from the start


@pytest.fixture(autouse=True)
def _settle_at_once(settings: Any) -> None:
    settings.AUDIT_SETTLE_AFTER = 0


def _latest(intent_id: int) -> AuditRecord:
    return AuditRecord.objects.filter(intent_id=intent_id).order_by("-seq").first()  # type: ignore[return-value]


def _after_grace(settings: Any) -> Any:
    return time_machine.travel(timezone.now() + timedelta(seconds=settings.AUDIT_NOT_APPLIED_AFTER))


def _unknown(sandbox: Any, endpoint: str, *, applied: bool, **door: Any) -> MutationResult:
    sandbox.faults.drop(endpoint=endpoint, process=applied, times=1)
    result = mutation_run(idempotency_key=f"{endpoint}-{applied}", context=AuditContext(), **door)
    assert result.outcome == Outcome.UNKNOWN
    return result


# -- card status: eventually consistent ----------------------------------------------------


def test_a_card_still_active_right_after_an_unknown_disable_is_not_yet_a_failure(
    sandbox: Any, agent: User, disable_card: Callable[..., MutationResult]
) -> None:
    sandbox.faults.drop(endpoint="changeCardStatus", process=False, times=1)
    result = disable_card(agent)

    assert unknown_outcomes_reconcile().waiting == 1
    assert _latest(result.intent_id).outcome == Outcome.UNKNOWN


def test_a_card_still_active_after_the_grace_period_settles_the_disable_as_failed(
    sandbox: Any, agent: User, disable_card: Callable[..., MutationResult], settings: Any
) -> None:
    sandbox.faults.drop(endpoint="changeCardStatus", process=False, times=1)
    result = disable_card(agent)

    with _after_grace(settings):
        assert unknown_outcomes_reconcile().settled == 1
    settled = _latest(result.intent_id)
    assert (settled.outcome, settled.upstream_result) == (Outcome.FAILED, "settled")
    assert "still ACTIVE" in settled.error_message


# -- username migration: only "no such user" means not applied -----------------------------


def _user_lookup_failing(error_code: str) -> Any:
    def user_information_by_account_id(*, account_id: int) -> Any:
        raise FailureError(result="failure", error_code=error_code)

    return SimpleNamespace(
        guest=SimpleNamespace(user_information_by_account_id=user_information_by_account_id)
    )


def _user_named(username: str) -> Any:
    user = SimpleNamespace(fields=SimpleNamespace(username=username))
    return SimpleNamespace(
        guest=SimpleNamespace(user_information_by_account_id=lambda *, account_id: user)
    )


def _migrate_intent(age: timedelta = timedelta(0), email: Any = None) -> Any:
    return SimpleNamespace(
        action="username.migrate_email",
        account_id=ACCOUNT,
        params={"email": email or identifier_record("ava@example.com")},
        occurred_at=timezone.now() - age,
    )


def test_a_username_lookup_failing_for_another_reason_cannot_settle_a_migration(
    settings: Any,
) -> None:
    old = timedelta(seconds=settings.AUDIT_REVIEW_AFTER)
    client = _user_lookup_failing("account_info.system_error")

    assert settle.username_migrated_settle(client, _migrate_intent(old), None) is None


def test_no_such_user_settles_a_migration_as_not_applied_only_after_the_grace_period(
    settings: Any,
) -> None:
    client = _user_lookup_failing(settle.NO_SUCH_USER)
    old = timedelta(seconds=settings.AUDIT_REVIEW_AFTER)

    assert settle.username_migrated_settle(client, _migrate_intent(), None) is None
    settlement = settle.username_migrated_settle(client, _migrate_intent(old), None)
    assert settlement is not None
    assert settlement.outcome == Outcome.FAILED


def test_a_username_reading_as_the_email_by_its_hash_settles_a_migration_as_applied(
    settings: Any,
) -> None:
    old = timedelta(seconds=settings.AUDIT_REVIEW_AFTER)
    applied = settle.username_migrated_settle(
        _user_named("Ava@Example.com"), _migrate_intent(), None
    )
    assert applied is not None
    assert applied.outcome == Outcome.SUCCEEDED
    # The old username still: not applied, once the grace period is over.
    assert settle.username_migrated_settle(_user_named("ava"), _migrate_intent(), None) is None
    stale = settle.username_migrated_settle(_user_named("ava"), _migrate_intent(old), None)
    assert stale is not None
    assert stale.outcome == Outcome.FAILED


def test_a_migration_recorded_before_the_log_masked_emails_still_settles() -> None:
    intent = _migrate_intent(email="ava@example.com")
    settlement = settle.username_migrated_settle(_user_named("ava@example.com"), intent, None)
    assert settlement is not None
    assert settlement.outcome == Outcome.SUCCEEDED


# -- referrals: a listed email may have been referred before -------------------------------


def _refer(agent: User, emails: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "actor": agent,
        "action": "referrals.add",
        "target": Target(account_id=ACCOUNT),
        "params": {
            "accountId": ACCOUNT,
            "emails": [identifier_record(email) for email in emails],
            **extra,
        },
        "reason": Reason(),
        "call": lambda client: client.guest.add_referrals_by_account_id(
            account_id=ACCOUNT, emails=emails
        ),
    }


def test_an_email_referred_before_does_not_prove_an_unknown_referral_was_applied(
    sandbox: Any, agent: User
) -> None:
    result = _unknown(
        sandbox, "addReferralsByAccountId", applied=False, **_refer(agent, [ALREADY_REFERRED])
    )

    assert unknown_outcomes_reconcile().waiting == 1
    assert _latest(result.intent_id).outcome == Outcome.UNKNOWN


def test_newly_referred_emails_listed_settle_the_referral_as_applied(
    sandbox: Any, agent: User
) -> None:
    door = _refer(
        agent, [ALREADY_REFERRED, NEW_EMAIL], alreadyReferred=[identifier_record(ALREADY_REFERRED)]
    )
    result = _unknown(sandbox, "addReferralsByAccountId", applied=True, **door)

    assert unknown_outcomes_reconcile().settled == 1
    assert _latest(result.intent_id).outcome == Outcome.SUCCEEDED


def test_newly_referred_emails_missing_after_the_grace_period_settle_it_as_not_applied(
    sandbox: Any, agent: User, settings: Any
) -> None:
    door = _refer(
        agent, [ALREADY_REFERRED, NEW_EMAIL], alreadyReferred=[identifier_record(ALREADY_REFERRED)]
    )
    result = _unknown(sandbox, "addReferralsByAccountId", applied=False, **door)

    assert unknown_outcomes_reconcile().waiting == 1
    with _after_grace(settings):
        assert unknown_outcomes_reconcile().settled == 1
    assert _latest(result.intent_id).outcome == Outcome.FAILED


# -- message frequency ---------------------------------------------------------------------


def _frequency(agent: User, preference: str = "SNOOZE") -> dict[str, Any]:
    return {
        "actor": agent,
        "action": "messaging.frequency",
        "target": Target(account_id=ACCOUNT, username=demo.DEMO_USERNAME),
        "params": {"accountId": ACCOUNT, "preference": preference},
        "reason": Reason(text="Too many emails"),
        "call": lambda client: client.guest.update_message_frequency(
            username=demo.DEMO_USERNAME, preference=preference
        ),
    }


def test_a_reply_without_the_frequency_cannot_settle_it() -> None:
    user = SimpleNamespace(fields=SimpleNamespace(message_frequency=None))
    client = SimpleNamespace(guest=SimpleNamespace(user_information=lambda *, username: user))
    intent = SimpleNamespace(
        params={"username": "ava", "preference": "SNOOZE"},
        account_id=None,
        occurred_at=timezone.now() - timedelta(days=1),
    )

    assert settle.message_frequency_settle(client, intent, None) is None  # type: ignore[arg-type]


# -- account notes -------------------------------------------------------------------------


def _note(agent: User, text: str) -> dict[str, Any]:
    return {
        "actor": agent,
        "action": "account_note.add",
        "target": Target(account_id=ACCOUNT, printed_card_number=CARD),
        "params": {
            "printedCardNumber": CARD,
            "comment": text_personal_mask(text),
            "commentHash": text_digest(text),
            "author": agent.username,
        },
        "reason": Reason(),
        "call": lambda client: client.csr.add_account_comment(
            printed_card_number=CARD, comment=text, author=agent.username
        ),
    }


def test_an_unknown_note_that_reached_upstream_is_settled_as_succeeded(
    sandbox: Any, agent: User
) -> None:
    # The record keeps the phone number masked; the note is found upstream by its hash.
    text = "Called about points, call back on 617-555-0142"
    result = _unknown(sandbox, "addAccountComment", applied=True, **_note(agent, text))

    assert AuditRecord.objects.get(pk=result.intent_id).params["comment"] == (
        "Called about points, call back on ***0142"
    )
    assert unknown_outcomes_reconcile().settled == 1
    assert _latest(result.intent_id).outcome == Outcome.SUCCEEDED


def test_the_same_note_written_earlier_does_not_settle_a_new_one(
    sandbox: Any, agent: User, settings: Any
) -> None:
    with time_machine.travel(timezone.now() - timedelta(hours=2)):
        assert mutation_run(
            idempotency_key="earlier", context=AuditContext(), **_note(agent, "Called about points")
        ).ok
    result = _unknown(
        sandbox, "addAccountComment", applied=False, **_note(agent, "Called about points")
    )

    assert unknown_outcomes_reconcile().waiting == 1
    with _after_grace(settings):
        assert unknown_outcomes_reconcile().settled == 1
    assert _latest(result.intent_id).outcome == Outcome.FAILED


# -- combine: proven by the card's account being closed into the main account -------------


def _combine(sandbox: Any, agent: User, card: str = demo.DEMO_COMBINE_OTHER_CARD) -> dict[str, Any]:
    # The intent names the account being combined (the card's own), as cards.services does.
    source = sandbox.state.card(card).account_id
    return {
        "actor": agent,
        "action": "cards.combine",
        "target": Target(account_id=source, printed_card_number=card, username=""),
        "params": {"printedCardNumber": card},
        "reason": Reason(text="Guest asked to merge balances"),
        "call": lambda client: client.guest.combine_card(printed_card_number=card),
    }


def test_an_unknown_combine_that_reached_upstream_is_settled_as_succeeded(
    sandbox: Any, supervisor: User
) -> None:
    result = _unknown(sandbox, "combineCard", applied=True, **_combine(sandbox, supervisor))

    assert unknown_outcomes_reconcile().settled == 1
    settled = _latest(result.intent_id)
    assert settled.outcome == Outcome.SUCCEEDED
    assert "closed into the surviving account" in settled.error_message


def test_an_unknown_combine_started_from_the_attached_account_that_never_happened_fails(
    sandbox: Any, supervisor: User, settings: Any
) -> None:
    # The intent's account is the attached account itself: the card is on it before and
    # after a combine that never happened; only its being closed would prove the combine.
    result = _unknown(sandbox, "combineCard", applied=False, **_combine(sandbox, supervisor))

    assert unknown_outcomes_reconcile().waiting == 1
    assert _latest(result.intent_id).outcome == Outcome.UNKNOWN
    with _after_grace(settings):
        assert unknown_outcomes_reconcile().settled == 1
    settled = _latest(result.intent_id)
    assert settled.outcome == Outcome.FAILED
    assert "still in its own account" in settled.error_message


def test_an_unknown_combine_that_suspended_the_account_settles_as_not_applied(
    sandbox: Any, supervisor: User, settings: Any
) -> None:
    card = demo.DEMO_NEAR_SUSPENSION_PAIR[1]
    result = _unknown(sandbox, "combineCard", applied=True, **_combine(sandbox, supervisor, card))

    assert sandbox.state.account_for_card(demo.DEMO_NEAR_SUSPENSION_PAIR[0]).status == "SUSPENDED"
    assert unknown_outcomes_reconcile().waiting == 1
    with _after_grace(settings):
        assert unknown_outcomes_reconcile().settled == 1
    assert _latest(result.intent_id).outcome == Outcome.FAILED


# -- attach: proven by the other card's account being the user's ---------------------------


def _attach(agent: User, *, combine: bool = False, main: str = CARD) -> dict[str, Any]:
    other = demo.DEMO_ATTACHABLE_CARD
    account = ACCOUNT if main == CARD else None

    def call(client: Any) -> None:
        endpoint = client.guest.attach_and_combine if combine else client.guest.attach_card
        endpoint(printed_card_number=main, other_printed_card_number=other)

    return {
        "actor": agent,
        "action": "cards.attach_and_combine" if combine else "card.attach",
        "target": Target(account_id=account, printed_card_number=main),
        "params": {"printedCardNumber": main, "otherPrintedCardNumber": other},
        "reason": Reason(text="Guest found an old card"),
        "call": call,
    }


def test_an_attach_and_combine_that_attached_but_did_not_combine_is_not_applied(
    sandbox: Any, supervisor: User, settings: Any
) -> None:
    # The near-suspension main account: the combine step is refused (accountSuspended) after
    # the attach; the other card is the user's, on its own account, not combined.
    main = demo.DEMO_NEAR_SUSPENSION_PAIR[0]
    door = _attach(supervisor, combine=True, main=main)
    door["target"] = Target(account_id=sandbox.state.card(main).account_id)
    result = _unknown(sandbox, "attachAndCombine", applied=True, **door)

    assert unknown_outcomes_reconcile().waiting == 1
    with _after_grace(settings):
        assert unknown_outcomes_reconcile().settled == 1
    settled = _latest(result.intent_id)
    assert settled.outcome == Outcome.FAILED
    assert "was not combined" in settled.error_message


# -- language: the same grace period as every other "not applied" --------------------------


def _language(agent: User, code: str = "fr-FR") -> dict[str, Any]:
    return {
        "actor": agent,
        "action": "language.set",
        "target": Target(account_id=ACCOUNT, username=demo.DEMO_USERNAME),
        "params": {"username": demo.DEMO_USERNAME, "languageCode": code},
        "reason": Reason(text="Guest asked for French"),
        "call": lambda client: client.guest.update_language_preference_by_username(
            username=demo.DEMO_USERNAME, language_code=code
        ),
    }


# -- wallet adjustments: from the history's reference, never from a balance ----------------


def _adjust(sandbox: Any, agent: User, *, applied: bool) -> MutationResult:
    from cards.services.wallets import adjustment_reference

    reference = adjustment_reference(f"adminAdjust-{applied}")
    return _unknown(
        sandbox,
        "adminAdjust",
        applied=applied,
        actor=agent,
        action="wallet.adjust",
        target=Target(account_id=ACCOUNT, printed_card_number=CARD),
        params={
            "wallet_code": 5,
            "limit_kind": "points",
            "quantity": "20",
            "activity_type": "ADD",
            "reference": reference,
        },
        reason=Reason(code="goodwill", text="Bad meal"),
        call=lambda client: client.transaction.admin_adjust(
            printed_card_number=CARD,
            wallet_code=5,
            quantity=Decimal(20),
            activity_type="ADD",
            comment="Goodwill: Bad meal",
            reference=reference,
            operator_id=str(agent.pk),
        ),
    )


def test_an_unknown_adjustment_in_the_history_is_settled_as_applied(
    sandbox: Any, agent: User
) -> None:
    result = _adjust(sandbox, agent, applied=True)

    assert unknown_outcomes_reconcile().settled == 1
    settled = _latest(result.intent_id)
    assert settled.outcome == Outcome.SUCCEEDED
    assert "carries the reference LD-" in settled.error_message


def test_an_unknown_adjustment_missing_from_the_history_fails_only_after_the_grace_period(
    sandbox: Any, agent: User, settings: Any
) -> None:
    result = _adjust(sandbox, agent, applied=False)
    # Another change moves the same wallet meanwhile: a balance would lie, the history does not.
    sandbox.state.account(ACCOUNT).wallet(5).balance += 20

    assert unknown_outcomes_reconcile().waiting == 1
    with _after_grace(settings):
        assert unknown_outcomes_reconcile().settled == 1
    assert _latest(result.intent_id).outcome == Outcome.FAILED


def test_an_unknown_adjustment_not_yet_visible_waits_then_succeeds(
    sandbox: Any, agent: User
) -> None:
    sandbox.faults.set_consistency_delay(30)
    result = _adjust(sandbox, agent, applied=True)

    assert unknown_outcomes_reconcile().waiting == 1
    sandbox.advance(31)
    assert unknown_outcomes_reconcile().settled == 1
    assert _latest(result.intent_id).outcome == Outcome.SUCCEEDED


@pytest.mark.parametrize("applied", [True, False])
def test_an_unknown_adjustment_is_not_failed_on_a_history_that_keeps_no_references(
    sandbox: Any, agent: User, settings: Any, history_without_references: None, applied: bool
) -> None:
    # That upstream keeps the reference as posTransactionNumber is ASSUMED. Where no
    # transaction carries one of the console's, a transaction dated since the adjustment may
    # be it: that cannot be settled either way, and is left for review. With nothing since,
    # nothing was applied.
    result = _adjust(sandbox, agent, applied=applied)

    with _after_grace(settings):
        summary = unknown_outcomes_reconcile()
    if applied:
        assert (summary.settled, summary.waiting) == (0, 1)
        assert _latest(result.intent_id).outcome == Outcome.UNKNOWN
        later = timezone.now() + timedelta(seconds=settings.AUDIT_REVIEW_AFTER + 1)
        with time_machine.travel(later):
            assert unknown_outcomes_reconcile().reviewed == 1
        assert _latest(result.intent_id).outcome == Outcome.NEEDS_REVIEW
    else:
        assert summary.settled == 1
        assert _latest(result.intent_id).outcome == Outcome.FAILED


# -- username migration through the sandbox --------------------------------------------------


def _migrate(agent: User) -> dict[str, Any]:
    return {
        "actor": agent,
        "action": "username.migrate_email",
        "target": Target(account_id=ACCOUNT, username=demo.DEMO_USERNAME),
        "params": {"username": demo.DEMO_USERNAME, "email": demo.DEMO_EMAIL},
        "reason": Reason(text="Guest wants to sign in with their email"),
        "call": lambda client: client.guest.migrate_email_as_username(
            username=demo.DEMO_USERNAME, email=demo.DEMO_EMAIL
        ),
    }


# -- every action both ways, and not yet visible (a change upstream shows late) ---------------


def _disable(sandbox: Any, agent: User) -> dict[str, Any]:
    return {
        "actor": agent,
        "action": "card.disable",
        "target": Target(account_id=ACCOUNT, printed_card_number=CARD),
        "params": {"printedCardNumber": CARD, "status": "DISABLED"},
        "reason": Reason(code="lost", text="Guest lost it on the train"),
        "call": lambda client: client.guest.change_card_status(
            printed_card_number=CARD, status="DISABLED"
        ),
    }


def _enable(sandbox: Any, agent: User) -> dict[str, Any]:
    card = demo.DEMO_DISABLED_CARD
    return {
        "actor": agent,
        "action": "card.enable",
        "target": Target(account_id=sandbox.state.card(card).account_id, printed_card_number=card),
        "params": {"printedCardNumber": card, "status": "ACTIVE"},
        "reason": Reason(code="found", text="Guest found the card"),
        "call": lambda client: client.guest.change_card_status(
            printed_card_number=card, status="ACTIVE"
        ),
    }


#: action → (the endpoint whose reply is lost, the door's arguments for it)
_EVERY_ACTION: dict[str, tuple[str, Callable[[Any, User], dict[str, Any]]]] = {
    "card.disable": ("changeCardStatus", _disable),
    "card.enable": ("changeCardStatus", _enable),
    "card.attach": ("attachCard", lambda sandbox, user: _attach(user)),
    "cards.attach_and_combine": ("attachAndCombine", lambda s, user: _attach(user, combine=True)),
    "cards.combine": ("combineCard", _combine),
    "account_note.add": ("addAccountComment", lambda s, user: _note(user, "Called about points")),
    "messaging.frequency": ("updateMessageFrequency", lambda sandbox, user: _frequency(user)),
    "referrals.add": (
        "addReferralsByAccountId",
        lambda sandbox, user: _refer(
            user, [ALREADY_REFERRED, NEW_EMAIL], alreadyReferred=[ALREADY_REFERRED]
        ),
    ),
    "username.migrate_email": ("migrateEmailAsUsername", lambda sandbox, user: _migrate(user)),
    "language.set": ("updateUserLanguagePrefByUsername", lambda sandbox, user: _language(user)),
}


#: Actions whose settle functions are proved not-yet-visible beside their own code.
_TESTED_BESIDE_THEIR_CODE = {
    "wallet.adjust": "this file: test_an_unknown_adjustment_not_yet_visible_waits_then_succeeds",
    "wallet.void": "tests/cards/test_wallet_voids.py",
    "payment.autorecharge.disable": "tests/cards/test_payments.py",
    "payment.method.remove": "tests/cards/test_payments.py",
    "balance.transfer": "tests/cards/test_transfer.py",
    "card.exchange": "tests/cards/test_exchange.py",
    **dict.fromkeys(
        (
            "guest.edit",
            "guest.edit_account",
            "guest.address_add",
            "guest.address_edit",
            "guest.address_delete",
            "guest.delete",
        ),
        "tests/audit/test_settle_profile.py",
    ),
}


def test_every_action_with_a_settle_function_is_in_the_table_or_tested_beside_its_code() -> None:
    assert set(_EVERY_ACTION).isdisjoint(_TESTED_BESIDE_THEIR_CODE)
    assert set(_EVERY_ACTION) | set(_TESTED_BESIDE_THEIR_CODE) == set(SETTLERS)


@pytest.mark.parametrize("action", sorted(_EVERY_ACTION))
def test_an_unknown_change_not_yet_visible_waits_then_settles_as_succeeded(
    sandbox: Any, supervisor: User, settings: Any, action: str
) -> None:
    # The reply is lost after upstream applied the write, and reads show it 30 s late: inside
    # the grace period "not changed yet" is no verdict; once visible, the write is proven.
    endpoint, door = _EVERY_ACTION[action]
    sandbox.faults.set_consistency_delay(30)
    result = _unknown(sandbox, endpoint, applied=True, **door(sandbox, supervisor))

    assert unknown_outcomes_reconcile().waiting == 1
    assert _latest(result.intent_id).outcome == Outcome.UNKNOWN
    sandbox.advance(31)
    assert unknown_outcomes_reconcile().settled == 1
    assert _latest(result.intent_id).outcome == Outcome.SUCCEEDED


@pytest.mark.parametrize("action", sorted(_EVERY_ACTION))
def test_an_unknown_change_that_reached_upstream_settles_as_succeeded(
    sandbox: Any, supervisor: User, action: str
) -> None:
    endpoint, door = _EVERY_ACTION[action]
    result = _unknown(sandbox, endpoint, applied=True, **door(sandbox, supervisor))

    assert unknown_outcomes_reconcile().settled == 1
    settled = _latest(result.intent_id)
    assert (settled.outcome, settled.upstream_result) == (Outcome.SUCCEEDED, "settled")


@pytest.mark.parametrize("action", sorted(_EVERY_ACTION))
def test_an_unknown_change_that_never_arrived_fails_only_after_the_grace_period(
    sandbox: Any, supervisor: User, settings: Any, action: str
) -> None:
    endpoint, door = _EVERY_ACTION[action]
    result = _unknown(sandbox, endpoint, applied=False, **door(sandbox, supervisor))

    assert unknown_outcomes_reconcile().waiting == 1
    assert _latest(result.intent_id).outcome == Outcome.UNKNOWN
    with _after_grace(settings):
        assert unknown_outcomes_reconcile().settled == 1
    settled = _latest(result.intent_id)
    assert (settled.outcome, settled.upstream_result) == (Outcome.FAILED, "settled")
