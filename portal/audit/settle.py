"""Settling an ``unknown`` outcome by reading upstream state back.

A write whose transport failed after it may have reached Paytronix is never resent; instead,
one of these functions reads the state the write would have produced and says whether it did.
Each receives the client, the intent record and, when the door settles in the process that
still holds it, the ``Target`` (with the full card number, which the record never has). It
returns a ``Settlement``, or ``None`` when the state cannot tell (the reconciler then tries again
later, and marks the intent for review once it is too old).

The parameter names read here are the ones the door records for each action; see
``portal/audit/actions.py`` and the door's docstring. Each function is registered for its
actions at the end of this module (imported by ``AuditConfig.ready``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from portal.audit.actions import settler_register
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.personal import identifier_digest, identifier_hash, text_digest
from portal.audit.scrub import card_hash, text_scrub
from portal.audit.selectors import latest_outcomes
from portal.audit.types import Settlement, Target
from portal.paytronix.errors import FailureError, InvalidStatusError
from portal.paytronix.transaction import reference_absence_unproven
from portal.sentences import MERGED

#: userInformation's answer for a username that does not exist (any other error tells nothing).
NO_SUCH_USER = "account_info.invalid_user"
_CLOCK_SLACK = timedelta(minutes=1)


def applied(message: str) -> Settlement:
    """The read-back shows the change: it was applied (``message`` says what was read)."""
    return Settlement(Outcome.SUCCEEDED, f"settled by reading back: {message}")


def _not_applied(message: str) -> Settlement:
    return Settlement(Outcome.FAILED, f"settled by reading back: {message}")


def _settled_upstream(intent: AuditRecord) -> bool:
    """Upstream is eventually consistent: a read soon after a write may show the old state.
    Only once the intent is older than ``AUDIT_NOT_APPLIED_AFTER`` does "not changed" mean
    "not applied"; before that it means "cannot tell yet" (and the reconciler reads again)."""
    grace = timedelta(seconds=settings.AUDIT_NOT_APPLIED_AFTER)
    return timezone.now() - intent.occurred_at >= grace


def not_applied_after_grace(intent: AuditRecord, message: str) -> Settlement | None:
    """The read-back does not show the change: not applied once upstream's consistency grace
    has passed since ``intent``; None (cannot tell yet) before."""
    return _not_applied(message) if _settled_upstream(intent) else None


def _full_card(target: Target | None) -> str:
    return target.printed_card_number if target is not None else ""


def _account(client: Any, intent: AuditRecord, target: Target | None) -> Any | None:
    number = _full_card(target)
    if number:
        return client.guest.account_information(printed_card_number=number)
    if intent.account_id is not None:
        return client.guest.account_information_by_id(account_id=intent.account_id)
    return None


def _cards(account: Any) -> Iterable[Any]:
    if account.primary_card is not None:
        yield account.primary_card
    yield from account.additional_cards


def card_with_hash(account: Any, wanted: str) -> Any | None:
    """The card of ``account`` whose full number has the keyed hash ``wanted`` (the audit's own
    name for a card), or None."""
    for card in _cards(account):
        if card.printed_card_number and card_hash(card.printed_card_number) == wanted:
            return card
    return None


_CARD_STATUS_ACTIONS = {"card.disable": "DISABLED", "card.enable": "ACTIVE"}
#: The latest outcomes of a change that may have been applied (no outcome yet: under way).
_MAY_HAVE_GONE_THROUGH = (Outcome.SUCCEEDED, Outcome.UNKNOWN, Outcome.NEEDS_REVIEW)
#: How many later status changes of a card are looked at (newest first).
_LATER_LOOKED_AT = 20


def later_status_change(intent: AuditRecord) -> AuditRecord | None:
    """The newest status change of the same card made after ``intent`` that went through (or
    may have: its outcome unknown), if any: the card's status read back is then its doing as
    much as ``intent``'s."""
    later = AuditRecord.objects.filter(
        kind=Kind.INTENT,
        action__in=list(_CARD_STATUS_ACTIONS),
        card_hash=intent.card_hash,
        seq__gt=intent.seq,
    ).order_by("-seq")[:_LATER_LOOKED_AT]
    changes = list(later)
    ended = latest_outcomes([change.pk for change in changes])
    for change in changes:
        # One still under way (no outcome yet) may go through as well.
        if ended.get(change.pk, Outcome.UNKNOWN) in _MAY_HAVE_GONE_THROUGH:
            return change
    return None


