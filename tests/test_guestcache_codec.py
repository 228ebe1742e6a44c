"""The guest cache's values: JSON of the replies, card numbers masked and hashed, old or foreign
entries read as missing."""

from __future__ import annotations

import dataclasses
import pickle
import typing
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.cache import cache

from portal.audit.scrub import card_hash
from portal.guestcache import guest_cache_invalidate, guest_cache_key, guest_cached
from portal.guestcache.codec import (
    CACHE_FORMAT,
    FULL_NUMBER_FIELDS,
    CacheShapeError,
    JsonSerializer,
    cache_decode,
    cache_encode,
)
from portal.paytronix import replies
from portal.paytronix.client import client_from_settings
from portal.paytronix.replies import (
    AccountInformation,
    BalanceInformation,
    CardInformation,
    UserInformation,
)
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController

NUMBER = "6000201900000011"


def _masked(card: CardInformation) -> CardInformation:
    number = card.printed_card_number or ""
    return replace(
        card,
        printed_card_number=None,
        masked_card_number=card.masked_card_number or number[-6:],
        card_hash=card_hash(number),
    )


def test_every_reply_field_that_names_a_card_number_is_kept_out() -> None:
    for name in replies.__all__:
        cls = getattr(replies, name)
        for field in dataclasses.fields(cls):
            if "card_number" in field.name and "masked" not in field.name:
                assert field.name in FULL_NUMBER_FIELDS.get(cls, ()), f"{name}.{field.name}"


def test_a_card_is_cached_masked_with_its_keyed_hash() -> None:
    card = CardInformation(printed_card_number=NUMBER, status="ACTIVE")
    text = cache_encode(AccountInformation(account_id=7, primary_card=card))
    assert NUMBER not in text
    back = cache_decode(text)
    assert back.primary_card == CardInformation(
        masked_card_number="000011", status="ACTIVE", card_hash=card_hash(NUMBER)
    )
    assert cache_decode(cache_encode(back)) == back


def test_a_users_primary_card_numbers_are_not_cached() -> None:
    user = UserInformation(primary_card_numbers=[NUMBER], account_ids=[7])
    text = cache_encode(user)
    assert NUMBER not in text
    assert cache_decode(text) == UserInformation(account_ids=[7])


def test_sandbox_replies_come_back_equal_but_for_the_card_numbers(
    sandbox: SandboxController,
) -> None:
    guest = client_from_settings().guest
    account = guest.account_information_by_id(account_id=demo.DEMO_ACCOUNT_ID)
    expected = replace(
        account,
        primary_card=_masked(account.primary_card) if account.primary_card else None,
        additional_cards=[_masked(c) for c in account.additional_cards],
    )
    assert cache_decode(cache_encode(account)) == expected
    history = guest.transaction_history_by_account_id(account_id=demo.DEMO_ACCOUNT_ID)
    assert history.transactions
    assert cache_decode(cache_encode(history)) == history
    rewards = guest.pending_event_rewards_by_account_id(account_id=demo.DEMO_ACCOUNT_ID)
    assert cache_decode(cache_encode(rewards)) == rewards


def test_decimals_keep_their_scale_and_plain_values_pass_through() -> None:
    wallet = BalanceInformation(wallet_code=1, balance=Decimal("10.50"))
    back = cache_decode(cache_encode(wallet))
    assert str(back.balance) == "10.50"
    assert cache_decode(cache_encode(["ACTIVE", 3, None, {"a": True}])) == [
        "ACTIVE",
        3,
        None,
        {"a": True},
    ]
    assert cache_decode(cache_encode([])) == []


def test_a_value_that_is_not_json_is_refused() -> None:
    with pytest.raises(TypeError):
        cache_encode(object())
    with pytest.raises(TypeError):
        cache_encode({1: "not a text key"})


@pytest.mark.parametrize(
    "stored",
    [b"\x80\x04K\x01.", "not json", '{"type": "Evil", "value": {}}', '{"type": "json"}'],
)
def test_an_entry_this_code_did_not_write_is_read_as_missing(stored: object) -> None:
    with pytest.raises(CacheShapeError):
        cache_decode(stored)


def test_a_foreign_entry_under_a_guest_key_is_fetched_again() -> None:
    # Something else's value (JSON, as every cache on Redis stores: not our envelope's text).
    cache.set(guest_cache_key("account", account_id=7), {"accountId": 7})
    assert guest_cached("account", lambda: "fetched", account_id=7) == "fetched"
    assert guest_cached("account", lambda: "again", account_id=7) == "fetched"


def test_the_format_is_part_of_every_key() -> None:
    assert guest_cache_key("account", account_id=7).startswith(f"guest:{CACHE_FORMAT}:account:")


@pytest.mark.parametrize("by_hash", [True, False], ids=["by_hash", "by_number"])
def test_a_cards_reads_are_dropped_by_its_keyed_hash_as_by_its_number(by_hash: bool) -> None:
    # A change on a cached account knows the card by its hash only (the cache keeps no number).
    number = demo.DEMO_ACTIVE_CARD
    guest_cache_invalidate(printed_card_number=number)
    fetches: list[str] = []

    def read() -> str:
        fetches.append("read")
        return "account"

    guest_cached("account", read, printed_card_number=number)
    guest_cached("account", read, printed_card_number=number)
    if by_hash:
        guest_cache_invalidate(card_hash=card_hash(number))
    else:
        guest_cache_invalidate(printed_card_number=number)
    guest_cached("account", read, printed_card_number=number)
    assert fetches == ["read", "read"]


def test_no_reply_field_is_of_a_type_the_codec_cannot_write() -> None:
    allowed = (str, int, bool, Decimal, list, dict)
    for name in replies.__all__:
        hints = typing.get_type_hints(getattr(replies, name))
        for field, hint in hints.items():
            args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
            kind = typing.get_origin(args[0]) or args[0]
            assert (
                kind in allowed
                or dataclasses.is_dataclass(kind)
                or kind.__name__ in ("date", "datetime")
            ), f"{name}.{field}"


def test_the_redis_serializer_reads_a_foreign_entry_as_a_miss() -> None:
    serializer = JsonSerializer()
    planted = pickle.dumps(AccountInformation(account_id=7))

    assert serializer.loads(planted) is None
    assert serializer.loads(b"not json") is None
    assert serializer.loads(b'{"a":1}') == {"a": 1}
    assert serializer.dumps({"a": 1}) == b'{"a":1}'
    assert serializer.loads(b"42") == 42
