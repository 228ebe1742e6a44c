"""Reading and validating a bulk card-status CSV, before anything is sent upstream.

The file is read whole and every row is judged, so the person uploading sees all the problems
at once with the line numbers their spreadsheet shows, and decides (skip the bad rows or fix the
file) before a single card changes.

Format, one card per line, an optional header line (``card_number,action,reason``):

    card_number[,action[,reason]]

``action`` is ``disable`` or ``enable`` (blank: the action chosen on the form); ``reason`` is
free text (blank: the reason given on the form). Card numbers may be typed with spaces.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

# 10,000 rows with a reason each: a few hundred bytes a row at most.
MAX_FILE_BYTES: Final = 4 * 1024 * 1024
MAX_ROWS: Final = 10_000
MAX_REASON_LENGTH: Final = 200
# Paytronix printed card numbers seen in the spec run from 11 to 17 digits; allow some slack
# either side without accepting things that are clearly not card numbers (phone numbers).
# [0-9], not \d: \d also matches fullwidth, Arabic-Indic, Devanagari... digits, which upstream
# does not read as a card number.
CARD_NUMBER: Final = re.compile(r"^[0-9]{11,19}$")
MASKED_DIGITS: Final = 6
HEADER_NAMES: Final = ("card_number", "action", "reason")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BulkAction(StrEnum):
    DISABLE = "disable"
    ENABLE = "enable"

    @property
    def upstream_status(self) -> str:
        return "DISABLED" if self is BulkAction.DISABLE else "ACTIVE"

    @property
    def label(self) -> str:
        return "Disable" if self is BulkAction.DISABLE else "Enable"


class BulkFileError(ValueError):
    """The file as a whole cannot be used (too big, not text, no rows)."""


@dataclass(frozen=True)
class BulkRow:
    """One line of the file. ``problem`` is empty for a row that can be run."""

    line: int
    card_number: str = field(repr=False)
    action: BulkAction | None
    reason: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def masked(self) -> str:
        return mask_card_number(self.card_number)


@dataclass(frozen=True)
class BulkFile:
    rows: list[BulkRow]

    @property
    def good(self) -> list[BulkRow]:
        return [row for row in self.rows if row.ok]

    @property
    def bad(self) -> list[BulkRow]:
        return [row for row in self.rows if not row.ok]


def mask_card_number(number: str) -> str:
    """The last six digits, as Paytronix masks card numbers (``maskedCardNumber``)."""
    return number[-MASKED_DIGITS:] if len(number) >= MASKED_DIGITS else "******"


def normalize_card_number(text: str) -> str:
    """What a person typed, without the spaces they group digits with."""
    return "".join(text.split())


def _decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise BulkFileError(f"The file is larger than {MAX_FILE_BYTES // 1024} KB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BulkFileError(
            "The file is not plain text (UTF-8). Save it from the spreadsheet as CSV."
        ) from None
    # A control character (NUL above all) means a binary file: a ZIP or an .xlsx may decode as
    # UTF-8, and the database's JSON refuses NUL.
    if _CONTROL.search(text):
        raise BulkFileError(
            "The file is not plain text: it holds control characters, as a ZIP or spreadsheet "
            "file does. Save it from the spreadsheet as CSV."
        )
    return text


def _is_header(cells: list[str]) -> bool:
    return bool(cells) and cells[0].strip().lower().replace(" ", "_") in {
        "card_number",
        "card",
        "printed_card_number",
        "cardnumber",
    }


#: The problem of a row that names no action where the form chose none for such rows: the
#: review screen offers the choice (``BulkUpload.no_action_count``).
NO_ACTION = (
    "No action: write disable or enable in its second column, or choose one on the form for "
    "rows without it."
)


def parse_bulk_file(
    data: bytes, *, default_action: BulkAction | None, default_reason: str
) -> BulkFile:
    """Read and judge every row of an uploaded file; raise ``BulkFileError`` if it is unusable.
    ``default_action`` is for rows that name none (None: such a row has a problem)."""
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    rows: list[BulkRow] = []
    first_line: dict[str, int] = {}
    seen_content = False
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if not seen_content:
                seen_content = True
                if _is_header(cells):
                    continue
            if len(rows) >= MAX_ROWS:
                raise BulkFileError(
                    f"The file has more than {MAX_ROWS} cards. Split it into smaller files."
                )
            row = _judge(cells, line, default_action, default_reason, first_line)
            if row.ok:
                first_line[row.card_number] = line
            rows.append(row)
    except csv.Error:
        raise BulkFileError(
            f"Line {reader.line_num} is not valid CSV (check its quotes). Nothing was read."
        ) from None
    if not rows:
        raise BulkFileError("The file has no card numbers.")
    return BulkFile(rows=rows)


def _judge(
    cells: list[str],
    line: int,
    default_action: BulkAction | None,
    default_reason: str,
    first_line: dict[str, int],
) -> BulkRow:
    number = normalize_card_number(cells[0])
    action_text = cells[1].strip().lower() if len(cells) > 1 else ""
    reason = cells[2].strip() if len(cells) > 2 else ""
    action = BulkAction(action_text) if action_text in set(BulkAction) else None
    if not action_text:
        action = default_action

    def bad(problem: str) -> BulkRow:
        return BulkRow(line, number, action, reason or default_reason, problem)

    if len(cells) > len(HEADER_NAMES) and any(cell.strip() for cell in cells[3:]):
        return bad("Too many columns: expected card number, action, reason.")
    if not number:
        return bad("No card number.")
    if not CARD_NUMBER.match(number):
        return bad("Not a card number: expected 11 to 19 digits.")
    if action is None and not action_text:
        return bad(NO_ACTION)
    if action is None:
        return bad(f"Unknown action {action_text[:20]!r}: use disable or enable.")
    if len(reason) > MAX_REASON_LENGTH:
        return bad(f"Reason too long: at most {MAX_REASON_LENGTH} characters.")
    if number in first_line:
        return bad(f"Duplicate of line {first_line[number]}.")
    return BulkRow(line, number, action, reason or default_reason)
