"""Forms of the card screens. Every change form is a ``portal.audit.forms.ChangeForm``: a hidden
idempotency key, minted when the form is first shown (a double click, a refresh or the back
button resubmits the same key and the door answers with the first outcome instead of changing
the card again), and the reason its action asks for."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any, ClassVar, Self

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from cards.adjustments import AdjustableWallet
from cards.bulk_file import CARD_NUMBER, MAX_REASON_LENGTH, BulkAction, normalize_card_number
from cards.reports import PERIODS, AdjustmentFilters, report_reason_choices
from cards.services.wallets import WalletChange
from portal.audit.forms import ChangeForm, IdempotencyKeyForm, new_idempotency_key


class DisableCardForm(ChangeForm):
    action = "card.disable"


class EnableCardForm(ChangeForm):
    action = "card.enable"


class AutoRechargeDisableForm(ChangeForm):
    action = "payment.autorecharge.disable"


class PaymentMethodRemoveForm(ChangeForm):
    action = "payment.method.remove"


def _card_number(value: str) -> str:
    number = normalize_card_number(value)
    if not CARD_NUMBER.match(number):
        raise ValidationError("Enter the card number printed on the card: 11 to 19 digits.")
    return number


class AttachCardForm(ChangeForm):
    """Attach another card. Upstream may answer ``more_info``: the form is then shown again with
    exactly the fields it named, and ``needed`` lists them (``registrationCode``, or
    ``username`` and ``password``). The password widget never renders its value back."""

    action = "card.attach"

    other_card_number = forms.CharField(
        label="Card number to attach",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    registration_code = forms.CharField(
        label="Registration code (printed on the card)",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    other_username = forms.CharField(
        label="Username of the card's current owner",
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    other_password = forms.CharField(
        label="Password of the card's current owner",
        required=False,
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
        help_text="Typed by the guest or read out by them; used once and never kept.",
    )
    #: upstream field names asked for, carried between the two submits.
    needed = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)

    UPSTREAM_FIELDS = {
        "registrationCode": ("registration_code",),
        "username": ("other_username",),
        "password": ("other_password",),
    }

    def clean_other_card_number(self) -> str:
        return _card_number(self.cleaned_data["other_card_number"])

    @property
    def needed_fields(self) -> list[str]:
        """Upstream field names this form must send (empty on the first submit)."""
        if self.is_bound:
            raw = self.data.get(self.add_prefix("needed"), "")
        else:
            raw = self.initial.get("needed", "")
        return [name for name in str(raw).split(",") if name in self.UPSTREAM_FIELDS]

    def credential_fields(self) -> list[forms.BoundField]:
        """The bound fields to show for what upstream asked, in the order it asked."""
        return [
            self[field_name]
            for name in self.needed_fields
            for field_name in self.UPSTREAM_FIELDS[name]
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for upstream_name in self.needed_fields:
            for field_name in self.UPSTREAM_FIELDS[upstream_name]:
                if not data.get(field_name):
                    self.add_error(field_name, "Needed to attach this card.")
        return data

    def ask_for(self, upstream_fields: list[str]) -> AttachCardForm:
        """The same form again, asking for ``upstream_fields``, with a fresh idempotency key
        (the first key's outcome is "more info needed" and would be answered again)."""
        wanted = [name for name in upstream_fields if name in self.UPSTREAM_FIELDS]
        reason = self.reason()
        initial = {
            "other_card_number": self.cleaned_data["other_card_number"],
            "reason_code": reason.code,
            "reason_text": reason.text,
            "needed": ",".join(wanted),
            "idempotency_key": new_idempotency_key(),
        }
        return type(self)(initial=initial, prefix=self.prefix)


class AttachAndCombineForm(AttachCardForm):
    action = "cards.attach_and_combine"


class CombineCardForm(ChangeForm):
    action = "cards.combine"

    understood = forms.BooleanField(
        label="I have told the guest the balances will be merged into one account and that this "
        "cannot be undone here.",
    )


class BulkUploadForm(forms.Form):
    action = forms.ChoiceField(
        label="What to do with a card whose row names no action",
        choices=[("", "None: every row says its own"), *((a.value, a.label) for a in BulkAction)],
        widget=forms.RadioSelect,
        required=False,
        initial="",
        help_text="Not needed when every row says disable or enable in its second column.",
    )
    reason = forms.CharField(
        label="Reason for this job",
        max_length=MAX_REASON_LENGTH,
        help_text="Recorded for the job, and for every row that gives no reason of its own.",
    )
    file = forms.FileField(
        label="CSV file",
        help_text="One card number per line; optional columns: action, reason.",
    )


class BulkUploadActionForm(forms.Form):
    """On the review screen: what to do with the rows that name no action."""

    action = forms.ChoiceField(
        label="What to do with the rows that name no action",
        choices=[(a.value, a.label) for a in BulkAction],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what to do with these cards."},
    )


class BulkConfirmForm(IdempotencyKeyForm):
    """Start the job of an upload: the key makes a second click find the same job."""

    skip_bad_rows = forms.BooleanField(
        label="Skip the rows with problems and run the others",
        required=False,
    )


DIRECTIONS = (("add", "Add"), ("take", "Take away"))
#: The most one adjustment can move, whatever the ceilings say (a typo guard).
MAX_ADJUSTMENT = Decimal("1000000")


class WalletAdjustForm(ChangeForm):
    """Add to or take away from one wallet: the amount in the wallet's own unit and scale, an
    expiration where the program shows them (additions only), the reason code and a comment
    (needed for "Other", as the door asks). It refuses a result below zero before anything is
    sent. The amount is checked here in the wallet's own words, not by the field's validators."""

    action = "wallet.adjust"

    direction = forms.ChoiceField(label="Change", choices=DIRECTIONS, widget=forms.RadioSelect)
    amount = forms.DecimalField(
        label="Amount", error_messages={"invalid": "Enter the amount as a number, like 25."}
    )
    expiration = forms.DateField(
        label="Expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional: when what is added expires.",
    )

    def __init__(self, *args: Any, wallet: AdjustableWallet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wallet = wallet
        amount = self.fields["amount"]
        amount.widget.attrs.update(
            {"step": "0.01" if wallet.money else "1", "min": "0", "inputmode": "decimal"}
        )
        amount.help_text = (
            "In dollars and cents." if wallet.money else f"Whole {wallet.unit}, no fractions."
        )
        if not wallet.uses_expiration:
            del self.fields["expiration"]
        text = self.fields["reason_text"]
        text.label = "Comment (required when the reason is Other)"
        text.help_text = "What happened, for the audit log and the guest's history."

    def asked(self) -> str:
        """What this (valid) form asks for, as a digest: a preview is confirmed only while the
        form still asks what the preview showed (``previewed``)."""
        data = self.cleaned_data
        asked = (
            self.wallet.wallet_code,
            data["direction"],
            str(data["amount"]),
            str(data.get("expiration") or ""),
            self.reason(),
        )
        return hashlib.blake2b(repr(asked).encode(), digest_size=16).hexdigest()

    def clean_amount(self) -> Decimal:
        value: Decimal = self.cleaned_data["amount"]
        wallet = self.wallet
        if value <= 0:
            raise ValidationError("Enter an amount above zero.")
        if value > MAX_ADJUSTMENT:
            raise ValidationError(
                f"One adjustment can move at most {wallet.words(MAX_ADJUSTMENT)}"
                f"{'' if wallet.money else ' ' + wallet.unit}: enter a smaller amount."
            )
        if value != value.quantize(Decimal(1).scaleb(-wallet.scale)):
            if wallet.money:
                raise ValidationError("Enter dollars and cents: at most two decimals, like 2.50.")
            raise ValidationError(
                f"{wallet.name} are whole numbers: enter 1 or 2, not {value.normalize():f}."
            )
        return wallet.amount(value)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amount, direction = data.get("amount"), data.get("direction")
        if amount is not None and direction == "take" and amount > self.wallet.balance:
            self.add_error(
                "amount",
                f"The balance is {self.wallet.words(self.wallet.balance)}: taking away more "
                "would leave it below zero.",
            )
        expiration = data.get("expiration")
        if expiration is not None:
            if direction == "take":
                self.add_error("expiration", "Only what is added can have an expiration.")
            elif expiration <= timezone.localdate():
                self.add_error("expiration", "Choose a date after today.")
        return data

    def change(self) -> WalletChange:
        data = self.cleaned_data
        return WalletChange(
            wallet=self.wallet,
            add=data["direction"] == "add",
            amount=data["amount"],
            expiration=data.get("expiration"),
        )


class WalletVoidForm(ChangeForm):
    """Void an adjustment: one click and a reason."""

    action = "wallet.void"


class PreviewedChangeForm(ChangeForm):
    """A change shown twice: the first submit previews it (``confirm`` unset, nothing changes);
    the second, with ``understood`` ticked, makes it. The key stays the same between the two,
    so a double click on the confirmation still changes once."""

    #: The fields the preview is about, carried into the confirmation.
    preview_fields: ClassVar[tuple[str, ...]] = ()
    understood_label: ClassVar[str] = ""

    confirm = forms.BooleanField(widget=forms.HiddenInput, required=False)
    understood = forms.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        understood = self.fields["understood"]
        understood.label = self.understood_label
        # Drawn only at the confirmation, where it must be ticked (the browser says so first).
        understood.widget.attrs["required"] = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("confirm") and not data.get("understood"):
            self.add_error("understood", "Tick this once you have told the guest.")
        return data

    @property
    def unticked(self) -> bool:
        """Refused only because the box was left empty at the confirmation: the preview is
        shown again with the box's error (without it, the form went back to its first step
        and said nothing)."""
        return self.is_bound and set(self.errors) == {"understood"}

    @property
    def confirmed(self) -> bool:
        return bool(self.cleaned_data.get("confirm"))

    def to_check_again(self) -> Self:
        """The same choices, back at the preview's step with a new key: the change was refused,
        so what the preview said no longer stands."""
        data = self.cleaned_data
        names = (*self.preview_fields, "reason_code", "reason_text")
        return type(self)(initial={name: data.get(name) for name in names}, prefix=self.prefix)

    def to_confirm(self) -> Self:
        """The same choices, now asking for the confirmation (the key is kept)."""
        data = self.cleaned_data
        names = (*self.preview_fields, "reason_code", "reason_text")
        initial = {name: data.get(name) for name in names}
        initial.update(confirm=True, idempotency_key=data["idempotency_key"])
        return type(self)(initial=initial, prefix=self.prefix)


class TransferBalanceForm(PreviewedChangeForm):
    """Move the balances of another card to this account's primary card."""

    action = "balance.transfer"
    preview_fields = ("from_card_number", "which")
    understood_label = (
        "I have told the guest the balances move to this card and the old card's account may be "
        "closed for good."
    )

    ALL = "all"
    TAKEN = "taken"

    from_card_number = forms.CharField(
        label="Card to move the balances from",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text="The number printed on the old card (a lost card may be disabled already).",
    )
    which = forms.ChoiceField(
        label="Which balances",
        choices=[
            (ALL, "Every balance: refuse if any cannot move to this card"),
            (
                TAKEN,
                "What this card's program can take (into a gift card: the stored value only)",
            ),
        ],
        initial=ALL,
        widget=forms.RadioSelect,
    )

    def clean_from_card_number(self) -> str:
        return _card_number(self.cleaned_data["from_card_number"])

    @property
    def must_transfer_all(self) -> bool:
        return self.cleaned_data.get("which") != self.TAKEN


class ExchangeCardForm(PreviewedChangeForm):
    """Replace a lost or damaged card with a new, never used card of the same program."""

    action = "card.exchange"
    preview_fields = ("new_card_number",)
    understood_label = (
        "I have told the guest the old card stops working for good and the new card holds "
        "their account from now on."
    )

    new_card_number = forms.CharField(
        label="New card number",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text="Printed on the new card; it must never have been used.",
    )

    def clean_new_card_number(self) -> str:
        return _card_number(self.cleaned_data["new_card_number"])


class AdjustmentsReportForm(forms.Form):
    """The adjustments report's filters, read from the query string (the report's URL)."""

    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    agent = forms.CharField(label="Agent (username)", required=False, max_length=150)
    reason = forms.ChoiceField(label="Reason", required=False)
    store = forms.CharField(label="Store code", required=False, max_length=32)
    wallet = forms.IntegerField(label="Wallet code", required=False, min_value=0)
    period = forms.ChoiceField(
        label="Periods of",
        required=False,
        choices=[(p, p.capitalize()) for p in PERIODS],
        initial="day",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        assert isinstance(reason, forms.ChoiceField)
        reason.choices = [("", "Any"), *report_reason_choices()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end is before the start.")
        return data

    def filters(self) -> AdjustmentFilters:
        data = self.cleaned_data
        return AdjustmentFilters(
            since=data.get("since"),
            until=data.get("until"),
            agent=(data.get("agent") or "").strip(),
            reason=data.get("reason") or "",
            store=(data.get("store") or "").strip(),
            wallet=data.get("wallet"),
            period=data.get("period") or "day",
        )


class AdjustmentsExportForm(IdempotencyKeyForm, AdjustmentsReportForm):
    """The CSV of the report's filters (posted, with a key: a double click makes one job)."""
