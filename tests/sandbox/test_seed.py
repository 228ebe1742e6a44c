"""The seed: deterministic, large and varied enough, and every demo constant is what it says."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from datetime import date

import pytest

from portal.sandbox import demo
from portal.sandbox.model import Model
from portal.sandbox.seed import DEFAULT_SEED, build_model
from portal.sandbox.state import DEFAULT_COMBINE_SUSPEND_THRESHOLD


def _fingerprint(model: Model) -> str:
    parts = {
        "accounts": [dataclasses.asdict(a) for a in model.accounts.values()],
        "users": [dataclasses.asdict(u) for u in model.users.values()],
        "cards": [dataclasses.asdict(c) for c in model.cards.values()],
        "visits": [dataclasses.asdict(v) for v in model.visit_codes.values()],
    }
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()


@pytest.fixture(scope="module")
def model() -> Model:
    return build_model(DEFAULT_SEED)


def test_the_same_seed_builds_the_same_data(model: Model) -> None:
    assert _fingerprint(build_model(DEFAULT_SEED)) == _fingerprint(model)


def test_another_seed_builds_other_guests_but_the_same_demo_cases(model: Model) -> None:
    other = build_model(DEFAULT_SEED + 1)
    assert _fingerprint(other) != _fingerprint(model)
    demo_account = dataclasses.asdict(other.accounts[demo.DEMO_ACCOUNT_ID])
    assert demo_account == dataclasses.asdict(model.accounts[demo.DEMO_ACCOUNT_ID])


def test_a_clone_is_independent_of_its_original(model: Model) -> None:
    copy = model.clone()
    copy.cards[demo.DEMO_ACTIVE_CARD].status = "DISABLED"
    copy.accounts[demo.DEMO_ACCOUNT_ID].wallets[0].balance += 1
    copy.users[demo.DEMO_USERNAME].fields["optIn"] = False
    assert model.cards[demo.DEMO_ACTIVE_CARD].status == "ACTIVE"
    assert _fingerprint(model) == _fingerprint(build_model(DEFAULT_SEED))


def test_there_are_at_least_200_guests_registered_and_not(model: Model) -> None:
    unregistered = [a for a in model.accounts.values() if not a.username]
    assert len(model.users) >= 200
    assert len(unregistered) >= 50
    statuses = Counter(a.registration_status for a in model.accounts.values())
    assert {"REGISTERED", "UNREGISTERED", "VERIFICATION_PENDING"} <= set(statuses)


def test_the_seed_covers_every_case(model: Model) -> None:
    accounts = list(model.accounts.values())
    assert {c.status for c in model.cards.values()} >= {"ACTIVE", "DISABLED", "EXCHANGED"}
    assert sum(1 for a in accounts if len(a.cards) >= 3) >= 20
    combinable = {t.combinable for t in model.templates.values() if not t.eclub}
    assert combinable == {True, False}
    assert any(t.eclub for t in model.templates.values())
    assert len({a.tier_code for a in accounts}) >= 4
    assert {a.status for a in accounts} >= {"ACTIVE", "SUSPENDED", "TERMINATED"}
    groups = Counter(a.store_group for a in accounts)
    assert all(groups[g] >= 20 for g in (demo.DEMO_STORE_GROUP, demo.DEMO_OTHER_STORE_GROUP))
    assert sum(1 for a in accounts if len(a.transactions) >= 250) >= 5
    kinds = {w.kind for a in accounts for w in a.wallets}
    assert kinds == {"storedValue", "charge", "points", "reward"}
    assert any(w.expirations for a in accounts for w in a.wallets)
    assert {w.hide_expiration_dates for a in accounts for w in a.wallets} == {True, False}
    referral_statuses = {r.status for a in accounts for r in a.referrals}
    assert referral_statuses == {"INVITATION_SENT", "ENROLLED", "REWARD_EARNED"}
    bulk_statuses = {r.status for a in accounts for r in a.bulk_referrals}
    assert bulk_statuses == {"CARD_LINKED", "CARD_USED", "REWARD_EARNED"}
    assert sum(1 for a in accounts if a.pending_rewards) >= 10
    assert sum(1 for a in accounts if a.external_accounts) >= 10
    assert sum(1 for c in model.cards.values() if c.registration_code) >= 20
    users_of_several = [u for u in model.users.values() if len(u.account_ids) >= 2]
    assert len(users_of_several) >= 10
    assert sum(1 for a in accounts if a.comments) >= 5
    visits = list(model.visit_codes.values())
    assert any(v.used_by for v in visits)
    assert any(v.expires < date(2025, 1, 1) for v in visits)
    assert any(v.used_by is None and v.expires > date(2090, 1, 1) for v in visits)


def test_card_numbers_are_unique_and_every_card_has_its_account(model: Model) -> None:
    numbers = [n for a in model.accounts.values() for n in a.cards]
    assert len(numbers) == len(set(numbers)) == len(model.cards)
    for number, card in model.cards.items():
        assert number in model.accounts[card.account_id].cards


def test_seeded_balances_match_the_history(model: Model) -> None:
    account = model.accounts[demo.DEMO_ACCOUNT_ID]
    last_balance: dict[int, object] = {}
    for transaction in account.transactions:
        for detail in transaction.details:
            last_balance[detail.wallet_code] = detail.balance
    for wallet in account.wallets:
        if wallet.code in last_balance:
            assert wallet.balance == last_balance[wallet.code]


def _card(model: Model, number: str) -> tuple[str, str, str]:
    card = model.cards[number]
    account = model.accounts[card.account_id]
    return card.status, account.status, account.username


def test_the_showcase_guest(model: Model) -> None:
    account = model.accounts[demo.DEMO_ACCOUNT_ID]
    user = model.users[demo.DEMO_USERNAME]
    assert account.cards == [
        demo.DEMO_ACTIVE_CARD,
        demo.DEMO_DISABLED_CARD,
        demo.DEMO_EXCHANGED_CARD,
    ]
    assert [model.cards[n].status for n in account.cards] == ["ACTIVE", "DISABLED", "EXCHANGED"]
    assert account.store_group == demo.DEMO_STORE_GROUP
    assert len(account.transactions) >= 400
    assert user.password == demo.DEMO_PASSWORD
    assert (user.fields["firstName"], user.fields["lastName"]) == (
        demo.DEMO_FIRST_NAME,
        demo.DEMO_LAST_NAME,
    )
    assert (user.fields["email"], user.fields["phone"], user.fields["postalCode"]) == (
        demo.DEMO_EMAIL,
        demo.DEMO_PHONE,
        demo.DEMO_POSTAL_CODE,
    )
    assert ("facebook", demo.DEMO_EXTERNAL_ACCOUNT_CODE) in account.external_accounts
    assert model.referral_codes[demo.DEMO_REFERRAL_CODE].account_id == demo.DEMO_ACCOUNT_ID
    annotated = [
        t for t in account.transactions if t.transaction_id == demo.DEMO_ANNOTATED_TRANSACTION_ID
    ]
    assert annotated[0].comment
    assert annotated[0].system_comment
    assert account.transactions[-1].transaction_id == demo.DEMO_ANNOTATED_TRANSACTION_ID


def test_the_attach_cases(model: Model) -> None:
    assert _card(model, demo.DEMO_ATTACHABLE_CARD) == ("ACTIVE", "ACTIVE", "")
    assert model.cards[demo.DEMO_ATTACHABLE_CARD].registration_code == ""
    assert _card(model, demo.DEMO_CARD_WITH_REGISTRATION_CODE) == ("ACTIVE", "ACTIVE", "")
    assert model.cards[demo.DEMO_CARD_WITH_REGISTRATION_CODE].registration_code == (
        demo.DEMO_REGISTRATION_CODE
    )
    assert _card(model, demo.DEMO_CARD_OWNED_BY_OTHER_USER) == (
        "ACTIVE",
        "ACTIVE",
        demo.DEMO_OTHER_USERNAME,
    )
    assert model.users[demo.DEMO_OTHER_USERNAME].password == demo.DEMO_OTHER_PASSWORD


@pytest.mark.parametrize(
    ("pair", "templates"),
    [
        (demo.DEMO_COMBINABLE_PAIR, (demo.REWARDS_TEMPLATE, demo.REWARDS_TEMPLATE)),
        (demo.DEMO_NOT_COMBINABLE_PAIR, (demo.GIFT_TEMPLATE, demo.GIFT_TEMPLATE)),
        (demo.DEMO_DIFFERENT_TEMPLATE_PAIR, (demo.REWARDS_TEMPLATE, demo.GIFT_TEMPLATE)),
        (demo.DEMO_NEAR_SUSPENSION_PAIR, (demo.REWARDS_TEMPLATE, demo.REWARDS_TEMPLATE)),
    ],
)
def test_the_combine_pairs_are_attached_and_not_combined(
    model: Model, pair: tuple[str, str], templates: tuple[int, int]
) -> None:
    main = model.accounts[model.cards[pair[0]].account_id]
    other = model.accounts[model.cards[pair[1]].account_id]
    assert main.username == other.username != ""
    user = model.users[main.username]
    assert user.account_ids == [main.account_id, other.account_id]
    assert model.main_account(user, main.template_code) is main
    assert other.combined_into is None
    assert other.primary_card == pair[1]
    assert (main.template_code, other.template_code) == templates
    assert main.status == other.status == "ACTIVE"


def test_the_near_suspension_pair_is_one_combine_from_the_threshold(model: Model) -> None:
    main = model.accounts[model.cards[demo.DEMO_NEAR_SUSPENSION_PAIR[0]].account_id]
    assert main.combine_count == DEFAULT_COMBINE_SUSPEND_THRESHOLD - 1
    assert model.accounts[model.cards[demo.DEMO_COMBINE_MAIN_CARD].account_id].combine_count == 0


def test_the_status_cases(model: Model) -> None:
    assert _card(model, demo.DEMO_SUSPENDED_ACCOUNT_CARD)[:2] == ("ACTIVE", "SUSPENDED")
    assert _card(model, demo.DEMO_TERMINATED_ACCOUNT_CARD)[:2] == ("ACTIVE", "TERMINATED")
    assert model.cards[demo.DEMO_UNACTIVATED_CARD].status == "EXISTS"
    other_group = model.accounts[model.cards[demo.DEMO_OTHER_STORE_GROUP_CARD].account_id]
    assert other_group.store_group == demo.DEMO_OTHER_STORE_GROUP


def test_the_eclub_member(model: Model) -> None:
    account = model.accounts[model.cards[demo.DEMO_ECLUB_CARD].account_id]
    assert account.template_code == demo.ECLUB_TEMPLATE
    assert model.users[account.username].fields["email"] == demo.DEMO_ECLUB_EMAIL


def test_the_visit_codes(model: Model) -> None:
    def visit(code: str) -> tuple[bool, bool]:
        found = model.visit_codes[code.replace("-", "")]
        return found.used_by is not None, found.expires < date(2025, 1, 1)

    assert visit(demo.DEMO_VISIT_CODE) == (False, False)
    assert visit(demo.DEMO_USED_VISIT_CODE) == (True, False)
    assert visit(demo.DEMO_EXPIRED_VISIT_CODE) == (False, True)