def card_status_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """card.disable / card.enable: is the card now in the status asked for? After a later
    status change of the same card that went through, the status read back cannot say which
    of the two made it: the card as asked says both asked for it; otherwise it cannot tell
    (the reconciler marks it for review)."""
    wanted = _CARD_STATUS_ACTIONS[intent.action]
    account = _account(client, intent, target)
    card = card_with_hash(account, intent.card_hash) if account is not None else None
    if card is None or not card.status:
        return None
    later = later_status_change(intent) if intent.card_hash else None
    if later is not None:
        if card.status != wanted or _CARD_STATUS_ACTIONS[later.action] != wanted:
            return None
        return applied(
            f"the card is {card.status}, as a later change of its status (record "
            f"#{later.seq}, by {later.actor_username or 'the system'}) also asked: which of the "
            "two made it so cannot be told"
        )
    if card.status == wanted:
        return applied(f"the card is {card.status}")
    return not_applied_after_grace(intent, f"the card is still {card.status}")


def param_hash(intent: AuditRecord, name: str) -> str:
    """The keyed hash the intent's parameter ``name`` was recorded as ("" if none)."""
    value = intent.params.get(name)
    found = value.get("hash") if isinstance(value, dict) else None
    return found if isinstance(found, str) else ""


def _accounts_of_user(client: Any, account_id: int) -> Iterable[Any]:
    """Each account of the user who owns ``account_id``, as upstream shows it now (the user's
    ``accountIds``); a closed account of the list is skipped."""
    user = client.guest.user_information_by_account_id(account_id=account_id)
    for other_id in user.account_ids:
        try:
            yield client.guest.account_information_by_id(account_id=other_id)
        except InvalidStatusError:
            continue


def card_attached_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """card.attach: is the other card's account now one of the user's accounts?

    Attaching links the other card's account to the user; the card stays on its own account
    and is not listed among the page account's cards, so only the user's ``accountIds`` prove
    it.
    """
    other_hash = param_hash(intent, "otherPrintedCardNumber")
    if not other_hash or intent.account_id is None:
        return None
    for account in _accounts_of_user(client, intent.account_id):
        if card_with_hash(account, other_hash) is not None:
            return applied(f"the other card's account {account.account_id} is the user's")
    return not_applied_after_grace(intent, "the other card's account is not the user's")


def cards_combined_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """cards.combine: was the card's account (the intent's account) combined away?

    The intent names the account being combined, not the one it goes into (upstream picks the
    main account itself). A combine closes it (ABANDONED: its balances and cards now live in
    the surviving account); while it is ACTIVE and still holds the card, nothing was combined,
    whichever page the combine was started from. A suspension (``accountSuspended``) leaves it
    ACTIVE too: nothing moved.
    """
    if not intent.card_hash or intent.account_id is None:
        return None
    try:
        source = client.guest.account_information_by_id(account_id=intent.account_id)
    except InvalidStatusError as closed:
        if closed.account_status == MERGED:
            return applied("the card's account was closed into the surviving account")
        return None
    if source.account_status == "ACTIVE" and card_with_hash(source, intent.card_hash):
        return not_applied_after_grace(intent, "the card is still in its own account")
    return None


def attached_and_combined_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """cards.attach_and_combine: is the other card now among the cards of one of the user's
    accounts whose primary card is another (its account combined into that one)?

    Still the primary card of its own account, linked to the user, means the attach happened
    and the combine did not (upstream answered ``combine_failure`` or ``accountSuspended``):
    not applied, as that reply would have said. On no account of the user: not attached.
    """
    other_hash = param_hash(intent, "otherPrintedCardNumber")
    if not other_hash or intent.account_id is None:
        return None
    for account in _accounts_of_user(client, intent.account_id):
        card = card_with_hash(account, other_hash)
        if card is None:
            continue
        if card is account.primary_card:
            return not_applied_after_grace(
                intent, "the other card's account is the user's but was not combined"
            )
        return applied(f"the other card is in account {account.account_id}")
    return not_applied_after_grace(intent, "the other card is on none of the user's accounts")


def _note_text_matcher(intent: AuditRecord) -> Callable[[str], bool] | None:
    """Whether a note's text is the intent's: by the keyed hash of the text sent
    (``commentHash``), or, in a record written before the log masked notes, by the text kept."""
    wanted = intent.params.get("commentHash")
    if isinstance(wanted, str) and wanted:
        return lambda text: text_digest(text) == wanted
    comment = intent.params.get("comment")
    if isinstance(comment, str) and comment:
        return lambda text: text_scrub(text.strip()) == comment.strip()
    return None


