"""The hand-made demo cases named in ``demo``: identical whatever the seed."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from portal.sandbox import demo
from portal.sandbox.catalog import POINTS, STORES
from portal.sandbox.model import (
    ACTIVE,
    DISABLED,
    EXCHANGED,
    EXISTS,
    MERCHANT_TZ,
    SUSPENDED,
    TERMINATED,
    Account,
    AccountComment,
    AutoRecharge,
    BulkReferral,
    Card,
    Detail,
    Model,
    PaymentMethod,
    PendingReward,
    Recharge,
    Referral,
    ReferralCode,
    Transaction,
    User,
    VisitCode,
    normalize_visit_code,
)
from portal.sandbox.seed_builders import SEED_TODAY, fill_history, new_account, new_user

#: the demo cases use their own generator so that they do not depend on the seed.
DEMO_RANDOM_SEED = 7


def add_demo_cases(model: Model) -> None:
    rng = random.Random(DEMO_RANDOM_SEED)
    _showcase_guest(model, rng)
    _attach_cases(model, rng)
    _combine_cases(model, rng)
    _status_cases(model, rng)
    _visit_codes(model)
    _replacement_cards(model, rng)
    _payment_cases(model)


def _user(
    model: Model,
    username: str,
    first: str,
    last: str,
    *,
    password: str = "",
    email: str = "",
    phone: str = "",
    postal_code: str = "02116",
    city: str = "Boston",
    birth: date = date(1988, 4, 12),
) -> User:
    return new_user(
        model,
        username=username,
        password=password or f"Sandbox-{first}-1",
        first=first,
        last=last,
        email=email or f"{first.lower()}.{last.lower()}@example.com",
        phone=phone or f"617555{len(model.users):04d}",
        postal_code=postal_code,
        city=city,
        birth=birth,
    )


def _account(
    model: Model,
    account_id: int,
    cards: list[tuple[str, str]],
    *,
    rng: random.Random,
    history: int = 20,
    template: int = demo.REWARDS_TEMPLATE,
    store: str = "002",
    user: User | None = None,
    tier_code: int = 1,
    status: str = ACTIVE,
    registration_code: str = "",
    charge: bool = False,
    enroll_date: date = date(2021, 5, 3),
) -> Account:
    account = new_account(
        model,
        account_id=account_id,
        template_code=template,
        cards=cards,
        store=STORES[store],
        enroll_date=enroll_date,
        user=user,
        tier_code=tier_code,
        status=status,
        registration_code=registration_code,
        charge=charge,
    )
    fill_history(model, account, rng, history)
    return account


def _showcase_guest(model: Model, rng: random.Random) -> None:
    user = _user(
        model,
        demo.DEMO_USERNAME,
        demo.DEMO_FIRST_NAME,
        demo.DEMO_LAST_NAME,
        password=demo.DEMO_PASSWORD,
        email=demo.DEMO_EMAIL,
        phone=demo.DEMO_PHONE,
        postal_code=demo.DEMO_POSTAL_CODE,
        city="Waltham",
        birth=date(1990, 7, 18),
    )
    user.related_guests.append(
        {"relatedGuestCode": 5, "firstName": "Leo", "lastName": "Thompson", "salutation": ""}
    )
    account = _account(
        model,
        demo.DEMO_ACCOUNT_ID,
        [
            (demo.DEMO_ACTIVE_CARD, ACTIVE),
            (demo.DEMO_DISABLED_CARD, DISABLED),
            (demo.DEMO_EXCHANGED_CARD, EXCHANGED),
        ],
        rng=rng,
        history=420,
        store="001",
        user=user,
        tier_code=3,
        charge=True,
        enroll_date=date(2019, 3, 14),
    )
    account.perks = [(1, "Gluten free"), (3, "Birthday club")]
    account.external_accounts = [("facebook", demo.DEMO_EXTERNAL_ACCOUNT_CODE)]
    account.referrals = [
        Referral("maya.friend@example.net", "INVITATION_SENT", ""),
        Referral("omar.friend@example.net", "ENROLLED", ""),
        Referral("zoe.friend@example.net", "REWARD_EARNED", "Free Entree"),
    ]
    account.bulk_referrals = [
        BulkReferral("771203", "CARD_LINKED", ""),
        BulkReferral("Jordan P.", "CARD_USED", ""),
    ]
    account.referrals_available = 2
    account.pending_rewards = [
        PendingReward("Bonus Points", Decimal("50"), "Double Points Weekend", "DPW24"),
        PendingReward(
            "Free Appetizer", Decimal("1"), "Summer Click To Load", "CTL-SUMMER", date(2030, 9, 1)
        ),
    ]
    noon = datetime.combine(SEED_TODAY, time(12, 0), tzinfo=MERCHANT_TZ)
    account.comments = [
        AccountComment("Guest reported card lost; disabled old card.", "csr.seed", noon),
        AccountComment("Offered 25 bonus points for the wait.", "csr.seed", noon),
    ]
    model.referral_codes[demo.DEMO_REFERRAL_CODE] = ReferralCode(
        demo.DEMO_REFERRAL_CODE, account.account_id, account.template_code
    )
    points = account.wallet(POINTS)
    assert points is not None
    points.balance += 25
    account.transactions.append(
        Transaction(
            transaction_id=demo.DEMO_ANNOTATED_TRANSACTION_ID,
            transaction_type="Point Adjustment",
            moment=noon,
            details=(Detail(POINTS, Decimal("25"), Decimal("0"), points.balance),),
            store_code="001",
            store_name="Waltham",
            sender="CSR",
            request_event="LP300",
            comment="25 bonus points for the wait on May 30.",
            system_comment="Adjustment by customer service.",
        )
    )


def _attach_cases(model: Model, rng: random.Random) -> None:
    _account(model, 9000021, [(demo.DEMO_ATTACHABLE_CARD, ACTIVE)], rng=rng, history=25)
    _account(
        model,
        9000031,
        [(demo.DEMO_CARD_WITH_REGISTRATION_CODE, ACTIVE)],
        rng=rng,
        history=10,
        registration_code=demo.DEMO_REGISTRATION_CODE,
    )
    noah = _user(
        model, demo.DEMO_OTHER_USERNAME, "Noah", "Brooks", password=demo.DEMO_OTHER_PASSWORD
    )
    _account(model, 9000041, [(demo.DEMO_CARD_OWNED_BY_OTHER_USER, ACTIVE)], rng=rng, user=noah)


def _pair(
    model: Model,
    rng: random.Random,
    user: User,
    ids: tuple[int, int],
    cards: tuple[str, str],
    templates: tuple[int, int],
) -> tuple[Account, Account]:
    main = _account(
        model, ids[0], [(cards[0], ACTIVE)], rng=rng, history=40, template=templates[0], user=user
    )
    # Attached later: the user's second account, enrolled after the first (so, of one template,
    # the first is the main account by the spec's rule).
    other = _account(
        model,
        ids[1],
        [(cards[1], ACTIVE)],
        rng=rng,
        history=12,
        template=templates[1],
        user=user,
        enroll_date=date(2023, 9, 18),
    )
    return main, other


def _combine_cases(model: Model, rng: random.Random) -> None:
    rewards, gift = demo.REWARDS_TEMPLATE, demo.GIFT_TEMPLATE
    liam = _user(model, demo.DEMO_COMBINE_USERNAME, "Liam", "Carter")
    _pair(model, rng, liam, (9000051, 9000052), demo.DEMO_COMBINABLE_PAIR, (rewards, rewards))
    mia = _user(model, "mia.rivera", "Mia", "Rivera")
    _pair(model, rng, mia, (9000061, 9000062), demo.DEMO_NOT_COMBINABLE_PAIR, (gift, gift))
    ethan = _user(model, "ethan.park", "Ethan", "Park")
    _pair(model, rng, ethan, (9000071, 9000072), demo.DEMO_DIFFERENT_TEMPLATE_PAIR, (rewards, gift))
    olivia = _user(model, "olivia.nguyen", "Olivia", "Nguyen")
    main, _ = _pair(
        model, rng, olivia, (9000081, 9000082), demo.DEMO_NEAR_SUSPENSION_PAIR, (rewards, rewards)
    )
    # Two earlier combines left their cards on the main account.
    main.combine_count = 2
    for number in ("6000201900000083", "6000201900000084"):
        main.cards.append(number)
        model.cards[number] = Card(number, main.template_code, ACTIVE, main.account_id)


def _status_cases(model: Model, rng: random.Random) -> None:
    lucas = _user(model, "lucas.bennett", "Lucas", "Bennett")
    _account(
        model,
        9000091,
        [(demo.DEMO_SUSPENDED_ACCOUNT_CARD, ACTIVE)],
        rng=rng,
        user=lucas,
        status=SUSPENDED,
    )
    grace = _user(model, "grace.kim", "Grace", "Kim")
    _account(
        model,
        9000101,
        [(demo.DEMO_TERMINATED_ACCOUNT_CARD, ACTIVE)],
        rng=rng,
        user=grace,
        status=TERMINATED,
    )
    _account(
        model, 9000111, [(demo.DEMO_UNACTIVATED_CARD, EXISTS)], rng=rng, history=0, status=EXISTS
    )
    daniel = _user(model, "daniel.cohen", "Daniel", "Cohen", city="New York", postal_code="10018")
    _account(
        model,
        9000121,
        [(demo.DEMO_OTHER_STORE_GROUP_CARD, ACTIVE)],
        rng=rng,
        store="101",
        user=daniel,
    )
    sophia = _user(model, "_px_9000131", "Sophia", "Reyes", email=demo.DEMO_ECLUB_EMAIL)
    _account(
        model,
        9000131,
        [(demo.DEMO_ECLUB_CARD, ACTIVE)],
        rng=rng,
        history=0,
        template=demo.ECLUB_TEMPLATE,
        user=sophia,
    )


def _replacement_cards(model: Model, rng: random.Random) -> None:
    new_cards = [(number, demo.REWARDS_TEMPLATE) for number in demo.DEMO_REPLACEMENT_CARDS]
    new_cards.append((demo.DEMO_REPLACEMENT_GIFT_CARD, demo.GIFT_TEMPLATE))
    for account_id, (number, template) in enumerate(new_cards, start=9000141):
        _account(
            model,
            account_id,
            [(number, EXISTS)],
            rng=rng,
            history=0,
            template=template,
            status=EXISTS,
        )


def _visit_codes(model: Model) -> None:
    cases = (
        (demo.DEMO_VISIT_CODE, "4821", "22.50", date(2099, 12, 31), None),
        (demo.DEMO_USED_VISIT_CODE, "7730", "18.45", date(2099, 12, 31), 9000051),
        (demo.DEMO_EXPIRED_VISIT_CODE, "0912", "31.00", date(2020, 1, 1), None),
    )
    for code, check, spent, expires, used_by in cases:
        normalized = normalize_visit_code(code)
        model.visit_codes[normalized] = VisitCode(
            code=normalized,
            store_code="001",
            check_number=check,
            dollar_spent=Decimal(spent),
            check_date=date(2025, 5, 28),
            expires=expires,
            used_by=used_by,
        )


def _payment_cases(model: Model) -> None:
    noon = datetime.combine(SEED_TODAY, time(12, 0), tzinfo=MERCHANT_TZ)
    ava = model.account_for_card(demo.DEMO_PAYMENT_CARD)
    assert ava is not None
    visa = PaymentMethod(
        demo.DEMO_AUTO_RECHARGE_METHOD_ID,
        "VISA",
        demo.DEMO_AUTO_RECHARGE_LAST_FOUR,
        "Ava Thompson",
        ("AUTO_RECHARGE", "RECHARGE"),
    )
    mastercard = PaymentMethod(
        demo.DEMO_OTHER_METHOD_ID, "MASTERCARD", demo.DEMO_OTHER_METHOD_LAST_FOUR, "Ava Thompson"
    )
    ava.payment_methods = [visa, mastercard]
    ava.auto_recharge = AutoRecharge(
        True,
        Decimal(demo.DEMO_AUTO_RECHARGE_THRESHOLD),
        Decimal(demo.DEMO_AUTO_RECHARGE_AMOUNT),
        visa.payment_method_id,
    )
    # Oldest first: automatic recharges every three weeks, one declined, one the guest made.
    ava.recharges = [
        Recharge(
            noon - timedelta(days=21 * (demo.DEMO_RECHARGE_COUNT - index)),
            Decimal("50.00") if index == 1 else Decimal(demo.DEMO_AUTO_RECHARGE_AMOUNT),
            "MASTERCARD" if index == 1 else "VISA",
            demo.DEMO_OTHER_METHOD_LAST_FOUR if index == 1 else visa.last_four,
            "Declined" if index == 3 else "Succeeded",
            automatic=index != 1,
        )
        for index in range(demo.DEMO_RECHARGE_COUNT)
    ]
    liam = model.account_for_card(demo.DEMO_AUTO_RECHARGE_OFF_CARD)
    assert liam is not None
    amex = PaymentMethod("pm-L4C8-amex", "AMEX", "0005", "Liam Carter", ("RECHARGE",))
    liam.payment_methods = [amex]
    liam.auto_recharge = AutoRecharge(
        False, Decimal("5.00"), Decimal("20.00"), amex.payment_method_id
    )
    liam.recharges = [Recharge(noon - timedelta(days=40), Decimal("20.00"), "AMEX", "0005")]
