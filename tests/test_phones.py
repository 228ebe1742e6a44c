"""A phone number as the console shows it (portal.templatetags.phones)."""

import pytest

from portal.templatetags.phones import phone


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("6175550142", "(617) 555-0142"),
        ("16175550142", "+1 (617) 555-0142"),
        ("442079460000", "442079460000"),  # another country's: as kept
        ("5550142", "5550142"),
        ("617555014x", "617555014x"),
        ("\uff16175550142", "\uff16175550142"),  # a fullwidth digit: not ASCII
        ("", ""),
        (None, ""),
    ],
)
def test_a_north_american_number_is_grouped_and_any_other_kept(stored, shown) -> None:
    assert phone(stored) == shown
