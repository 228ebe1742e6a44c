"""Building blocks of the seed: users, accounts with their cards and wallets, histories,
referrals. ``seed_demo`` and ``seed_guests`` build their guests with them."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from portal.sandbox import demo
from portal.sandbox.catalog import (
    FIVE_OFF,
    FREE_ENTREE,
    POINTS,
    REFERRAL_REWARDS,
    STORED_VALUE,
    STORES,
    VISITS,
    wallets_for,
)
from portal.sandbox.model import (
    ACTIVE,
    MERCHANT_TZ,
    REGISTERED,
    UNREGISTERED,
    Account,
    Card,
    Detail,
    Expiration,
    Model,
    Referral,
    Store,
    User,
)

#: seeded histories end here; fixed so the data does not depend on the day it is built.
SEED_TODAY = date(2025, 6, 1)


def new_user(
    model: Model,
    *,
    username: str,
    password: str,
    first: str,
    last: str,
    email: str,
    phone: str,
    postal_code: str,
    city: str = "Waltham",
    state: str = "MA",
    street: str = "307 Waverly Oaks Rd",
    birth: date = date(1988, 4, 12),
    language: str = "en-US",
    frequency: str = "ALL",
    email_verified: bool = True,
) -> User:
    """Register a user with realistic UserFields."""
    address = {
        # AddressInformation.addressId is a String in the spec's table.
        "addressId": str(90000 + len(model.users)),
        "label": "Primary Address",
        "address1": street,
        "address2": "",
        "city": city,
        "stateProvince": state,
        "postalCode": postal_code,
        "country": "US",
    }
    user = User(
        username=username,
        password=password,
        fields={
            "salutation": "",
            "firstName": first,
            "lastName": last,
            "email": email,
            "emailVerified": email_verified,
            "phone": phone,
            "mobilePhone": phone,
            "addressLabel": "Primary Address",
            "address1": street,
            "address2": "",
            "city": city,
            "stateProvince": state,
            "postalCode": postal_code,
            "country": "US",
            "dateOfBirth": birth.isoformat(),
            "optIn": frequency != "UNSUBSCRIBE",
            "textCampaignOptIn": False,
            "smsOptInVerified": False,
            "username": username,
            "userLanguagePref": language,
        },
        account_ids=[],
        addresses=[address],
        message_frequency=frequency,
    )
    model.users[username] = user
    return user


def new_account(
    model: Model,
    *,
    account_id: int,
    template_code: int,
    cards: list[tuple[str, str]],
    store: Store,
    enroll_date: date,
    user: User | None = None,
    tier_code: int = 1,
    status: str = ACTIVE,
    registration_code: str = "",
    registration_status: str | None = None,
    charge: bool = False,
) -> Account:
    """An account with its cards (primary first) and the wallets its template has."""
    account = Account(
        account_id=account_id,
        template_code=template_code,
        tier_code=0 if template_code == demo.ECLUB_TEMPLATE else tier_code,
        status=status,
        cards=[number for number, _ in cards],
        enroll_date=enroll_date,
        store_group=store.group,
        enrollment_store=store,
        favorite_store=store,
        customer_number=f"C{account_id}",
        wallets=wallets_for(template_code, charge=charge),
    )
    for position, (number, card_status) in enumerate(cards):
        model.cards[number] = Card(
            number=number,
            template_code=template_code,
            status=card_status,
            account_id=account_id,
            registration_code=registration_code if position == 0 else "",
        )
    if user is not None:
        account.username = user.username
        account.registration_status = registration_status or REGISTERED
        user.account_ids.append(account_id)
    else:
        account.registration_status = UNREGISTERED
    model.accounts[account_id] = account
    return account


def fill_history(model: Model, account: Account, rng: random.Random, length: int) -> None:
    """Generate ``length`` transactions and leave the wallets at their running balances."""
    if not account.wallets:
        return
    start = datetime.combine(account.enroll_date, time(11, 0), tzinfo=MERCHANT_TZ)
    span = max((SEED_TODAY - account.enroll_date).total_seconds(), 86400.0)
    moments = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(length))
    stores = [s for s in STORES.values() if s.group == account.store_group]
    balances = {w.code: w.balance for w in account.wallets}
    for moment in moments:
        kind, changes = _transaction_changes(account, balances, rng)
        details = []
        for code, (accrued, redeemed) in changes.items():
            balances[code] += accrued - redeemed
            details.append(Detail(code, accrued, redeemed, balances[code]))
        store = rng.choice(stores)
        model.add_transaction(
            account,
            transaction_type=kind,
            moment=moment,
            details=tuple(details),
            store_code=store.code,
            store_name=store.label,
            pos_number=str(rng.randint(1, 9999)),
            terminal_id=f"term{rng.randint(1, 8)}",
            operator_id=rng.randint(10, 99),
            auth_code=f"{rng.randint(0, 999999):06d}",
            request_event={"Identify Customer": "LP100"}.get(kind, "LP207"),
            guest_visible=kind != "Identify Customer",
        )
    for wallet in account.wallets:
        wallet.balance = balances[wallet.code]
    points = account.wallet(POINTS)
    if points is not None and points.balance > 20:
        expiring = (points.balance / 4).quantize(Decimal("1"))
        points.expirations = [Expiration(expiring, SEED_TODAY + timedelta(days=400))]
        points.additional_expiring = (points.balance / 10).quantize(Decimal("1"))
    entree = account.wallet(FREE_ENTREE)
    if entree is not None and entree.balance > 0:
        entree.expirations = [Expiration(entree.balance, SEED_TODAY + timedelta(days=500))]


def _transaction_changes(
    account: Account, balances: dict[int, Decimal], rng: random.Random
) -> tuple[str, dict[int, tuple[Decimal, Decimal]]]:
    zero = Decimal("0")
    roll = rng.random()
    if account.template_code == demo.GIFT_TEMPLATE or roll < 0.15:
        if balances[STORED_VALUE] >= 10 and rng.random() < 0.5:
            spent = Decimal(rng.randint(500, int(balances[STORED_VALUE] * 100))) / 100
            return "Stored Value Redeem", {STORED_VALUE: (zero, spent)}
        return "Stored Value Add", {STORED_VALUE: (Decimal(rng.choice((10, 25, 50))), zero)}
    if roll < 0.25:
        return "Identify Customer", {}
    if roll < 0.35 and balances[POINTS] >= 100:
        return "Reward Earned", {POINTS: (zero, Decimal(100)), FREE_ENTREE: (Decimal(1), zero)}
    if roll < 0.42 and balances[FREE_ENTREE] >= 1:
        return "Redemption", {FREE_ENTREE: (zero, Decimal(1))}
    if roll < 0.45 and balances[FIVE_OFF] < 2:
        return "Bonus Reward", {FIVE_OFF: (Decimal(1), zero)}
    spend = Decimal(rng.randint(800, 9000)) / 100
    points = spend.quantize(Decimal("1"), rounding="ROUND_FLOOR")
    return "Accrual", {POINTS: (points, zero), VISITS: (Decimal(1), zero)}


def add_referrals(account: Account, rng: random.Random, count: int) -> None:
    for n in range(count):
        status = rng.choice(tuple(REFERRAL_REWARDS))
        email = f"friend{n + 1}.{account.account_id}@example.net"
        account.referrals.append(Referral(email, status, REFERRAL_REWARDS[status]))
    account.referrals_available = max(0, 5 - count)
