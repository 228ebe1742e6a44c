"""Generated guests for the seed: realistic variety around the hand-made demo cases."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from portal.sandbox import demo
from portal.sandbox.catalog import EVENTS, PERKS, STORES
from portal.sandbox.model import (
    ACTIVE,
    DISABLED,
    EXCHANGED,
    MERCHANT_TZ,
    SUSPENDED,
    TERMINATED,
    VERIFICATION_PENDING,
    Account,
    AccountComment,
    BulkReferral,
    Model,
    PendingReward,
    Store,
    User,
    VisitCode,
)
from portal.sandbox.seed_builders import (
    SEED_TODAY,
    add_referrals,
    fill_history,
    new_account,
    new_user,
)

FIRST_NAMES = (  # noqa: SIM905  (a list of names reads best as prose)
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy "
    "Anthony Betty Mark Sandra Donald Ashley Steven Kimberly Andrew Emily Joshua Donna Kevin "
    "Michelle Brian Carol George Amanda Timothy Melissa Ryan Deborah Jacob Stephanie Nicholas "
    "Rebecca Eric Laura Jonathan Helen Priya Wei Mateo Aisha Hiroshi Fatima Diego Ingrid"
).split()
LAST_NAMES = (  # noqa: SIM905  (a list of names reads best as prose)
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Patel Chen Kim Okafor Novak Larsen"
).split()
# (city, state, postal codes, store group)
PLACES = (
    ("Waltham", "MA", ("02451", "02452", "02453"), demo.DEMO_STORE_GROUP),
    ("Boston", "MA", ("02108", "02116", "02118"), demo.DEMO_STORE_GROUP),
    ("Cambridge", "MA", ("02139", "02142"), demo.DEMO_STORE_GROUP),
    ("New York", "NY", ("10001", "10018", "10036"), demo.DEMO_OTHER_STORE_GROUP),
    ("Brooklyn", "NY", ("11201", "11215"), demo.DEMO_OTHER_STORE_GROUP),
    ("Chicago", "IL", ("60601", "60605", "60614"), demo.DEMO_THIRD_STORE_GROUP),
)
STREETS = ("Main St", "Waverly Oaks Rd", "Elm St", "Park Ave", "Lake Shore Dr", "Court St")
LANGUAGES = ("en-US",) * 8 + ("es-ES", "fr-CA", "pt-BR", "de-DE")
FREQUENCIES = ("ALL",) * 6 + ("ONCE_PER_WEEK", "ONCE_PER_MONTH", "SNOOZE", "UNSUBSCRIBE")


def add_generated_guest(model: Model, rng: random.Random, index: int) -> None:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city, state, postals, group = rng.choice(PLACES)
    store = rng.choice([s for s in STORES.values() if s.group == group])
    enrolled = SEED_TODAY - timedelta(days=rng.randint(30, 2500))
    account_id = 1000000 + index * 10
    number = 60002010_00010000 + index * 10
    kind = rng.random()
    user = None
    if kind < 0.72 or index % 20 == 0:
        user = new_user(
            model,
            username=f"{first.lower()}.{last.lower()}{index}",
            password=f"Guest-{index}-pw",
            first=first,
            last=last,
            email=f"{first.lower()}.{last.lower()}{index}@example.com",
            phone=f"{rng.choice(('617', '212', '312', '781'))}555{rng.randint(0, 9999):04d}",
            postal_code=rng.choice(postals),
            city=city,
            state=state,
            street=f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
            birth=date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)),
            language=rng.choice(LANGUAGES),
            frequency=rng.choice(FREQUENCIES),
            email_verified=rng.random() > 0.1,
        )
    template = demo.REWARDS_TEMPLATE
    if index % 20 == 0:
        template = demo.ECLUB_TEMPLATE
    elif rng.random() < 0.2:
        template = demo.GIFT_TEMPLATE
    cards = [(str(number), ACTIVE)]
    for extra in range(rng.choice((0, 0, 1, 1, 2, 3))):
        cards.append((str(number + 1 + extra), rng.choice((ACTIVE, DISABLED, EXCHANGED))))
    status = rng.choices((ACTIVE, SUSPENDED, TERMINATED), weights=(92, 5, 3))[0]
    account = new_account(
        model,
        account_id=account_id,
        template_code=template,
        cards=cards,
        store=store,
        enroll_date=enrolled,
        user=user,
        tier_code=rng.randint(1, 4),
        status=status,
        registration_code=f"{rng.randint(0, 999999):06d}" if user is None else "",
        registration_status=VERIFICATION_PENDING if rng.random() < 0.06 else None,
        charge=rng.random() < 0.1,
    )
    long_history = rng.random() < 0.06
    fill_history(model, account, rng, rng.randint(250, 500) if long_history else rng.randint(3, 60))
    if user is not None and template != demo.ECLUB_TEMPLATE:
        _decorate_registered(model, account, user, rng, store, enrolled)


def _decorate_registered(
    model: Model, account: Account, user: User, rng: random.Random, store: Store, enrolled: date
) -> None:
    if rng.random() < 0.3:
        add_referrals(account, rng, rng.randint(1, 4))
    if rng.random() < 0.1:
        for status in rng.sample(("CARD_LINKED", "CARD_USED", "REWARD_EARNED"), 2):
            reward = "Free Entree" if status == "REWARD_EARNED" else ""
            detail = f"{rng.randint(0, 999999):06d}"
            account.bulk_referrals.append(BulkReferral(detail, status, reward))
    if rng.random() < 0.2:
        name, code, reward, amount = rng.choice(EVENTS)
        account.pending_rewards.append(
            PendingReward(reward, amount, name, code, SEED_TODAY + timedelta(days=45))
        )
    if rng.random() < 0.15:
        account.external_accounts.append(("externalIdentifier", f"ext-{account.account_id}"))
    if rng.random() < 0.3:
        account.perks.append(rng.choice(PERKS))
    if rng.random() < 0.1:
        moment = datetime.combine(SEED_TODAY, time(15, 30), tzinfo=MERCHANT_TZ)
        account.comments.append(
            AccountComment("Guest called about a missing visit credit.", "csr.seed", moment)
        )
    if rng.random() < 0.15:
        # A second account of the same program, attached to the same user and not combined
        # yet (enrolled later: this one stays the main account).
        second = new_account(
            model,
            account_id=account.account_id + 1,
            template_code=account.template_code,
            cards=[(str(int(account.primary_card) + 5), ACTIVE)],
            store=store,
            enroll_date=enrolled + timedelta(days=rng.randint(1, 20)),
            user=user,
        )
        fill_history(model, second, rng, rng.randint(2, 15))


def add_generated_visit_codes(model: Model, rng: random.Random) -> None:
    accounts = [a for a in model.accounts.values() if a.template_code == demo.REWARDS_TEMPLATE]
    for n in range(30):
        store = rng.choice(list(STORES.values()))
        code = f"VC{2000 + n}{rng.randint(0, 9999):04d}{rng.randint(0, 9999):04d}"
        checked = SEED_TODAY - timedelta(days=rng.randint(0, 60))
        visit = VisitCode(
            code=code,
            store_code=store.code,
            check_number=str(rng.randint(100, 9999)),
            dollar_spent=Decimal(rng.randint(800, 12000)) / 100,
            check_date=checked,
            expires=date(2099, 12, 31) if n % 3 else date(2020, 1, 1),
        )
        if n % 5 == 0:
            visit.used_by = rng.choice(accounts).account_id
        model.visit_codes[code] = visit
