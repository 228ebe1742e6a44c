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
