"""One rule for every CSV the portal writes: no cell runs as a formula in a spreadsheet."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.spreadsheet import spreadsheet_cell


@pytest.mark.parametrize(
    "text", ["=SUM(A1)", "+1+cmd", "-2+3", "@evil", "\tcode", "\rres", "=", "-"]
)
def test_text_a_spreadsheet_would_read_as_a_formula_gets_an_apostrophe(text: str) -> None:
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-5", "+1.50", "-0.25", "-1E3"])
def test_a_signed_number_stays_a_number_where_numbers_are_kept(text: str) -> None:
    assert spreadsheet_cell(text, numbers_kept=True) == text
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-NaN", "-Infinity", "-1-1", "+A1"])
def test_what_only_looks_numeric_is_still_guarded(text: str) -> None:
    assert spreadsheet_cell(text, numbers_kept=True) == "'" + text


@pytest.mark.parametrize("value", ["plain", "a=b", "", 7, Decimal("-3"), 2.5, True])
def test_anything_else_is_written_as_it_is(value: object) -> None:
    assert spreadsheet_cell(value) == value


def test_none_is_an_empty_cell() -> None:
    assert spreadsheet_cell(None) == ""
