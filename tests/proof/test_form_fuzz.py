"""Generated input into every form a person types into, and every upload (hypothesis).

Each form gets at least ``EXAMPLES`` generated submissions: every field it reads filled with
text from anywhere in Unicode, digits of every script, the known nasty strings
(``tests/test_bad_input.py``), very long text and ASCII digit runs, with the idempotency key
either fresh and valid or generated too. Two things are proved and printed per form:

* **0 server errors**: every answer is a page, a form with its errors or a redirect.
* **0 upstream calls on invalid input**: when the form itself refuses the input (the form
  class, asked on its own, is the oracle), the request made no Paytronix call at all. The
  guest's reads are cached before each invalid submission (a form shown again with its errors
  redraws its panel from the cache), so any call counted is one the bad input caused.

Examples are derandomized (the same inputs on every run, so CI cannot flake) and the deadline
is off (the machine is shared); the whole file takes seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cards.adjustments import adjustable_wallet
from cards.forms import (
    DIRECTIONS,
    AttachCardForm,
    AutoRechargeDisableForm,
    CombineCardForm,
    DisableCardForm,
    ExchangeCardForm,
    PaymentMethodRemoveForm,
    TransferBalanceForm,
    WalletAdjustForm,
    WalletVoidForm,
)
from cards.selectors import guest_cards
from cards.selectors.payments import method_token
from guests.forms import (
    AdvancedSearchForm,
    LanguageForm,
    MessageFrequencyForm,
    NoteForm,
    ReferralCodeCreateForm,
    ReferralsAddForm,
    SearchForm,
    UsernameMigrateForm,
    VisitCodeApplyForm,
    VisitCodeCheckForm,
)
from guests.profile_forms import (
    IDENTITY_CHECKS,
    AddressAddForm,
    AddressEditForm,
    DeletionRequestForm,
    DetailsForm,
    PasswordResetForm,
)
from guests.selectors.profile import guest_profile
from guests.services.privacy import guest_deletion_request
from portal.approvals.forms import DECISIONS, DecisionForm
from portal.audit.actions import CARD_DISABLE_REASONS, action_get
from portal.audit.models import AuditRecord, Kind
from portal.audit.types import AuditContext, Reason, Submission
from portal.guestcache import guest_cache
from portal.jobs.models import Job
from portal.paytronix.guest.endpoints import LANGUAGE_CODES, MESSAGE_FREQUENCIES
from portal.paytronix.replies import SavedPaymentMethod
from portal.sandbox import demo
from portal.sandbox.catalog import POINTS
from portal.sandbox.testing import SandboxController
from portal.staff.models import User
from portal.staff.roles import Role
from tests.cards.test_wallets import previewed_of
from tests.conftest import HTMX
from tests.test_bad_input import NASTY

pytestmark = pytest.mark.django_db

EXAMPLES = 100
#: Every fuzz: EXAMPLES inputs, the same on every run, no deadline (the machine is shared), and
#: the test's fixtures (a client, the sandbox) shared by its examples on purpose.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ACCOUNT = demo.DEMO_ACCOUNT_ID
CARD = demo.DEMO_ACTIVE_CARD
MASKED = CARD[-6:]
#: The card of an attached account Combine is offered on.
COMBINED_CARD = demo.DEMO_COMBINE_OTHER_CARD

#: A path, or how to find it in the sandbox (an account id the seed chose).
Url = str | Callable[[SandboxController], str]


def _combine_url(name: str) -> Url:
    def url(sandbox: SandboxController) -> str:
        account_id = sandbox.state.card(COMBINED_CARD).account_id
        return reverse(name, args=[account_id, COMBINED_CARD[-6:]])

    return url


#: Very long text, cheaply: one character (a letter, a digit, an emoji, a direction mark, a
#: digit of another script) repeated past every field's limit.
LONG = st.builds(
    lambda char, times: char * times,
    st.sampled_from(["a", "6", "\U0001f600", "\u202e", "\u0666", " "]),
    st.integers(min_value=256, max_value=6000),
)
#: What a person might type: anything, digits of every script, the known nasty strings, very
#: long text, ASCII digit runs (a card number or account id, or nearly one).
TYPED = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=22),
    st.sampled_from(NASTY),
    LONG,
    st.text(alphabet="0123456789", min_size=1, max_size=22),
)
#: The hidden idempotency key: fresh and valid (None), or generated like the rest (a digit run
#: left out: it would make a valid key, and valid submissions are the slow ones).
KEY = st.one_of(
    st.none(),
    st.text(max_size=80),
    st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=22),
    st.sampled_from(NASTY),
    LONG,
)


@dataclass(frozen=True)
class Fuzzed:
    """One form: who posts it where, which fields are generated, which are fixed, and the form
    class that says whether an input is valid (None: the view never calls upstream)."""

    name: str
    role: Role | None
    url: Url
    fields: dict[str, st.SearchStrategy[Any]]
    fixed: dict[str, str] = field(default_factory=dict)
    form: Callable[..., forms.Form] | None = None
    #: What the form class needs besides the data (the guest's profile, the wallet), read once
    #: before the examples as the viewer.
    form_kwargs: Callable[[User], dict[str, Any]] | None = None
    #: What must exist before the form can be posted (an adjustment to void, a request to
    #: decide), made once by the viewer (the client) or by another member of staff.
    prepare: Callable[[Client, Callable[..., User]], None] | None = None
    #: What to read (GET) so the guest's reads are cached again after a valid submission.
    warm: Url = ""
    method: str = "post"
    #: Posted as the page posts it: with htmx, the form's panel answers.
    htmx: bool = False


def _change(form: type[forms.Form], **fields: st.SearchStrategy[Any]) -> dict[str, Any]:
    prefix = f"{form.prefix}-" if form.prefix else ""
    return {f"{prefix}{name}": strategy for name, strategy in fields.items()}


#: A form shown again with its errors (without htmx) redraws the guest page.
GUEST_PAGE = reverse("guests:guest", args=[ACCOUNT])


def _guest(name: str, url_name: str, form: type[forms.Form], **fields: Any) -> Fuzzed:
    strategies = _change(form, idempotency_key=KEY, reason_text=TYPED, **fields)
    url = reverse(f"guests:{url_name}", args=[ACCOUNT])
    return Fuzzed(name, Role.SUPERVISOR, url, strategies, form=form, warm=GUEST_PAGE, htmx=True)


def _card(
    name: str, url: Url, form: type[forms.Form], *, warm: Url = GUEST_PAGE, **fields: Any
) -> Fuzzed:
    strategies = _change(form, idempotency_key=KEY, reason_text=TYPED, **fields)
    return Fuzzed(name, Role.SUPERVISOR, url, strategies, form=form, warm=warm)


_CREDENTIALS: dict[str, Any] = {
    "other_card_number": TYPED,
    "registration_code": TYPED,
    "other_username": TYPED,
    "other_password": TYPED,
    "needed": TYPED,
}

FORMS: list[Fuzzed] = [
    Fuzzed("search", Role.AGENT, reverse("guests:search"), {"q": TYPED}, form=SearchForm),
    Fuzzed(
        "advanced search",
        Role.AGENT,
        reverse("guests:advanced_search"),
        {
            name: st.one_of(st.just(""), TYPED)
            for name in (*AdvancedSearchForm.IDENTIFIERS, *AdvancedSearchForm.CRITERIA)
        }
        | {"eclub_template": st.one_of(st.just(""), TYPED)},
        form=AdvancedSearchForm,
    ),
    _guest(
        "message frequency",
        "message_frequency",
        MessageFrequencyForm,
        preference=st.one_of(st.sampled_from(MESSAGE_FREQUENCIES), TYPED),
    ),
    _guest(
        "language",
        "language",
        LanguageForm,
        language_code=st.one_of(st.sampled_from(LANGUAGE_CODES), TYPED),
    ),
    _guest("username as email", "username_migrate", UsernameMigrateForm, email=TYPED),
    _guest(
        "referrals",
        "referrals_add",
        ReferralsAddForm,
        emails=st.one_of(st.lists(st.emails(), min_size=1, max_size=3).map(", ".join), TYPED),
        message=TYPED,
    ),
    _guest("referral code", "referral_code_create", ReferralCodeCreateForm),
    _guest("visit code apply", "visit_code_apply", VisitCodeApplyForm, code=TYPED),
    _guest("note", "note_add", NoteForm, note=TYPED),
    Fuzzed(
        "visit code check",
        Role.SUPERVISOR,
        reverse("guests:visit_code_check", args=[ACCOUNT]),
        _change(VisitCodeCheckForm, code=TYPED),
        form=VisitCodeCheckForm,
        warm=GUEST_PAGE,
        htmx=True,
    ),
    _card(
        "card disable",
        reverse("cards:disable_submit", args=[ACCOUNT, MASKED]),
        DisableCardForm,
        reason_code=st.one_of(st.sampled_from([c for c, _ in CARD_DISABLE_REASONS]), TYPED),
    ),
    _card(
        "attach",
        reverse("cards:attach_submit", args=[ACCOUNT]),
        AttachCardForm,
        **_CREDENTIALS,
    ),
    _card(
        "combine",
        _combine_url("cards:combine_submit"),
        CombineCardForm,
        warm=_combine_url("cards:combine"),
        understood=st.one_of(st.just("on"), TYPED),
    ),
    Fuzzed(
        "sign in",
        None,
        reverse("login"),
        {"username": TYPED, "password": TYPED},
    ),
    Fuzzed(
        "audit filters",
        Role.AUDITOR,
        reverse("audit:search"),
        {
            name: TYPED
            for name in ("username", "card", "account_id", "since", "action", "card_hash")
        },
    ),
    Fuzzed(
        "audit list",
        Role.AUDITOR,
        reverse("audit:list"),
        {name: TYPED for name in ("username", "card", "since", "action", "before", "after")},
        method="get",
    ),
    Fuzzed("audit export", Role.AUDITOR, reverse("audit:export"), {"idempotency_key": TYPED}),
]


# -- the forms of the newer changes: wallets, exchange, transfer, payments, profile, approvals --


def _reason_code(action: str) -> st.SearchStrategy[Any]:
    """A code the action offers, or anything typed."""
    return st.one_of(st.sampled_from([c for c, _ in action_get(action).reason_codes]), TYPED)


def _change_fields(form: Any, **fields: Any) -> dict[str, Any]:
    """The fields of a change form: the key, the reason as its action asks it, and ``fields``."""
    action = form.action
    codes = {"reason_code": _reason_code(action)} if action_get(action).reason_codes else {}
    return _change(form, idempotency_key=KEY, reason_text=TYPED, **codes, **fields)


#: An amount as typed: a plain number (valid or over a limit), or anything.
AMOUNT = st.one_of(
    st.decimals(min_value=-10, max_value=2_000_000, places=2, allow_nan=False).map(str), TYPED
)
#: A date as typed: none, an ISO date, or anything.
DATE = st.one_of(st.just(""), st.dates().map(str), TYPED)
#: A hidden "confirm" or a ticked box: as the page sends it, or anything.
TICK = st.one_of(st.just(""), st.just("on"), TYPED)
WALLET_ADJUST = reverse("cards:wallet_adjust", args=[ACCOUNT, POINTS])


def _wallet(viewer: User) -> dict[str, Any]:
    account = guest_cards(viewer=viewer, account_id=ACCOUNT).account
    return {"wallet": adjustable_wallet(account, POINTS)}


def _profile(viewer: User) -> dict[str, Any]:
    return {"profile": guest_profile(viewer=viewer, account_id=ACCOUNT)}


def _adjust(name: str, **fixed: str) -> Fuzzed:
    return _screen(
        name,
        reverse("cards:wallet_adjust_submit", args=[ACCOUNT, POINTS]),
        WalletAdjustForm,
        warm=WALLET_ADJUST,
        form_kwargs=_wallet,
        fixed=fixed,
        direction=st.one_of(st.sampled_from([c for c, _ in DIRECTIONS]), TYPED),
        amount=AMOUNT,
        expiration=DATE,
    )


def _an_adjustment(client: Client, make_staff: Callable[..., User]) -> None:
    url = reverse("cards:wallet_adjust_submit", args=[ACCOUNT, POINTS])
    data = {"idempotency_key": "fuzz-adjusted", "direction": "add", "amount": "5"}
    data |= {"reason_code": "missed_visit", "reason_text": ""}
    data |= {"previewed": previewed_of(client.post(url, data)), "confirm": "1"}
    assert client.post(url, data)


def _adjustment_url(name: str) -> Url:
    def url(sandbox: SandboxController) -> str:
        intent = AuditRecord.objects.filter(action="wallet.adjust", kind=Kind.INTENT).latest("seq")
        return reverse(name, args=[ACCOUNT, intent.pk])

    return url


def _a_deletion_request(client: Client, make_staff: Callable[..., User]) -> None:
    agent = make_staff(Role.AGENT)
    submission = Submission(
        actor=agent,
        context=AuditContext(),
        reason=Reason(text="Guest asked to be forgotten"),
        idempotency_key="fuzz-deletion",
    )
    profile = guest_profile(viewer=agent, account_id=ACCOUNT, fresh=True)
    assert guest_deletion_request(submission, profile=profile).ok


def _request_url(sandbox: SandboxController) -> str:
    from portal.approvals.models import ApprovalRequest

    return reverse("approvals:decide", args=[ApprovalRequest.objects.latest("pk").pk])


def _address_url(name: str) -> Url:
    def url(sandbox: SandboxController) -> str:
        address_id = sandbox.state.user(demo.DEMO_USERNAME).addresses[0]["addressId"]
        return reverse(f"guests:{name}", args=[ACCOUNT, address_id])

    return url


def _screen(
    name: str,
    url: Url,
    form: Any,
    *,
    warm: Url,
    form_kwargs: Callable[[User], dict[str, Any]] | None = None,
    prepare: Callable[[Client, Callable[..., User]], None] | None = None,
    fixed: dict[str, str] | None = None,
    **fields: Any,
) -> Fuzzed:
    """A change form of its own screen, posted with htmx as the screen posts it (the answer to
    refused input is the form alone, not the page)."""
    strategies = _change_fields(form, **fields)
    return Fuzzed(
        name,
        Role.SUPERVISOR,
        url,
        strategies,
        fixed=fixed or {},
        form=form,
        form_kwargs=form_kwargs,
        prepare=prepare,
        warm=warm,
        htmx=True,
    )


#: The demo program's details, as typed (a date, a tick box).
DETAILS_FIELDS: dict[str, Any] = {
    name: TYPED for name in ("firstName", "lastName", "email", "phone", "mobilePhone", "postalCode")
} | {"dateOfBirth": DATE, "optIn": TICK}
ADDRESS_FIELDS: dict[str, Any] = {
    name: TYPED
    for name in ("label", "address1", "address2", "city", "state_province", "postal_code")
} | {"country": st.one_of(st.sampled_from(["US", "CA", ""]), TYPED)}
MASTERCARD = method_token(SavedPaymentMethod(payment_method_id=demo.DEMO_OTHER_METHOD_ID))

FORMS += [
    _adjust("wallet adjust preview"),
    _adjust("wallet adjust confirm", confirm="1"),
    _screen(
        "wallet void",
        _adjustment_url("cards:wallet_void_submit"),
        WalletVoidForm,
        warm=_adjustment_url("cards:wallet_void"),
        prepare=_an_adjustment,
    ),
    _screen(
        "card exchange",
        reverse("cards:exchange_submit", args=[ACCOUNT, MASKED]),
        ExchangeCardForm,
        warm=reverse("cards:exchange", args=[ACCOUNT, MASKED]),
        new_card_number=st.one_of(st.sampled_from(demo.DEMO_REPLACEMENT_CARDS), TYPED),
        confirm=TICK,
        understood=TICK,
    ),
    _screen(
        "balance transfer",
        reverse("cards:transfer_submit", args=[ACCOUNT]),
        TransferBalanceForm,
        warm=reverse("cards:transfer", args=[ACCOUNT]),
        from_card_number=st.one_of(st.just(demo.DEMO_ATTACHABLE_CARD), TYPED),
        which=st.one_of(
            st.sampled_from([TransferBalanceForm.ALL, TransferBalanceForm.TAKEN]), TYPED
        ),
        confirm=TICK,
        understood=TICK,
    ),
    _screen(
        "auto-recharge off",
        reverse("cards:auto_recharge_disable_submit", args=[ACCOUNT]),
        AutoRechargeDisableForm,
        warm=reverse("cards:auto_recharge_disable", args=[ACCOUNT]),
    ),
    _screen(
        "payment method remove",
        reverse("cards:payment_method_remove_submit", args=[ACCOUNT, MASTERCARD]),
        PaymentMethodRemoveForm,
        warm=reverse("cards:payment_method_remove", args=[ACCOUNT, MASTERCARD]),
    ),
    _screen(
        "guest details",
        reverse("guests:details_submit", args=[ACCOUNT]),
        DetailsForm,
        warm=reverse("guests:details", args=[ACCOUNT]),
        form_kwargs=_profile,
        **DETAILS_FIELDS,
    ),
    _screen(
        "address add",
        reverse("guests:address_add", args=[ACCOUNT]),
        AddressAddForm,
        warm=reverse("guests:addresses", args=[ACCOUNT]),
        **ADDRESS_FIELDS,
    ),
    _screen(
        "address edit",
        _address_url("address_edit_submit"),
        AddressEditForm,
        warm=_address_url("address_edit"),
        **ADDRESS_FIELDS,
    ),
    _screen(
        "password reset",
        reverse("guests:password_reset_submit", args=[ACCOUNT]),
        PasswordResetForm,
        warm=reverse("guests:password_reset", args=[ACCOUNT]),
    ),
    _screen(
        "privacy deletion request",
        reverse("guests:delete_submit", args=[ACCOUNT]),
        DeletionRequestForm,
        warm=reverse("guests:delete", args=[ACCOUNT]),
        form_kwargs=lambda viewer: {"account_id": ACCOUNT},
        identity=st.one_of(
            st.lists(st.sampled_from([c for c, _ in IDENTITY_CHECKS]), max_size=3), TYPED
        ),
        confirmation=st.one_of(st.just(f"DELETE {ACCOUNT}"), TYPED),
    ),
    # The decision form is a plain POST on the request's page (no guest reads behind it).
    Fuzzed(
        "approval decide",
        Role.SUPERVISOR,
        _request_url,
        _change_fields(
            DecisionForm, decision=st.one_of(st.sampled_from([c for c, _ in DECISIONS]), TYPED)
        ),
        form=DecisionForm,
        prepare=_a_deletion_request,
    ),
    Fuzzed(
        "adjustments report filters",
        Role.SUPERVISOR,
        reverse("cards:adjustments_report"),
        {name: DATE for name in ("since", "until")}
        | {name: TYPED for name in ("agent", "reason", "store", "wallet", "period")},
        method="get",
    ),
]


class Tally:
    """What one form's examples came to, for the figures and the assertions."""

    def __init__(self) -> None:
        self.inputs = self.invalid = self.server_errors = self.calls_on_invalid = 0
        self.statuses: set[int] = set()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every upstream call sent (and still sent to the sandbox)."""
    from portal.paytronix.session import Transport

    sent: list[str] = []
    original = Transport.call

    def counting(self: Transport, endpoint: Any, params: Any) -> dict[str, Any]:
        sent.append(endpoint.path)
        return original(self, endpoint, params)

    monkeypatch.setattr(Transport, "call", counting)
    return sent


@pytest.fixture
def client_as(make_staff: Callable[..., User]) -> Callable[[Role | None], Client]:
    made: dict[Role | None, Client] = {}

    def client(role: Role | None) -> Client:
        if role not in made:
            made[role] = Client(raise_request_exception=False)
            if role is not None:
                made[role].force_login(make_staff(role))
        return made[role]

    return client


def _valid(fuzzed: Fuzzed, data: dict[str, Any], kwargs: dict[str, Any]) -> bool | None:
    if fuzzed.form is None:
        return None
    return fuzzed.form(data, **kwargs).is_valid()


@pytest.mark.parametrize("fuzzed", FORMS, ids=[f.name for f in FORMS])
def test_generated_input_never_breaks_a_form_nor_reaches_upstream_when_refused(
    fuzzed: Fuzzed,
    sandbox: SandboxController,
    calls: list[str],
    client_as: Callable[[Role | None], Client],
    make_staff: Callable[..., User],
    figures: Callable[..., None],
) -> None:
    client = client_as(fuzzed.role)
    if fuzzed.prepare is not None:
        fuzzed.prepare(client, make_staff)
    kwargs = fuzzed.form_kwargs(make_staff(Role.SUPERVISOR)) if fuzzed.form_kwargs else {}
    url, warm_url = (u if isinstance(u, str) else u(sandbox) for u in (fuzzed.url, fuzzed.warm))
    keys = count()
    tally = Tally()
    warm = {"needed": True}

    @FUZZ
    @given(st.fixed_dictionaries(fuzzed.fields))
    def submit(generated: dict[str, Any]) -> None:
        data = {**fuzzed.fixed, **generated}
        for name, value in data.items():
            if name.endswith("idempotency_key") and value is None:
                data[name] = f"fuzz-{fuzzed.name.replace(' ', '-')}-{next(keys)}"
        valid = _valid(fuzzed, data, kwargs)
        if warm_url and warm["needed"]:
            # A change dropped the guest's cached reads (and may be pending): start again from
            # a cache holding what the form redraws, so what follows is counted from zero.
            guest_cache().clear()
            client.get(warm_url)
            warm["needed"] = False
        calls.clear()
        headers = HTMX if fuzzed.htmx else {}
        status = getattr(client, fuzzed.method)(url, data, headers=headers).status_code
        tally.inputs += 1
        tally.statuses.add(status)
        tally.server_errors += status >= 500
        if valid is False:
            tally.invalid += 1
            tally.calls_on_invalid += len(calls)
        elif calls:
            warm["needed"] = True

    submit()
    figures(
        f"form fuzz: {fuzzed.name}",
        generated_inputs=tally.inputs,
        refused_by_the_form=tally.invalid if fuzzed.form else "(no upstream behind it)",
        server_errors=tally.server_errors,
        upstream_calls_on_refused_input=tally.calls_on_invalid,
        statuses=sorted(tally.statuses),
    )
    assert tally.inputs >= EXAMPLES
    assert tally.server_errors == 0
    assert tally.calls_on_invalid == 0
    if fuzzed.form is None:
        assert calls == []
    if fuzzed.role is None:
        assert "_auth_user_id" not in client.session


CSV_CELL = st.one_of(TYPED, st.just(CARD), st.just("disable"), st.just(""))
CSV_FILE = st.one_of(
    st.lists(st.lists(CSV_CELL, min_size=1, max_size=4), max_size=6).map(
        lambda rows: (
            "card_number,action,reason\n" + "\n".join(",".join(row) for row in rows)
        ).encode()
    ),
    st.binary(max_size=2000),
)
FILE_NAME = st.sampled_from(["cards.csv", "cards.zip", "cards", "../../etc/passwd", "c\x00.csv"])


def test_generated_bulk_files_are_judged_without_server_errors_or_upstream_calls(
    sandbox: SandboxController,
    calls: list[str],
    client_as: Callable[[Role | None], Client],
    figures: Callable[..., None],
) -> None:
    client = client_as(Role.SUPERVISOR)
    tally = Tally()

    @FUZZ
    @given(CSV_FILE, FILE_NAME, st.one_of(st.sampled_from(["disable", "enable"]), TYPED), TYPED)
    def upload(content: bytes, filename: str, action: str, reason: str) -> None:
        upload = SimpleUploadedFile(filename, content, content_type="text/csv")
        response = client.post(
            reverse("cards:bulk_upload"), {"action": action, "reason": reason, "file": upload}
        )
        tally.inputs += 1
        tally.statuses.add(response.status_code)
        tally.server_errors += response.status_code >= 500
        if response.status_code == 303:
            review = client.get(response["Location"])
            tally.statuses.add(review.status_code)
            tally.server_errors += review.status_code >= 500

    upload()
    figures(
        "form fuzz: bulk card file upload",
        generated_files=tally.inputs,
        server_errors=tally.server_errors,
        upstream_calls=len(calls),
        jobs_started=Job.objects.count(),
        statuses=sorted(tally.statuses),
    )
    assert tally.inputs >= EXAMPLES
    assert tally.server_errors == 0
    assert calls == []
    assert Job.objects.count() == 0