def account_note_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """account_note.add: is the note, by its author, among the account's comments?

    A note with the same text and author written before the intent does not count. The note's
    absence is final only after the grace period (comments may show up late).
    """
    author = intent.params.get("author")
    card = intent.params.get("printedCardNumber")
    wanted_hash = card.get("hash") if isinstance(card, dict) else intent.card_hash
    same_text = _note_text_matcher(intent)
    if same_text is None or not wanted_hash:
        return None
    number = _full_card(target) if target and card_hash(_full_card(target)) == wanted_hash else ""
    if not number and intent.account_id is not None:
        account = client.guest.account_information_by_id(account_id=intent.account_id)
        found = card_with_hash(account, wanted_hash)
        number = found.printed_card_number if found is not None else ""
    if not number:
        return None
    # Upstream stamps notes to the second, on its own clock: allow a little before the intent.
    since = intent.occurred_at - _CLOCK_SLACK
    for note in client.csr.account_comments(printed_card_number=number):
        created = note.date_created
        written_after = created is None or created.tzinfo is None or created >= since
        if note.author == author and same_text(note.comment or "") and written_after:
            return applied(f"the note by {author} is on the account")
    return not_applied_after_grace(intent, f"no such note by {author} on the account")


def _user(client: Any, intent: AuditRecord, target: Target | None) -> Any | None:
    if target is not None and target.username:
        return client.guest.user_information(username=target.username)
    username = intent.params.get("username")
    if isinstance(username, str) and username:
        return client.guest.user_information(username=username)
    if intent.account_id is not None:
        return client.guest.user_information_by_account_id(account_id=intent.account_id)
    number = _full_card(target)
    if number:
        return client.guest.user_information_by_printed_card_number(printed_card_number=number)
    return None


def language_settle(client: Any, intent: AuditRecord, target: Target | None) -> Settlement | None:
    """language.set: does the user's language preference now read as the one asked for?"""
    wanted = intent.params.get("languageCode")
    user = _user(client, intent, target)
    if not wanted or user is None or user.fields is None or not user.fields.user_language_pref:
        return None
    if user.fields.user_language_pref == wanted:
        return applied(f"the language preference is {wanted}")
    return not_applied_after_grace(
        intent, f"the language preference is still {user.fields.user_language_pref}"
    )


def message_frequency_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """messaging.frequency: does the user's message frequency read as the one asked for?

    A reply without the field cannot tell (the intent goes to review if it never does).
    """
    wanted = intent.params.get("preference")
    user = _user(client, intent, target)
    if not wanted or user is None or user.fields is None or not user.fields.message_frequency:
        return None
    if user.fields.message_frequency == wanted:
        return applied(f"the message frequency is {wanted}")
    return not_applied_after_grace(
        intent, f"the message frequency is still {user.fields.message_frequency}"
    )


def _referrals(client: Any, intent: AuditRecord, target: Target | None) -> Any | None:
    username = (target.username if target is not None else "") or intent.params.get("username")
    if isinstance(username, str) and username:
        return client.guest.referrals_by_username(username=username)
    if intent.account_id is not None:
        return client.guest.referrals_by_account_id(account_id=intent.account_id)
    number = _full_card(target)
    if number:
        return client.guest.referrals_by_printed_card_number(printed_card_number=number)
    return None


def _identifier_hashes(recorded: Any) -> set[str]:
    """The keyed hashes of a recorded list of identifiers (``identifier_record``s)."""
    if not isinstance(recorded, list):
        return set()
    return {found for item in recorded if (found := identifier_hash(item))}


def referrals_added_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """referrals.add: are the referred emails now in the guest's referrals (by their keyed
    hashes, ``identifier_record``)?

    A referral carries no creation date, so an email listed now may have been referred before
    this write. Only the emails the caller recorded as not yet referred (``alreadyReferred`` in
    the intent's params, read before the write) can tell that the write was applied; without
    that record, "every email is listed" cannot tell, and only "none is listed" can.
    """
    emails = _identifier_hashes(intent.params.get("emails"))
    referrals = _referrals(client, intent, target)
    if not emails or referrals is None:
        return None
    present = {identifier_digest(r.email or "") for r in referrals.user_referrals} & emails
    if not present:
        return not_applied_after_grace(intent, "none of the referred emails is listed")
    already = intent.params.get("alreadyReferred")
    if not isinstance(already, list):
        return None
    new = emails - _identifier_hashes(already)
    if new and new <= present:
        return applied("every newly referred email is listed")
    if new and not new & present:
        return not_applied_after_grace(intent, "none of the newly referred emails is listed")
    return None


