"""Finding a guest through the search box and the advanced form, against the sandbox."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from guests.selectors.query import MAX_READINGS
from portal.audit.models import AuditRecord, Kind
from portal.sandbox import demo
from portal.sandbox.errors import Failure
from portal.sandbox.testing import SandboxController
from tests.conftest import UpstreamCalls
from tests.guests.conftest import search

pytestmark = pytest.mark.django_db

GUEST_URL = reverse("guests:guest", args=[demo.DEMO_ACCOUNT_ID])


def advanced(client: Client, **fields: Any) -> Any:
    return client.post(reverse("guests:advanced_search"), fields)


@pytest.mark.parametrize(
    "text",
    [
        demo.DEMO_ACTIVE_CARD,
        "6000 2019 0000 0011",
        str(demo.DEMO_ACCOUNT_ID),
        f"#{demo.DEMO_ACCOUNT_ID}",
        demo.DEMO_USERNAME,
        demo.DEMO_EMAIL,
        "(617) 555-0142",
        f"{demo.DEMO_FIRST_NAME} {demo.DEMO_LAST_NAME}",
        f"ext:{demo.DEMO_EXTERNAL_ACCOUNT_CODE}",
    ],
)
def test_one_match_by_any_identifier_opens_the_guest_page(
    sandbox: SandboxController, agent_client: Client, text: str
) -> None:
    response = search(agent_client, text)
    assert response.status_code == 303
    assert response["Location"] == GUEST_URL


def test_ten_bare_digits_that_are_no_card_are_searched_as_a_phone_number(
    sandbox: SandboxController, agent_client: Client
) -> None:
    response = search(agent_client, demo.DEMO_PHONE)
    assert response["Location"] == GUEST_URL


def test_bare_digits_that_are_no_card_are_searched_as_an_account_id(
    sandbox: SandboxController, agent_client: Client
) -> None:
    text = str(demo.DEMO_ACCOUNT_ID).zfill(12)
    response = search(agent_client, text)
    assert response["Location"] == GUEST_URL


def test_a_surname_shared_by_several_guests_lists_them_to_pick_from(
    sandbox: SandboxController, agent_client: Client
) -> None:
    response = search(agent_client, demo.DEMO_LAST_NAME)
    assert response.status_code == 200
    html = response.content.decode()
    assert "guests match last name Thompson" in html
    assert f'href="{GUEST_URL}"' in html
    assert "Ava Thompson" in html
    assert "…000011" in html
    assert "Mar 14, 2019" in html
    assert demo.DEMO_ACTIVE_CARD not in html
    # The first guest found has the focus (Enter opens it), not the search box.
    assert html.count("autofocus") == 1
    assert re.search(r'<a href="/guests/\d+/" autofocus>', html)


def test_results_show_what_tells_guests_of_one_name_apart(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls
) -> None:
    html = search(agent_client, demo.DEMO_LAST_NAME).content.decode()
    # Ava's row: account id, card ending, status, masked email, phone ending, city.
    row = html.split(f'href="{GUEST_URL}"')[1].split("</tr>")[0]
    assert f'<span class="mono">{demo.DEMO_ACCOUNT_ID}</span>' in row
    assert "…000011" in row
    assert "ACTIVE" in row
    assert "<span>a***@example.com</span>" in row
    assert "<span>phone ending 0142</span>" in row
    assert "<span>Waltham</span>" in row
    assert demo.DEMO_EMAIL not in html
    assert demo.DEMO_PHONE not in html
    # Two accounts of one guest and program: which is the main one is said.
    assert "· <strong>main account</strong>" in html
    assert "· attached account" in html
    # The readings tried are named.
    assert "Searched as username Thompson, then as last name Thompson: found by the last." in html
    # The main-account check costs a call only for the accounts it tells apart.
    assert len(upstream_calls.to("guest/isCardCombinable.json")) == 2


def test_the_main_account_check_reads_no_account_a_second_time(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls
) -> None:
    html = search(agent_client, demo.DEMO_LAST_NAME).content.decode()
    assert "· <strong>main account</strong>" in html
    # isCardCombinable asks by the primary card's full number, which the search's own read
    # of each account already has: each account is read once.
    read = [call["accountId"] for call in upstream_calls.to("guest/accountInformationById.json")]
    assert read
    assert sorted(read) == sorted(set(read))
    assert len(upstream_calls.to("guest/isCardCombinable.json")) == 2


@pytest.mark.parametrize(
    "text",
    [
        demo.DEMO_FIRST_NAME,
        f"{demo.DEMO_LAST_NAME}, {demo.DEMO_FIRST_NAME}",
        f"{demo.DEMO_LAST_NAME} 0011",
        f"{demo.DEMO_LAST_NAME} 000011",
        demo.DEMO_EXTERNAL_ACCOUNT_CODE,
    ],
)
def test_what_callers_say_finds_the_guest(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls, text: str
) -> None:
    response = search(agent_client, text)
    assert response.status_code == 303
    assert response["Location"] == GUEST_URL
    searches = [
        path
        for path in upstream_calls.paths()
        if path
        in (
            "guest/userInformation.json",
            "transaction/accountQuery.json",
            "guest/printedCardNumberForExternalAccount.json",
        )
    ]
    assert len(searches) <= MAX_READINGS


def test_a_number_tried_several_ways_says_each_way_it_found_nobody(
    sandbox: SandboxController, agent_client: Client
) -> None:
    # Seen in a walkthrough: 6175559999 was searched as a card and as a phone, and the answer
    # named the card number only.
    html = search(agent_client, "6175559999").content.decode()

    found = re.search(r"No guest matches <strong>([^<]*)</strong>", html)
    assert found is not None
    said = found.group(1)
    assert "6175559999" in said
    assert " or " in said, said
    assert "phone" in said, said


def test_an_account_id_with_leading_zeros_says_what_was_typed_and_what_else_it_may_be(
    sandbox: SandboxController, agent_client: Client
) -> None:
    html = search(agent_client, "000011").content.decode()
    assert "No guest matches <strong>account id 11 (typed 000011)</strong>" in html
    assert "No guest matches <strong>account id 11</strong>" not in html
    assert "the loyalty system cannot search by part of a card number" in html
    assert '<span class="mono">Thompson 000011</span>' in html


def test_a_word_found_by_no_reading_names_every_reading_tried(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls
) -> None:
    html = search(agent_client, "Zebulon").content.decode()
    assert (
        "Searched as username Zebulon, as last name Zebulon, then as first name Zebulon: "
        "none found a guest." in html
    )
    assert len(upstream_calls.to("transaction/accountQuery.json")) == 2


def test_a_username_with_two_accounts_lists_both(
    sandbox: SandboxController, agent_client: Client
) -> None:
    main = sandbox.state.card(demo.DEMO_COMBINE_MAIN_CARD).account_id
    other = sandbox.state.card(demo.DEMO_COMBINE_OTHER_CARD).account_id
    html = search(agent_client, demo.DEMO_COMBINE_USERNAME).content.decode()
    assert reverse("guests:guest", args=[main]) in html
    assert reverse("guests:guest", args=[other]) in html


def test_no_match_says_so_and_keeps_the_query_in_the_box(
    sandbox: SandboxController, agent_client: Client
) -> None:
    response = search(agent_client, "6000209999999999")
    assert response.status_code == 200
    html = response.content.decode()
    assert "No guest matches" in html
    assert 'value="6000209999999999"' in html
    # Back in the box, to type another detail.
    assert 'value="6000209999999999" autocomplete="off" autofocus' in html


def test_an_empty_search_sent_says_what_to_type(agent_client: Client) -> None:
    html = search(agent_client, "   ").content.decode()
    assert "Type what the guest gave: a card number, account id, username, email" in html
    assert 'aria-invalid="true"' in html


def test_a_card_of_a_closed_account_explains_both_statuses(
    sandbox: SandboxController, agent_client: Client
) -> None:
    html = search(agent_client, demo.DEMO_TERMINATED_ACCOUNT_CARD).content.decode()
    assert "the account is closed" in html
    assert "the card is active" in html


def test_a_card_never_activated_explains_its_status(
    sandbox: SandboxController, agent_client: Client
) -> None:
    html = search(agent_client, demo.DEMO_UNACTIVATED_CARD).content.decode()
    assert "printed but never activated" in html


def test_text_that_cannot_be_searched_is_explained_next_to_the_box(
    sandbox: SandboxController, agent_client: Client
) -> None:
    html = search(agent_client, "1" * 25).content.decode()
    assert "too long for a card number" in html
    assert 'aria-invalid="true"' in html


@pytest.mark.parametrize("typed", ["-5", "- 5", "5-", "-6000201900000011"])
def test_a_number_with_a_sign_is_refused_in_words_not_searched_without_it(
    sandbox: SandboxController, agent_client: Client, upstream_calls: Any, typed: str
) -> None:
    html = search(agent_client, typed).content.decode()

    assert f"A card number or account id has no minus sign: {typed} cannot be searched." in html
    assert "No guest matches" not in html
    assert 'aria-invalid="true"' in html
    assert list(upstream_calls) == []


def test_an_empty_search_shows_the_form(agent_client: Client) -> None:
    response = agent_client.get(reverse("guests:search"))
    assert response.status_code == 200
    assert b"Advanced search" in response.content
    assert b"Type what the guest gave" not in response.content
    assert b'autocomplete="off" autofocus' in response.content


def test_upstream_down_is_explained_with_a_retry(
    sandbox: SandboxController, agent_client: Client
) -> None:
    sandbox.faults.error(503, endpoint="guest/accountInformation")
    response = search(agent_client, demo.DEMO_ACTIVE_CARD)
    assert response.status_code == 503
    html = response.content.decode()
    assert "did not answer in time" in html
    assert "Try the search again" in html


def test_advanced_search_by_postal_code_and_name_together(
    sandbox: SandboxController, agent_client: Client
) -> None:
    response = advanced(
        agent_client, last_name=demo.DEMO_LAST_NAME, postal_code=demo.DEMO_POSTAL_CODE
    )
    assert response["Location"] == GUEST_URL


def test_advanced_search_by_eclub_email_uses_the_eclub_template(
    sandbox: SandboxController, agent_client: Client
) -> None:
    account_id = sandbox.state.card(demo.DEMO_ECLUB_CARD).account_id
    response = advanced(
        agent_client, eclub_email=demo.DEMO_ECLUB_EMAIL, eclub_template=demo.ECLUB_TEMPLATE
    )
    assert response["Location"] == reverse("guests:guest", args=[account_id])


@pytest.mark.parametrize(
    ("fields", "location"),
    [
        ({"card_number": demo.DEMO_ACTIVE_CARD}, GUEST_URL),
        ({"account_id": str(demo.DEMO_ACCOUNT_ID)}, GUEST_URL),
        ({"username": demo.DEMO_USERNAME}, GUEST_URL),
        ({"external_code": demo.DEMO_EXTERNAL_ACCOUNT_CODE}, GUEST_URL),
        ({"email": demo.DEMO_EMAIL}, GUEST_URL),
        ({"phone": "617-555-0142"}, GUEST_URL),
        ({"first_name": demo.DEMO_FIRST_NAME, "last_name": demo.DEMO_LAST_NAME}, GUEST_URL),
    ],
)
def test_advanced_search_by_each_field(
    sandbox: SandboxController, agent_client: Client, fields: dict[str, str], location: str
) -> None:
    assert advanced(agent_client, **fields)["Location"] == location


def test_advanced_search_refuses_two_identifiers_at_once(agent_client: Client) -> None:
    response = advanced(
        agent_client, card_number=demo.DEMO_ACTIVE_CARD, username=demo.DEMO_USERNAME
    )
    assert response.status_code == 200
    assert b"Search by one identifier" in response.content


def test_advanced_search_offers_the_merchants_eclub_template(
    agent_client: Client, settings: Any
) -> None:
    html = agent_client.get(reverse("guests:advanced_search")).content.decode()
    assert 'name="eclub_template" value="30"' in html


# -- store managers ---------------------------------------------------------------------------


def test_a_store_manager_finds_a_guest_of_their_store_group(
    sandbox: SandboxController, store_manager_client: Client
) -> None:
    assert search(store_manager_client, demo.DEMO_ACTIVE_CARD)["Location"] == GUEST_URL


def test_a_guest_outside_the_store_group_is_not_found_and_the_attempt_is_logged(
    sandbox: SandboxController,
    store_manager_client: Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="guests.scope"):
        response = search(store_manager_client, demo.DEMO_OTHER_STORE_GROUP_CARD)
    html = response.content.decode()
    assert response.status_code == 200
    assert "No guest matches" in html
    assert "in your store group" in html
    assert "outside store group: user=maria.manager store_group=100 kind=card" in caplog.text
    assert demo.DEMO_OTHER_STORE_GROUP_CARD not in caplog.text
    event = AuditRecord.objects.get(kind=Kind.EVENT, action="access.denied")
    assert event.actor_username == "maria.manager"
    assert event.params["lookup"] == "card"
    assert event.card_masked == demo.DEMO_OTHER_STORE_GROUP_CARD[-6:]


def test_a_guest_that_does_not_exist_is_no_scope_attempt(
    sandbox: SandboxController, store_manager_client: Client
) -> None:
    search(store_manager_client, "6000209999999999")
    assert not AuditRecord.objects.filter(action="access.denied").exists()


def test_a_store_managers_name_search_leaves_out_guests_of_other_groups(
    sandbox: SandboxController, store_manager_client: Client, agent_client: Client
) -> None:
    other = sandbox.state.card(demo.DEMO_OTHER_STORE_GROUP_CARD)
    fields = sandbox.state.user(sandbox.state.account(other.account_id).username).fields
    name = f"{fields['firstName']} {fields['lastName']}"
    other_url = reverse("guests:guest", args=[other.account_id])
    assert search(agent_client, name)["Location"] == other_url
    theirs = search(store_manager_client, name)
    assert theirs.status_code == 200
    assert other_url not in theirs.content.decode()
    assert "No guest matches" in theirs.content.decode()


@pytest.mark.parametrize("text", [demo.DEMO_ACTIVE_CARD, f"ext:{demo.DEMO_EXTERNAL_ACCOUNT_CODE}"])
def test_a_card_reply_without_an_account_id_opens_the_account_of_the_cards_user(
    sandbox: SandboxController, agent_client: Client, no_account_id_in_card_replies: None, text: str
) -> None:
    response = search(agent_client, text)
    assert response["Location"] == GUEST_URL


def test_with_the_specs_card_reply_the_page_a_search_opens_still_asks_upstream_nothing_more(
    sandbox: SandboxController,
    agent_client: Client,
    no_account_id_in_card_replies: None,
    upstream_calls: UpstreamCalls,
) -> None:
    assert search(agent_client, demo.DEMO_ACTIVE_CARD)["Location"] == GUEST_URL
    # The search needs the card's user to name the account; the hand-off asks for the same
    # user for the page: one call serves both.
    assert upstream_calls.to("guest/userInformationByPrintedCardNumber.json") == [
        {"printedCardNumber": demo.DEMO_ACTIVE_CARD}
    ]
    upstream_calls.clear()
    html = agent_client.get(GUEST_URL).content.decode()
    # What the search read by card was kept for the account its user named.
    assert "guest/transactionHistoryByAccount.json" not in upstream_calls.paths()
    assert "guest/referralsByAccountId.json" not in upstream_calls.paths()
    assert "guest/userInformationByAccountId.json" not in upstream_calls.paths()
    assert "Point Adjustment" in html
    assert "maya.friend@example.net" in html


def test_an_anonymous_card_without_an_account_id_is_explained_not_opened(
    sandbox: SandboxController,
    agent_client: Client,
    no_account_id_in_card_replies: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from portal.sandbox.endpoints.registry import ENDPOINTS

    found = ENDPOINTS["guest/userInformationByPrintedCardNumber"]

    def no_user(request: Any) -> Any:
        raise Failure("account_info.invalid_user")

    monkeypatch.setitem(
        ENDPOINTS, "guest/userInformationByPrintedCardNumber", replace(found, handler=no_user)
    )
    response = search(agent_client, demo.DEMO_ACTIVE_CARD)
    html = response.content.decode()
    assert response.status_code == 200
    assert "did not say which account it belongs to" in html
    assert reverse("guests:guest", args=[0]) not in html


def test_a_search_in_the_address_is_not_run_and_shows_the_empty_form(
    sandbox: SandboxController, agent_client: Client, upstream_calls: UpstreamCalls
) -> None:
    response = agent_client.get(reverse("guests:search"), {"q": demo.DEMO_ACTIVE_CARD})
    assert response.status_code == 200
    assert upstream_calls == []
    assert demo.DEMO_ACTIVE_CARD not in response.content.decode()


def test_the_search_forms_post_what_they_are_given(agent_client: Client) -> None:
    for name in ("guests:search", "guests:advanced_search"):
        html = agent_client.get(reverse(name)).content.decode()
        assert html.count('method="post"') >= 2  # the global search box and the page's form
        assert 'method="get"' not in html
        assert "csrfmiddlewaretoken" in html


def test_a_search_without_the_csrf_token_is_refused(sandbox: SandboxController, agent: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(reverse("guests:search"), {"q": demo.DEMO_ACTIVE_CARD})
    assert response.status_code == 403


def test_several_matches_are_listed_in_the_answer_to_the_search(
    sandbox: SandboxController, agent_client: Client
) -> None:
    response = search(agent_client, demo.DEMO_LAST_NAME)
    assert response.status_code == 200
    assert "guests match" in response.content.decode()


@pytest.fixture
def account_search_finds_nobody(monkeypatch: pytest.MonkeyPatch) -> None:
    """transaction/accountQuery without matches (eClub members are not in it upstream)."""
    from portal.sandbox.endpoints.registry import ENDPOINTS

    found = ENDPOINTS["transaction/accountQuery"]
    monkeypatch.setitem(
        ENDPOINTS,
        "transaction/accountQuery",
        replace(found, handler=lambda request: {"result": "success", "accounts": []}),
    )


def test_an_email_the_account_search_does_not_know_is_looked_up_as_an_eclub_member(
    sandbox: SandboxController,
    agent_client: Client,
    upstream_calls: UpstreamCalls,
    account_search_finds_nobody: None,
) -> None:
    account_id = sandbox.state.card(demo.DEMO_ECLUB_CARD).account_id
    response = search(agent_client, demo.DEMO_ECLUB_EMAIL)
    assert response["Location"] == reverse("guests:guest", args=[account_id])
    assert upstream_calls.paths()[:2] == [
        "transaction/accountQuery.json",
        "guest/eClubAccountInformation.json",
    ]


def test_an_eclub_match_is_named_from_its_eclub_user(
    sandbox: SandboxController, agent: Any, account_search_finds_nobody: None
) -> None:
    from guests.forms import SearchForm
    from guests.selectors import guests_search

    form = SearchForm({"q": demo.DEMO_ECLUB_EMAIL})
    assert form.is_valid()
    result = guests_search(viewer=agent, query=form.cleaned_data["q"])
    user = sandbox.state.user(sandbox.state.account_for_card(demo.DEMO_ECLUB_CARD).username)
    assert [m.name for m in result.matches] == [
        f"{user.fields['firstName']} {user.fields['lastName']}"
    ]


def test_without_an_eclub_template_an_unknown_email_is_only_searched_by_account(
    sandbox: SandboxController,
    agent_client: Client,
    upstream_calls: UpstreamCalls,
    settings: Any,
    account_search_finds_nobody: None,
) -> None:
    settings.GUESTS_ECLUB_TEMPLATE_CODE = None
    response = search(agent_client, demo.DEMO_ECLUB_EMAIL)
    assert response.status_code == 200
    assert "No guest matches" in response.content.decode()
    assert "guest/eClubAccountInformation.json" not in upstream_calls.paths()


def test_the_guest_page_after_an_eclub_search_names_the_member_at_once(
    sandbox: SandboxController,
    agent_client: Client,
    upstream_calls: UpstreamCalls,
    account_search_finds_nobody: None,
) -> None:
    response = search(agent_client, demo.DEMO_ECLUB_EMAIL)
    page = agent_client.get(response["Location"])

    html = page.content.decode()
    header = html[html.index('id="panel-header"') :]
    header = header[: header.index("</section>")]
    assert "Sophia Reyes" in header
    assert "Anonymous card" not in html
    assert "not registered" not in html
    # The eClub user read by the search is the page's: no second read of it.
    assert "guest/userInformationByAccountId.json" not in upstream_calls.paths()


def test_a_search_by_card_reads_the_guests_cache_version_once_for_all_it_caches(
    sandbox: SandboxController,
    agent_client: Client,
    upstream_calls: UpstreamCalls,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from portal.guestcache import guest_cache

    cache = guest_cache()
    version_reads: list[list[str]] = []
    get_many = cache.get_many

    def counted(keys: Any, *args: Any, **kwargs: Any) -> Any:
        keys = list(keys)
        if any(key.startswith("guestver:") for key in keys):
            version_reads.append(keys)
        return get_many(keys, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", counted)
    assert search(agent_client, demo.DEMO_ACTIVE_CARD)["Location"] == GUEST_URL
    # The account and the page's reads are cached under one version, read once.
    assert len(version_reads) == 1
    upstream_calls.clear()
    html = agent_client.get(GUEST_URL).content.decode()
    # ...under which the page finds them: it asks upstream nothing of the guest.
    assert [path for path in upstream_calls.paths() if path.startswith("guest/")] == []
    assert "Point Adjustment" in html


def test_what_a_search_by_card_hands_the_page_is_encoded_as_each_answer_comes(
    sandbox: SandboxController, agent_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import portal.guestcache as guestcache
    from guests.selectors import handoff

    encoded_in: list[str] = []
    encode = guestcache.cache_encode

    def counted(value: Any) -> str:
        encoded_in.append(threading.current_thread().name)
        return encode(value)

    # Where the search writes what it cached (before its redirect, in the request's thread),
    # and where each read's answer is encoded (the read's thread).
    monkeypatch.setattr(guestcache, "cache_encode", counted)
    monkeypatch.setattr(handoff, "cache_encode", counted)
    assert search(agent_client, demo.DEMO_ACTIVE_CARD)["Location"] == GUEST_URL
    request_thread = threading.current_thread().name
    # Only the account, cached by the search itself, is encoded in the request's thread; the
    # page's five reads were encoded in their own threads as they answered.
    assert encoded_in.count(request_thread) == 1
    assert len([name for name in encoded_in if name != request_thread]) >= 5
    monkeypatch.setattr(guestcache, "cache_encode", encode)
    html = agent_client.get(GUEST_URL).content.decode()
    assert "Point Adjustment" in html
    assert "maya.friend@example.net" in html
