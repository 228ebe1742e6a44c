"""The sandbox merchant's program: card templates, tiers, stores, wallets, perks and events.

The seed builds its guests in this program, and the endpoints read it (wallet codes).
"""

from __future__ import annotations

from decimal import Decimal

from portal.sandbox import demo
from portal.sandbox.model import Store, Template, Tier, Wallet

TEMPLATES = {
    demo.REWARDS_TEMPLATE: Template(demo.REWARDS_TEMPLATE, "Rewards Card", combinable=True),
    demo.GIFT_TEMPLATE: Template(demo.GIFT_TEMPLATE, "Gift Card", combinable=False),
    demo.ECLUB_TEMPLATE: Template(demo.ECLUB_TEMPLATE, "eClub", combinable=False, eclub=True),
}
TIERS = {
    0: Tier(0, "eClub"),
    1: Tier(1, "Member"),
    2: Tier(2, "Silver"),
    3: Tier(3, "Gold"),
    4: Tier(4, "Platinum"),
}
STORES = {
    s.code: s
    for s in (
        Store("001", "Waltham", demo.DEMO_STORE_GROUP),
        Store("002", "Boston Back Bay", demo.DEMO_STORE_GROUP),
        Store("003", "Cambridge Kendall", demo.DEMO_STORE_GROUP),
        Store("101", "Manhattan Midtown", demo.DEMO_OTHER_STORE_GROUP),
        Store("102", "Brooklyn Heights", demo.DEMO_OTHER_STORE_GROUP),
        Store("201", "Chicago Loop", demo.DEMO_THIRD_STORE_GROUP),
    )
}

# Wallet codes, stable like Paytronix's.
STORED_VALUE, CHARGE, BIRTHDAY, POINTS, FREE_ENTREE, VISITS, FIVE_OFF = 0, 1, 3, 5, 6, 7, 8

PERKS = ((1, "Gluten free"), (2, "Vegetarian"), (3, "Birthday club"), (4, "Wine club"))
REFERRAL_REWARDS = {"INVITATION_SENT": "", "ENROLLED": "", "REWARD_EARNED": "Free Entree"}
EVENTS = (
    ("Double Points Weekend", "DPW24", "Bonus Points", Decimal("50")),
    ("Summer Click To Load", "CTL-SUMMER", "Free Appetizer", Decimal("1")),
    ("App Download Bonus", "ATL-APP", "$5 Off", Decimal("1")),
)


def wallets_for(template_code: int, *, charge: bool) -> list[Wallet]:
    """The wallets an account of ``template_code`` has (``charge``: a house charge wallet too)."""
    if template_code == demo.ECLUB_TEMPLATE:
        return []
    wallets = [Wallet(STORED_VALUE, "Stored Value", "storedValue", Decimal("0"), 2, True)]
    if charge:
        wallets.append(Wallet(CHARGE, "House Charge", "charge", Decimal("0"), 2, True))
    if template_code == demo.GIFT_TEMPLATE:
        return wallets
    return [
        *wallets,
        Wallet(POINTS, "Points", "points", Decimal("0"), 0),
        Wallet(VISITS, "Visits", "points", Decimal("0"), 0, True),
        Wallet(BIRTHDAY, "Birthday Free Drink", "reward", Decimal("0"), 0, True),
        Wallet(FREE_ENTREE, "Free Entree", "reward", Decimal("0"), 0),
        Wallet(FIVE_OFF, "$5 Off", "reward", Decimal("0"), 0),
    ]