def username_migrated_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """username.migrate_email: is the user of the intent's account now signed in by the email
    (the keyed hash of their username is the email's, ``identifier_record``)?"""
    wanted = identifier_hash(intent.params.get("email"))
    if not wanted or intent.account_id is None:
        return None
    try:
        user = client.guest.user_information_by_account_id(account_id=intent.account_id)
    except FailureError as exc:
        if exc.error_code != NO_SUCH_USER:
            return None
        return not_applied_after_grace(intent, "the account has no user")
    if user.fields is None or not user.fields.username:
        return None
    if identifier_digest(user.fields.username) == wanted:
        return applied("the email is the username")
    return not_applied_after_grace(intent, "the username is not the email")


def wallet_adjusted_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """wallet.adjust / wallet.void: is there a transaction in the account's history carrying
    the adjustment's reference (``posTransactionNumber``)?

    Never read from a balance: other activity (a visit, a redemption) moves balances too, so a
    difference proves nothing. The history is read from the day before the intent (upstream
    stamps in the merchant's zone); its absence is final only after the grace period, and only
    where it means something. That upstream keeps the reference there is ASSUMED (only the
    sandbox shows it): when no transaction read carries any of the console's references
    (``LD-…``) and one is dated since the intent (or cannot be dated), that one may be the
    adjustment, so nothing is settled (the reconciler marks it for review once too old).
    """
    reference = intent.params.get("reference")
    if not isinstance(reference, str) or not reference or intent.account_id is None:
        return None
    history = client.guest.transaction_history_by_account_id(
        account_id=intent.account_id,
        date_start=(intent.occurred_at - timedelta(days=1)).date(),
    )
    for item in history.transactions:
        if item.pos_transaction_number == reference:
            return applied(f"transaction {item.transaction_id} carries the reference {reference}")
    if reference_absence_unproven(
        ((item.pos_transaction_number, item.occurred_at) for item in history.transactions),
        since=intent.occurred_at - _CLOCK_SLACK,
    ):
        return None
    return not_applied_after_grace(intent, f"no transaction carries the reference {reference}")


def _stored_value_card(client: Any, intent: AuditRecord, target: Target | None) -> str:
    """The full number of the stored-value card a payment change named: the target's when the
    door settles in-process, else the account's card with the intent's hash, read now."""
    number = _full_card(target)
    if number or intent.account_id is None or not intent.card_hash:
        return number
    account = client.guest.account_information_by_id(account_id=intent.account_id)
    card = card_with_hash(account, intent.card_hash)
    return card.printed_card_number or "" if card is not None else ""


def auto_recharge_disabled_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """payment.autorecharge.disable: does the card's auto-recharge read as off?"""
    number = _stored_value_card(client, intent, target)
    if not number:
        return None
    status = client.payment.auto_recharge_status(printed_card_number=number)
    if not status.enabled:
        return applied("auto-recharge is off")
    return not_applied_after_grace(intent, "auto-recharge is still on")


def payment_method_removed_settle(
    client: Any, intent: AuditRecord, target: Target | None
) -> Settlement | None:
    """payment.method.remove: is the payment method (known by the keyed hash of its reference,
    ``paymentMethodHash``) gone from the card's saved payment methods?"""
    wanted = intent.params.get("paymentMethodHash")
    number = _stored_value_card(client, intent, target)
    if not isinstance(wanted, str) or not wanted or not number:
        return None
    saved = client.payment.saved_payment_methods(printed_card_number=number)
    if any(card_hash(method.payment_method_id or "") == wanted for method in saved):
        return not_applied_after_grace(intent, "the payment method is still saved")
    return applied("the payment method is no longer saved")


for _action, _settle in (
    ("card.disable", card_status_settle),
    ("card.enable", card_status_settle),
    ("card.attach", card_attached_settle),
    ("cards.combine", cards_combined_settle),
    ("cards.attach_and_combine", attached_and_combined_settle),
    ("referrals.add", referrals_added_settle),
    ("messaging.frequency", message_frequency_settle),
    ("language.set", language_settle),
    ("account_note.add", account_note_settle),
    ("username.migrate_email", username_migrated_settle),
    ("wallet.adjust", wallet_adjusted_settle),
    ("wallet.void", wallet_adjusted_settle),
    ("payment.autorecharge.disable", auto_recharge_disabled_settle),
    ("payment.method.remove", payment_method_removed_settle),
):
    settler_register(_action, _settle)
