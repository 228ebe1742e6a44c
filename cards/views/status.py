"""Disable and enable one card: the confirmation step, then the change."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from cards.forms import DisableCardForm, EnableCardForm
from cards.selectors import AccountCard, GuestCards
from cards.services.status import STATUS_WORDS, card_status_change, status_change_refusal
from cards.views.common import (
    card_screen,
    change_answer,
    change_refused,
    guest_of,
    guest_page_url,
)
from portal.audit.forms import ChangeForm
from portal.audit.models import AuditRecord, Outcome
from portal.audit.settle import later_status_change
from portal.sentences import CARD_STATUS_WORDS, words
from portal.staff.access import requires
from portal.web import (
    HtmxHttpRequest,
    form_response,
    submission_of,
)


@dataclass(frozen=True)
class StatusChange:
    """What the disable and enable screens say and do."""

    status: str
    title: str
    consequence: str
    form_class: type[ChangeForm]
    submit_url: str

    @property
    def disable(self) -> bool:
        return self.status == "DISABLED"

    def said_for(self, guest: GuestCards, card: AccountCard) -> str:
        """The consequence for this card: a disable says whether the account keeps a card
        that works (it said "the guest's other cards keep working" where there was none)."""
        if not self.disable:
            return self.consequence
        others = any(c.status == "ACTIVE" for c in guest.cards if c is not card)
        if others:
            return f"{self.consequence}, and the account's other active cards keep working."
        return (
            f"{self.consequence}, but no other card of the account works: nothing earns or "
            "redeems on it until a card is enabled or attached."
        )


STATUS_CHANGES: dict[str, StatusChange] = {
    "disable": StatusChange(
        status="DISABLED",
        title="Disable",
        consequence=(
            "The card stops working at once: it cannot earn or redeem until it is enabled "
            "again. Balances stay on the account"
        ),
        form_class=DisableCardForm,
        submit_url="cards:disable_submit",
    ),
    "enable": StatusChange(
        status="ACTIVE",
        title="Enable",
        consequence=(
            "The card works again at once: it can earn and redeem against the account's "
            "balances. Enable a card only when the guest has it in hand."
        ),
        form_class=EnableCardForm,
        submit_url="cards:enable_submit",
    ),
}


@dataclass(frozen=True)
class ReadBack:
    """What a second press found of a change not confirmed: the card's status read now ("" if
    upstream gave none), and a later change of its status made since, if any."""

    status: str
    later: AuditRecord | None = None


def _read_back(card: AccountCard, intent_id: int | None) -> ReadBack:
    """The card as this request read it, past the cache, just before the door replayed the
    change (a replay sends nothing, so no read of its own is needed), and the audit log's later
    change of its status, if any."""
    intent = AuditRecord.objects.filter(pk=intent_id).first() if intent_id else None
    later = later_status_change(intent) if intent is not None else None
    return ReadBack(status=card.status, later=later)


def _unconfirmed(
    spec: StatusChange, card: AccountCard, form: ChangeForm, checked: ReadBack | None
) -> str:
    """What a CSR is told when a status change could not be confirmed, and what the button
    does next. The first time (``checked`` None), pressing it again reads the card back under
    the same key (nothing is sent twice). When the card, read again, is still not in the status
    asked and nobody changed its status since, the form gets a new key: pressing it sends the
    change once more, which is safe for a status (set twice, it is set once), so a lost card
    need not stay usable while the first request is settled. Otherwise the key stays, and the
    CSR is told what was found."""
    masked = card.masked_card_number
    done = STATUS_WORDS[spec.status]
    button = f"“{spec.title} card ending {masked}”"
    if checked is None:
        return (
            f"We could not confirm whether card ending {masked} was {done}: the loyalty system "
            f"did not answer. Press {button} again to check the card; nothing is sent twice."
        )
    if not checked.status:
        return (
            f"Card ending {masked} could not be read back, so whether it was {done} is still not "
            f"known. Press {button} again to check it again; nothing is sent twice."
        )
    reads = words(CARD_STATUS_WORDS, checked.status)
    if checked.later is not None:
        return (
            f"Card ending {masked} reads {reads}, and its status was changed again since (record "
            f"#{checked.later.seq}, by {checked.later.actor_username or 'the system'}): check "
            "with the guest before changing it again."
        )
    if checked.status == spec.status:
        return (
            f"Card ending {masked} now reads {done}: the request went through. The audit log "
            "records it as soon as the loyalty system confirms it."
        )
    form.renew_key()
    return (
        f"Card ending {masked} still reads {reads}: the first request may not have gone "
        f"through. Press {button} again to send it once more. That is safe: a card's status "
        "set twice is set once, and the audit log keeps both requests."
    )


def _status_context(
    guest: GuestCards, card: AccountCard, change: str, form: ChangeForm, error: str = ""
) -> dict[str, Any]:
    return {
        "guest": guest,
        "card": card,
        "change": STATUS_CHANGES[change],
        "consequence": STATUS_CHANGES[change].said_for(guest, card),
        "form": form,
        "error": error,
    }


@require_GET
@requires("change_card_status")
@card_screen
def card_status_form(
    request: HtmxHttpRequest, account_id: int, masked: str, change: str
) -> HttpResponse:
    """The confirmation step: the card, its guest, what will happen, and the reason."""
    guest = guest_of(request, account_id)
    card = guest.find(masked)
    spec = STATUS_CHANGES[change]
    context = _status_context(guest, card, change, spec.form_class())
    # A card the guest page offers no such button for (an exchanged card, one already so): say
    # why instead of a form whose "what will happen" cannot happen. Sent anyway, the change
    # goes to upstream, which has the last word (the page's reads may be a moment old).
    context["refusal"] = status_change_refusal(card.status, spec.status, card.masked_card_number)
    return render(request, "cards/status_change.html", context)


@require_POST
@requires("change_card_status")
@card_screen
def card_status_submit(
    request: HtmxHttpRequest, account_id: int, masked: str, change: str
) -> HttpResponse:
    spec = STATUS_CHANGES[change]
    form = spec.form_class(request.POST)
    valid = form.is_valid()
    guest = guest_of(request, account_id, fresh=valid)
    card = guest.find(masked)
    context = _status_context(guest, card, change, form)
    if not valid:
        return form_response(request, "cards/status_change.html", context, status=422)
    try:
        result = card_status_change(
            submission_of(request, form),
            guest=guest,
            card=card,
            status="DISABLED" if spec.disable else "ACTIVE",
        )
    except ValidationError as refusal:
        return change_refused(request, "cards/status_change.html", context, refusal)
    if result.outcome == Outcome.UNKNOWN:
        checked = _read_back(card, result.intent_id) if result.replayed else None
        result = replace(result, message=_unconfirmed(spec, card, form, checked))
    done = guest_page_url(account_id)
    return change_answer(request, "cards/status_change.html", context, form, result, done_url=done)
