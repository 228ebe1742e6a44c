"""The one format of a balance or an amount on the screens (``{{ value|amount }}``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.templatetags.amounts import amount


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("10223"), "10,223"),
        (Decimal("1234567.50"), "1,234,567.50"),
        (Decimal("-2500"), "-2,500"),
        (Decimal("1E+3"), "1,000"),
        ("10843", "10,843"),
        (7, "7"),
        (None, None),
        ("", ""),
        ("n/a", "n/a"),
    ],
)
def test_an_amount_is_grouped_by_thousands_with_its_own_decimals(value, shown):
    assert amount(value) == shown


@pytest.mark.parametrize(
    ("kind", "value", "unit", "said"),
    [
        ("stored_value", Decimal("1234.5"), False, "$1,234.50"),
        ("stored_value", Decimal("10"), False, "$10.00"),
        ("stored_value", Decimal("-5"), False, "-$5.00"),
        ("points", Decimal("1E+3"), False, "1,000"),
        ("points", Decimal("1500"), True, "1,500 points"),
        ("rewards", Decimal("2"), True, "2 rewards"),
        ("stored_value", Decimal("200"), True, "$200.00"),
        # A fraction of a point is said as the guest page shows it, never rounded (half-even
        # rounding made 12.5 say 12).
        ("points", Decimal("12.5"), False, "12.5"),
        ("points", Decimal("1234.50"), True, "1,234.50 points"),
    ],
)
def test_an_amount_in_a_wallet_reads_in_its_kinds_scale(kind, value, unit, said):
    from cards.adjustments import amount_words

    assert amount_words(kind, value, unit=unit) == said


@pytest.mark.parametrize(
    ("kind", "balance"), [("stored_value", Decimal("1234.5")), ("points", Decimal("10223"))]
)
def test_a_wallets_sentences_and_its_adjust_screen_say_an_amount_alike(kind, balance):
    from django.template import Context, Template

    from cards.adjustments import AdjustableWallet, amount_words

    wallet = AdjustableWallet(
        wallet_code=1, name="Wallet", kind=kind, balance=balance, uses_expiration=False
    )
    shown = Template("{% load wallet_amounts %}{{ wallet.balance|in_wallet:wallet }}").render(
        Context({"wallet": wallet})
    )
    assert wallet.words(balance) == shown == amount_words(kind, balance)
