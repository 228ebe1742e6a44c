"""Named guests and cards of the seed, one per interesting case, for tests, demos and the README.

Every constant here is built by ``seed_demo`` exactly as described, whatever the random seed;
``tests/sandbox/test_seed.py`` checks each one is in the state its name claims.
"""

from __future__ import annotations

# Card templates (programs).
REWARDS_TEMPLATE = 10  # "Rewards Card": combinable
GIFT_TEMPLATE = 20  # "Gift Card": not combinable
ECLUB_TEMPLATE = 30  # "eClub": email-only accounts

# Store groups (``accessFilterStoreGroupCode``) with guests in each.
DEMO_STORE_GROUP = 100  # Boston area
DEMO_OTHER_STORE_GROUP = 200  # New York metro
DEMO_THIRD_STORE_GROUP = 300  # Chicago

# The showcase guest: registered, Gold tier, every wallet, a history of hundreds of
# transactions, referrals in every status, pending event rewards, an external account code
# and account comments; three cards (ACTIVE primary, DISABLED, EXCHANGED). Store group 100.
DEMO_USERNAME = "ava.thompson"
DEMO_PASSWORD = "Sandbox-Ava-1"  # noqa: S105  (a fake guest's, for the attach demo)
DEMO_ACCOUNT_ID = 9000001
DEMO_ACTIVE_CARD = "6000201900000011"
DEMO_DISABLED_CARD = "6000201900000012"
DEMO_EXCHANGED_CARD = "6000201900000013"
DEMO_LONG_HISTORY_CARD = DEMO_ACTIVE_CARD
DEMO_FIRST_NAME = "Ava"
DEMO_LAST_NAME = "Thompson"
DEMO_EMAIL = "ava.thompson@example.com"
DEMO_PHONE = "6175550142"
DEMO_POSTAL_CODE = "02452"
DEMO_EXTERNAL_ACCOUNT_CODE = "fb-ava-100042"
DEMO_REFERRAL_CODE = "AVA7Q2K9"
#: the showcase guest's latest transaction, a points adjustment with guest-visible comments.
DEMO_ANNOTATED_TRANSACTION_ID = 900001

# An unregistered Rewards card with balances and no registration code: attach or
# attach-and-combine it to DEMO_ACTIVE_CARD in one step.
DEMO_ATTACHABLE_CARD = "6000201900000021"

# An unregistered Rewards card with a registration code: attach answers more_info
# ["registrationCode"] until the code is sent.
DEMO_CARD_WITH_REGISTRATION_CODE = "6000201900000031"
DEMO_REGISTRATION_CODE = "482913"

# A Rewards card registered to another user: attach answers more_info ["username", "password"].
DEMO_CARD_OWNED_BY_OTHER_USER = "6000201900000041"
DEMO_OTHER_USERNAME = "noah.brooks"
DEMO_OTHER_PASSWORD = "Sandbox-Noah-1"  # noqa: S105  (a fake guest's)
#: Noah's email address: editUser answers not_unique on the email for anyone else who asks
#: for it with enforceUniqueFields ["email"].
DEMO_OTHER_EMAIL = "noah.brooks@example.com"

# Two Rewards accounts of one user (the second attached later): the first is the user's main
# Rewards account by the spec's rule; combineCard(second) succeeds, isCardCombinable(second) is
# true and isCardCombinable(first) false.
DEMO_COMBINE_USERNAME = "liam.carter"
DEMO_COMBINE_MAIN_CARD = "6000201900000051"
DEMO_COMBINE_OTHER_CARD = "6000201900000052"
DEMO_COMBINABLE_PAIR = (DEMO_COMBINE_MAIN_CARD, DEMO_COMBINE_OTHER_CARD)

# Two Gift Card accounts of one user: combine fails, not_combinable_template; neither card is
# combinable.
DEMO_NOT_COMBINABLE_PAIR = ("6000201900000061", "6000201900000062")

# A user with a Rewards account and a Gift Card account: each is the main (only) account of
# its template, so neither is combinable; naming the other as the obsolete
# otherPrintedCardNumber answers combine_different_templates.
DEMO_DIFFERENT_TEMPLATE_PAIR = ("6000201900000071", "6000201900000072")

# A main account with two combines behind it and one more attached account: combining that
# card would be the third combine, which suspends the main account and moves nothing
# (accountSuspended; threshold 3, the default).
DEMO_NEAR_SUSPENSION_PAIR = ("6000201900000081", "6000201900000082")

# Accounts in a status that forbids changes. SUSPENDED still answers account information
# (accountStatus SUSPENDED); TERMINATED answers invalid_status.
DEMO_SUSPENDED_ACCOUNT_CARD = "6000201900000091"
DEMO_TERMINATED_ACCOUNT_CARD = "6000201900000101"

# A printed card never activated (status EXISTS): account information answers invalid_status.
DEMO_UNACTIVATED_CARD = "6000201900000111"

# New Rewards cards never activated (status EXISTS, each on an empty account of its own): the
# cards a lost or damaged Rewards card is exchanged for. And a new Gift Card, of another
# template, which an exchange of a Rewards card refuses.
DEMO_REPLACEMENT_CARDS = ("6000201900000141", "6000201900000142", "6000201900000143")
DEMO_REPLACEMENT_GIFT_CARD = "6000201900000151"

# A registered guest in store group 200, for accessFilterStoreGroupCode.
DEMO_OTHER_STORE_GROUP_CARD = "6000201900000121"

# An eClub member, looked up by email and ECLUB_TEMPLATE.
DEMO_ECLUB_EMAIL = "sophia.reyes@example.com"
DEMO_ECLUB_CARD = "6000201900000131"

# Payment Service. The showcase guest's stored-value card has two saved payment cards (a Visa
# ending 1111 that funds auto-recharge, on: below 10.00 add 25.00; a Mastercard ending 4444)
# and a recharge history. The combine guest's main card has one saved card (Amex ending 0005),
# auto-recharge off (its last settings kept) and one recharge the guest made.
DEMO_PAYMENT_CARD = DEMO_ACTIVE_CARD
DEMO_AUTO_RECHARGE_METHOD_ID = "pm-7Q2K9-visa"
DEMO_AUTO_RECHARGE_LAST_FOUR = "1111"
DEMO_OTHER_METHOD_ID = "pm-7Q2K9-mc"
DEMO_OTHER_METHOD_LAST_FOUR = "4444"
DEMO_AUTO_RECHARGE_THRESHOLD = "10.00"
DEMO_AUTO_RECHARGE_AMOUNT = "25.00"
DEMO_RECHARGE_COUNT = 6
DEMO_AUTO_RECHARGE_OFF_CARD = DEMO_COMBINE_MAIN_CARD

# Visit codes: one valid, one already used, one expired.
DEMO_VISIT_CODE = "VC-1001-4821-2250"
DEMO_USED_VISIT_CODE = "VC-1002-7730-1845"
DEMO_EXPIRED_VISIT_CODE = "VC-1003-0912-3100"
