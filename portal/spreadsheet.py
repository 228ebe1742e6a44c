"""Cells of the CSV files the portal writes (the audit export, the adjustments report, a job's
results), safe to open in a spreadsheet: a text cell a spreadsheet would read as a formula
(OWASP's "CSV injection": it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)
is written after an apostrophe, which the spreadsheet shows as text and does not run."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

#: How a cell a spreadsheet would read as a formula starts.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any, *, numbers_kept: bool = False) -> Any:
    """``value`` as a CSV cell: text a spreadsheet would read as a formula after an apostrophe
    (with ``numbers_kept``, a signed number such as ``-5`` or ``+1.50`` stays a number), None
    as an empty cell, anything else as it is."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        if numbers_kept and _is_number(value):
            return value
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False
