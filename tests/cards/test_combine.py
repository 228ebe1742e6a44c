"""Combining a card: combinable check, balances before and after, a job that shows the
surviving account, suspension explained calmly, every combine_card error; attach-and-combine
as one audited write in the request, telling attach_failure from combine_failure."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from portal.jobs.models import Job
from portal.sandbox import demo
from portal.sentences import explain_code
from portal.templatetags.amounts import amount
from tests.cards.conftest import INTENT, OUTCOME

pytestmark = pytest.mark.django_db

MAIN, OTHER = demo.DEMO_COMBINABLE_PAIR


def account_of(sandbox, card: str) -> int:
    return sandbox.state.account_for_card(card).account_id


def combine(client, sandbox, pair=demo.DEMO_COMBINABLE_PAIR, *, key="c1", understood="on"):
    # Combine acts on the attached account (through its card), from that account's row.
    _, other = pair
    url = reverse("cards:combine_submit", args=[account_of(sandbox, other), other[-6:]])
    data = {"idempotency_key": key, "reason_text": "Guest has two cards"}
    if understood:
        data["understood"] = understood
    return client.post(url, data)


def test_the_preview_shows_both_balances_their_sum_and_the_suspension_warning(
    sandbox, supervisor_client
):
    main, other = sandbox.state.account_for_card(MAIN), sandbox.state.account_for_card(OTHER)

    def many_points(model, moment):
        model.accounts[other.account_id].wallets[0].balance = Decimal("12345")

    sandbox.state.write(many_points)
    page = supervisor_client.get(reverse("cards:combine", args=[other.account_id, OTHER[-6:]]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "can make the loyalty system suspend the main account" in html
    assert f">{main.account_id}</a>" in html
    # Figures as every screen shows them (grouped by thousands).
    assert '<td class="num">12,345.00</td>' in html
    for wallet in other.wallets:
        ours = main.wallet(wallet.code)
        total = wallet.balance + (ours.balance if ours else Decimal(0))
        assert f"<strong>{amount(total)}</strong>" in html
    assert 'name="understood"' in html


def test_combining_runs_as_a_job_and_shows_the_surviving_account_and_new_balances(
    sandbox, supervisor_client, store_manager_client, records, django_capture_on_commit_callbacks
):
    main = sandbox.state.account_for_card(MAIN)
    other = sandbox.state.account_for_card(OTHER)
    expected = {w.code: w.balance for w in main.wallets}
    for wallet in other.wallets:
        expected[wallet.code] = expected.get(wallet.code, Decimal(0)) + wallet.balance
    with django_capture_on_commit_callbacks(execute=True):
        response = combine(supervisor_client, sandbox)
    job = Job.objects.get()
    assert response.status_code == 303
    assert response["Location"] == reverse("cards:job", args=[job.pk])
    assert (job.kind, job.status) == ("cards.combine", "succeeded")
    assert sandbox.state.account_for_card(OTHER).account_id == main.account_id
    page = supervisor_client.get(response["Location"]).content.decode()
    assert f"combined into account {main.account_id}" in page
    assert f">{main.account_id}</a>" in page
    after = {w.code: w.balance for w in sandbox.state.account(main.account_id).wallets}
    assert after == expected
    # One record for the job, one for the card's combine, each with its outcome.
    intents = records("cards.combine", INTENT)
    assert len(intents) == 2
    assert intents[1].job_id == job.pk
    assert [r.outcome for r in records("cards.combine", OUTCOME)] == ["succeeded", "succeeded"]
    # The account combined away is no dead end: its page says where it went, with a link.
    gone = supervisor_client.get(reverse("guests:guest", args=[other.account_id]))
    assert "This account cannot be shown" in gone.content.decode()
    link = reverse("guests:guest", args=[main.account_id])
    assert f'Combined into account <a class="mono" href="{link}">{main.account_id}</a>' in (
        gone.content.decode()
    )
    # The account it went into tells it too, on its timeline: who combined which card.
    timeline = supervisor_client.get(
        reverse("guests:timeline", args=[main.account_id]), {"kind": "change"}
    ).content.decode()
    assert "<strong>Combine cards</strong>" in timeline
    assert f'(ending <span class="mono">{OTHER[-6:]}</span>)' in timeline
    came = reverse("guests:guest", args=[other.account_id])
    assert (
        f'Account <a class="mono" href="{came}">{other.account_id}</a> was combined into this one.'
        in timeline
    )
    # A store manager reads the account's own changes only (the other may not be theirs).
    managed = store_manager_client.get(reverse("guests:timeline", args=[main.account_id]))
    assert managed.status_code == 200
    assert "was combined into this one" not in managed.content.decode()


def test_the_combine_that_suspends_the_account_is_explained_calmly(
    sandbox, supervisor_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = combine(supervisor_client, sandbox, demo.DEMO_NEAR_SUSPENSION_PAIR)
    job = Job.objects.get()
    # A result of the combine, not a failure of it: the jobs list says what it was.
    assert (job.status, job.get_status_display()) == ("suspended", "Account suspended")
    assert [i.outcome for i in job.items.all()] == ["suspended"]
    jobs = supervisor_client.get(reverse("jobs:list")).content.decode()
    assert "Account suspended" in jobs
    assert "Failed" not in jobs
    page = supervisor_client.get(response["Location"]).content.decode()
    main, other = demo.DEMO_NEAR_SUSPENSION_PAIR
    main_id, other_id = account_of(sandbox, main), account_of(sandbox, other)
    # The jobs list names the account each job acted on.
    assert f'>{other_id}</a> <span class="muted">card ending {other[-6:]}</span>' in jobs
    assert f'<span class="mono">{main_id}</span> is now suspended, and nothing was combined' in page
    assert "Nothing was combined" in page
    assert "no balance moved" in page
    assert "tell the guest their balances are safe" in page
    assert "do not try the combine again" in page
    assert "ask a supervisor to have the main account reviewed" in page
    assert f">{other_id}</a>: unchanged, still attached" in page
    # Nothing in it is written for the guest to read.
    assert "Customer service will" not in page
    assert sandbox.state.account_for_card(main).status == "SUSPENDED"
    assert sandbox.state.account_for_card(other).status == "ACTIVE"
    # The audit log says so too, for the job and for the combine.
    audit = supervisor_client.get(reverse("audit:list"), {"action": "cards.combine"})
    rows = audit.content.decode().split("<tbody>")[1]
    assert rows.count('<span class="status suspended">Account suspended</span>') == 2
    assert ">Failed<" not in rows
    # The job leads back to the main account, which now shows as suspended.
    assert reverse("guests:guest", args=[main_id]) in page
    guest = supervisor_client.get(reverse("guests:guest", args=[main_id])).content.decode()
    assert "SUSPENDED" in guest


def test_the_preview_names_the_main_account_and_what_a_suspension_would_mean(
    sandbox, supervisor_client
):
    main, other = demo.DEMO_NEAR_SUSPENSION_PAIR
    main_account = sandbox.state.account_for_card(main)
    page = supervisor_client.get(
        reverse("cards:combine", args=[account_of(sandbox, other), other[-6:]])
    ).content.decode()
    held = len(main_account.cards)
    assert (
        f'main account <span class="mono">{main_account.account_id}</span> holds {held} card'
        in page
    )
    assert "suspend the main account for a review instead" in page
    assert "nothing is combined and no balance moves" in page


def test_a_combine_into_a_suspended_main_account_is_refused_precisely_with_no_after_total(
    sandbox, supervisor_client, upstream_calls
):
    main, other = demo.DEMO_NEAR_SUSPENSION_PAIR
    main_account = sandbox.state.account_for_card(main)

    def suspend(model, moment):
        # As the combine before left it; a write, so the next test's reset undoes it.
        model.accounts[main_account.account_id].status = "SUSPENDED"

    sandbox.state.write(suspend)
    url = reverse("cards:combine", args=[account_of(sandbox, other), other[-6:]])
    page = supervisor_client.get(url).content.decode()
    assert f"The main account {main_account.account_id} it would go into is suspended" in page
    assert "until it is active again" in page
    assert ">After<" not in page
    assert 'name="understood"' not in page
    assert combine(supervisor_client, sandbox, demo.DEMO_NEAR_SUSPENSION_PAIR).status_code == 409
    assert upstream_calls.to("guest/combineCard.json") == []


def test_a_running_combine_job_page_keeps_updating_until_the_job_ends(
    sandbox, supervisor_client, django_capture_on_commit_callbacks
):
    # The task is not run: the job stays queued, as in the first seconds after the submit.
    response = combine(supervisor_client, sandbox)
    job = Job.objects.get()
    assert job.status == "queued"
    page = supervisor_client.get(response["Location"]).content.decode()
    assert f'hx-get="{reverse("jobs:detail", args=[job.pk])}"' in page
    assert 'hx-trigger="every 2s"' in page
    assert "stopped updating" not in page
    # Each poll answers the progress until the job ends, then reloads the page for the result.
    htmx = {"HX-Request": "true"}
    poll = supervisor_client.get(reverse("jobs:detail", args=[job.pk]), headers=htmx)
    assert 'hx-trigger="every 2s"' in poll.content.decode()
    Job.objects.filter(pk=job.pk).update(status="succeeded")
    assert supervisor_client.get(poll.request["PATH_INFO"], headers=htmx)["HX-Refresh"] == "true"


def test_a_card_that_is_not_combinable_is_said_so_and_cannot_be_submitted(
    sandbox, supervisor_client, upstream_calls
):
    _, other = demo.DEMO_DIFFERENT_TEMPLATE_PAIR
    page = supervisor_client.get(
        reverse("cards:combine", args=[account_of(sandbox, other), other[-6:]])
    )
    assert "The guest&#x27;s only Gift Card account" in page.content.decode()
    assert 'name="understood"' not in page.content.decode()
    assert combine(supervisor_client, sandbox, demo.DEMO_DIFFERENT_TEMPLATE_PAIR).status_code == 409
    assert upstream_calls.to("guest/combineCard.json") == []
    assert Job.objects.count() == 0


def test_the_warning_must_be_acknowledged(sandbox, supervisor_client, upstream_calls):
    supervisor_client.get(reverse("cards:combine", args=[account_of(sandbox, OTHER), OTHER[-6:]]))
    upstream_calls.clear()
    assert combine(supervisor_client, sandbox, understood="").status_code == 422
    assert Job.objects.count() == 0
    # Shown again from what the form page just read: an invalid form costs no upstream call.
    assert upstream_calls == []


def test_a_double_submit_makes_one_job_and_one_combine(
    sandbox, supervisor_client, upstream_calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = combine(supervisor_client, sandbox, key="same")
        second = combine(supervisor_client, sandbox, key="same")
    assert first["Location"] == second["Location"]
    assert Job.objects.count() == 1
    assert len(upstream_calls.to("guest/combineCard.json")) == 1


def test_an_agents_combine_is_a_request_not_a_job(sandbox, agent_client, upstream_calls):
    # Agents' combines go through a supervisor's approval (tests/cards/test_combine_approval.py).
    response = combine(agent_client, sandbox)
    assert response.status_code == 303
    assert response["Location"].startswith(reverse("approvals:queue"))
    assert Job.objects.count() == 0
    assert upstream_calls.to("guest/combineCard.json") == []


COMBINE_CODES = [
    "combine_card.error",
    "combine_card.not_enabled",
    "combine_card.not_attached",
    "combine_card.not_combinable_template",
    "combine_card.same_card",
    "combine_card.already_combined",
    "combine_card.account_not_active",
    "combine_card.card_not_active",
    "combine_card.other_account_not_active",
    "combine_card.other_card_not_active",
    "combine_card.invalid_card",
    "combine_card.invalid_other",
    "combine_card.combine_different_templates",
    "combine_card.account_suspended",
]


@pytest.mark.parametrize("code", COMBINE_CODES)
def test_every_combine_card_error_code_is_explained_on_the_job_page(
    sandbox, supervisor_client, upstream_refuses, django_capture_on_commit_callbacks, code
):
    upstream_refuses("guest/combineCard", code)
    with django_capture_on_commit_callbacks(execute=True):
        response = combine(supervisor_client, sandbox)
    page = supervisor_client.get(response["Location"]).content.decode()
    assert escape(explain_code(code)) in page
    assert Job.objects.get().status == "failed"


# -- attach and combine ----------------------------------------------------------------------

ACCOUNT = demo.DEMO_ACCOUNT_ID
AAC = reverse("cards:attach_and_combine_submit", args=[ACCOUNT])


def attach_and_combine(client, other, *, key="ac1", **extra):
    data = {"idempotency_key": key, "other_card_number": other, "reason_text": "One account"}
    return client.post(AAC, data | extra)


def hidden(html: str, name: str) -> str:
    return html.split(f'name="{name}" value="')[1].split('"')[0]


def test_attach_and_combine_moves_the_card_and_its_balances_in_one_write(
    sandbox, supervisor_client, records
):
    response = attach_and_combine(supervisor_client, demo.DEMO_ATTACHABLE_CARD)
    assert response.status_code == 303
    assert response["Location"] == reverse("guests:guest", args=[ACCOUNT]) + "#panel-cards"
    assert not Job.objects.exists()
    assert sandbox.state.account_for_card(demo.DEMO_ATTACHABLE_CARD).account_id == ACCOUNT
    page = supervisor_client.get(response["Location"]).content.decode()
    assert "is attached and its balances combined" in page
    assert len(records("cards.attach_and_combine", INTENT)) == 1
    assert [r.outcome for r in records("cards.attach_and_combine", OUTCOME)] == ["succeeded"]


def test_attach_and_combine_asks_for_the_owners_password_and_keeps_it_out_of_everything(
    sandbox, supervisor_client, records, caplog
):
    first = attach_and_combine(supervisor_client, demo.DEMO_CARD_OWNED_BY_OTHER_USER)
    html = first.content.decode()
    assert 'name="other_password"' in html
    assert [r.outcome for r in records("cards.attach_and_combine", OUTCOME)] == ["needs_more_info"]
    second = supervisor_client.post(
        AAC,
        {
            "idempotency_key": hidden(html, "idempotency_key"),
            "other_card_number": hidden(html, "other_card_number"),
            "needed": hidden(html, "needed"),
            "reason_text": "One account",
            "other_username": demo.DEMO_OTHER_USERNAME,
            "other_password": demo.DEMO_OTHER_PASSWORD,
        },
    )
    assert second.status_code == 303
    assert second["Location"] == reverse("guests:guest", args=[ACCOUNT]) + "#panel-cards"
    owned = demo.DEMO_CARD_OWNED_BY_OTHER_USER
    assert sandbox.state.account_for_card(owned).account_id == ACCOUNT
    assert not Job.objects.exists()
    for record in records("cards.attach_and_combine"):
        assert demo.DEMO_OTHER_PASSWORD not in str(record.params)
    assert demo.DEMO_OTHER_PASSWORD not in caplog.text
    assert records("cards.attach_and_combine", INTENT)[-1].params["otherPassword"] == "(given)"


def test_attach_failure_and_combine_failure_are_told_apart(sandbox, supervisor_client):
    refused_attach = attach_and_combine(supervisor_client, "6000209999999999", key="x1")
    assert "The card could not be added" in refused_attach.content.decode()
    # A Gift Card attaches to a Rewards account but cannot be combined into it.
    gift = demo.DEMO_NOT_COMBINABLE_PAIR[0]
    # Seeded registered to another user; made anonymous here so no credentials are asked.
    sandbox.state.account_for_card(gift).username = ""
    refused_combine = attach_and_combine(supervisor_client, gift, key="x2")
    assert (
        "The card&#x27;s balances could not be combined (it may have been added to this guest: "
        "the cards panel lists it if so)" in refused_combine.content.decode()
    )


def test_an_attach_and_combine_whose_combine_suspends_says_where_to_see_whether_it_attached(
    sandbox, supervisor_client, records, monkeypatch
):
    monkeypatch.setattr(sandbox.state, "combine_suspend_threshold", 1)
    response = attach_and_combine(supervisor_client, demo.DEMO_ATTACHABLE_CARD)
    # Nothing to try again: back to the guest's page, which says what happened.
    assert response.status_code == 303
    assert response["Location"] == reverse("guests:guest", args=[ACCOUNT]) + "#panel-cards"
    page = supervisor_client.get(response["Location"]).content.decode()
    masked = demo.DEMO_ATTACHABLE_CARD[-6:]
    assert "Nothing was combined: the loyalty system suspended the guest&#x27;s main" in page
    # Only the sandbox is known to keep the attach: the CSR is told where to see it.
    assert f"Card ending {masked} may still have been attached: if it was, the cards" in page
    assert "the cards panel lists it under its own account, with its own balances." in page
    assert "is attached to this guest" not in page
    assert "do not try the combine again" in page
    attached = sandbox.state.account_for_card(demo.DEMO_ATTACHABLE_CARD)
    assert attached.account_id != ACCOUNT
    owner = sandbox.state.user(sandbox.state.account(ACCOUNT).username)
    assert attached.account_id in owner.account_ids
    outcome = records("cards.attach_and_combine", OUTCOME)[-1]
    assert outcome.upstream_result == "accountSuspended"


def test_attach_and_combine_twice_with_one_key_calls_upstream_once(
    sandbox, supervisor_client, upstream_calls
):
    first = attach_and_combine(supervisor_client, demo.DEMO_ATTACHABLE_CARD, key="twice")
    second = attach_and_combine(supervisor_client, demo.DEMO_ATTACHABLE_CARD, key="twice")
    assert len(upstream_calls.to("guest/attachAndCombine.json")) == 1
    assert first.status_code == second.status_code == 303


def test_attach_and_combine_claims_the_forms_key_before_calling_upstream(
    sandbox, supervisor_client, upstream_calls
):
    used = {"idempotency_key": "used", "other_card_number": demo.DEMO_ATTACHABLE_CARD}
    supervisor_client.post(
        reverse("cards:attach_submit", args=[ACCOUNT]), used | {"reason_text": "Old card"}
    )
    response = attach_and_combine(
        supervisor_client, demo.DEMO_CARD_WITH_REGISTRATION_CODE, key="used"
    )
    assert "This form was already used" in response.content.decode()
    assert upstream_calls.to("guest/attachAndCombine.json") == []


def test_an_attach_and_combine_that_breaks_in_the_portal_is_left_unknown_not_open(
    sandbox, supervisor_client, records, monkeypatch
):
    def breaks(self: object, **kwargs: object) -> None:
        raise RuntimeError("the portal broke mid-call")

    monkeypatch.setattr("portal.paytronix.guest.GuestService.attach_and_combine", breaks)
    with pytest.raises(RuntimeError):
        attach_and_combine(supervisor_client, demo.DEMO_ATTACHABLE_CARD)
    [outcome] = records("cards.attach_and_combine", OUTCOME)
    assert (outcome.outcome, outcome.error_code) == ("unknown", "internal_error")


# -- where the guest page offers Combine ------------------------------------------------------


def cards_panel(client, account_id: int) -> str:
    html = client.get(reverse("guests:guest", args=[account_id])).content.decode()
    return html[html.index('id="panel-cards"') : html.index('id="panel-referrals"')]


def combine_link(account_id: int, card: str) -> str:
    return f'href="{reverse("cards:combine", args=[account_id, card[-6:]])}"'


def test_the_main_accounts_page_lists_the_attached_account_and_offers_combine_there(
    sandbox, supervisor_client
):
    main, other = account_of(sandbox, MAIN), account_of(sandbox, OTHER)
    panel = cards_panel(supervisor_client, main)
    assert f"Account {other}</a>" in panel
    assert f"…{OTHER[-6:]}" in panel
    for wallet in sandbox.state.account(other).wallets:
        assert f"{wallet.name}: <strong>{wallet.balance:.{wallet.scale}f}</strong>" in panel
    assert combine_link(other, OTHER) in panel
    assert combine_link(main, MAIN) not in panel
    assert "main Rewards Card account: the guest&#x27;s other Rewards Card accounts" in panel


def test_the_attached_accounts_page_offers_combine_on_its_own_card(sandbox, supervisor_client):
    main, other = account_of(sandbox, MAIN), account_of(sandbox, OTHER)
    panel = cards_panel(supervisor_client, other)
    assert combine_link(other, OTHER) in panel
    assert f"Account {main}</a>" in panel
    assert combine_link(main, MAIN) not in panel
    assert panel.count("Combine into the main account") == 1


@pytest.mark.parametrize(
    ("pair", "notes"),
    [
        (demo.DEMO_NOT_COMBINABLE_PAIR, ["Accounts of the Gift Card program cannot be combined."]),
        (
            demo.DEMO_DIFFERENT_TEMPLATE_PAIR,
            [
                "The guest&#x27;s only Rewards Card account: there is nothing to combine it with.",
                "The guest&#x27;s only Gift Card account: there is nothing to combine it with.",
            ],
        ),
    ],
    ids=["gift-cards", "different-programs"],
)
def test_no_combine_is_offered_where_the_spec_does_not_allow_it_and_the_page_says_why(
    sandbox, supervisor_client, pair, notes
):
    panel = cards_panel(supervisor_client, account_of(sandbox, pair[0]))
    assert "Combine into the main account" not in panel
    assert "already part of this account" not in panel
    for note in notes:
        assert note in panel


def test_an_attached_card_shows_as_another_account_of_the_guest_with_combine(
    sandbox, supervisor_client
):
    data = {
        "idempotency_key": "a1",
        "other_card_number": demo.DEMO_ATTACHABLE_CARD,
        "reason_text": "Old card",
    }
    attached = supervisor_client.post(
        reverse("cards:attach_submit", args=[demo.DEMO_ACCOUNT_ID]), data
    )
    assert attached.status_code == 303
    other = account_of(sandbox, demo.DEMO_ATTACHABLE_CARD)
    panel = cards_panel(supervisor_client, demo.DEMO_ACCOUNT_ID)
    assert f"Account {other}</a>" in panel
    assert combine_link(other, demo.DEMO_ATTACHABLE_CARD) in panel


def test_an_agent_sees_the_other_accounts_and_the_combine_but_no_attach_and_combine(
    sandbox, agent_client
):
    # Their combine is a request a supervisor approves; attach-and-combine is not offered.
    panel = cards_panel(agent_client, account_of(sandbox, MAIN))
    assert f"Account {account_of(sandbox, OTHER)}</a>" in panel
    assert "Combine into the main account" in panel
    assert "Attach and combine a card" not in panel
