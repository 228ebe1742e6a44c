"""Reading a bulk CSV: every problem found up front, with the line number a spreadsheet shows."""

from __future__ import annotations

import pytest

from cards.bulk_file import (
    MAX_REASON_LENGTH,
    MAX_ROWS,
    BulkAction,
    BulkFileError,
    mask_card_number,
    parse_bulk_file,
)


def parse(text: str, *, action: BulkAction | None = BulkAction.DISABLE, reason: str = "Lost"):
    return parse_bulk_file(text.encode(), default_action=action, default_reason=reason)


def test_a_clean_file_with_a_header_gives_one_row_per_card_with_its_line():
    bulk = parse(
        "card_number,action,reason\n"
        "6000201900000011,disable,stolen at the mall\n"
        "6000 2019 0000 0021\n"
    )
    assert [(r.line, r.card_number, r.action, r.reason) for r in bulk.rows] == [
        (2, "6000201900000011", BulkAction.DISABLE, "stolen at the mall"),
        (3, "6000201900000021", BulkAction.DISABLE, "Lost"),
    ]
    assert bulk.bad == []


def test_every_bad_row_is_listed_with_its_line_number_and_what_is_wrong():
    bulk = parse(
        "6000201900000011\n"
        "12345\n"
        "6000201900000021,freeze\n"
        "6000201900000011,enable\n"
        f"6000201900000031,disable,{'x' * (MAX_REASON_LENGTH + 1)}\n"
        "6000201900000041,disable,lost,extra\n"
        "\n"
        "6000201900000051,ENABLE\n"
    )
    assert [(r.line, r.problem) for r in bulk.bad] == [
        (2, "Not a card number: expected 11 to 19 digits."),
        (3, "Unknown action 'freeze': use disable or enable."),
        (4, "Duplicate of line 1."),
        (5, f"Reason too long: at most {MAX_REASON_LENGTH} characters."),
        (6, "Too many columns: expected card number, action, reason."),
    ]
    assert [(r.line, r.action) for r in bulk.good] == [
        (1, BulkAction.DISABLE),
        (8, BulkAction.ENABLE),
    ]


def test_without_a_default_action_each_row_must_name_its_own():
    bulk = parse("6000201900000011,enable\n6000201900000021\n6000201900000031,,Lost\n", action=None)
    no_action = (
        "No action: write disable or enable in its second column, or choose one on the form "
        "for rows without it."
    )
    assert [(r.line, r.action) for r in bulk.good] == [(1, BulkAction.ENABLE)]
    assert [(r.line, r.problem) for r in bulk.bad] == [(2, no_action), (3, no_action)]


def test_line_numbers_count_quoted_multiline_cells_as_a_spreadsheet_does():
    bulk = parse('6000201900000011,disable,"two\nlines"\nnot-a-card\n')
    assert [(r.line, r.ok) for r in bulk.rows] == [(2, True), (3, False)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file has no card numbers."),
        (b"card_number\n\n", "The file has no card numbers."),
        (b"\xff\xfe6\x000\x00", "not plain text"),
        (b"6" * (4 * 1024 * 1024 + 1), "larger than 4096 KB"),
    ],
)
def test_an_unusable_file_is_refused_whole(data: bytes, message: str):
    with pytest.raises(BulkFileError, match=message):
        parse_bulk_file(data, default_action=BulkAction.ENABLE, default_reason="Found")


def test_ten_thousand_cards_with_their_reasons_are_accepted_in_one_upload():
    text = "".join(
        f"{6000300000000000 + i},disable,Reported lost by the guest at the front desk\n"
        for i in range(10_000)
    )
    parsed = parse(text)
    assert len(parsed.rows) == 10_000
    assert parsed.bad == []


def test_a_file_with_too_many_rows_is_refused_whole():
    text = "".join(f"{6000300000000000 + i}\n" for i in range(MAX_ROWS + 1))
    with pytest.raises(BulkFileError, match=f"more than {MAX_ROWS} cards"):
        parse(text)


def test_a_row_keeps_its_full_number_out_of_its_repr_and_shows_it_masked():
    row = parse("6000201900000011\n").rows[0]
    assert "6000201900000011" not in repr(row)
    assert row.masked == "000011"
    assert mask_card_number("123") == "******"


@pytest.mark.parametrize(
    "data",
    [
        b"6000201900\x00000011,disable,lost\n",
        b"6000201900000011,disable,lo\x00st\n",
        # A ZIP of a CSV, stored uncompressed: valid UTF-8, yet not a CSV.
        b"PK\x03\x04\x14\x00\x00\x00\x00\x00cards.csv6000201900000011\nPK\x05\x06\x00\x00",
    ],
)
def test_a_binary_file_or_a_nul_byte_is_refused_whole(data: bytes):
    with pytest.raises(BulkFileError, match="not plain text"):
        parse_bulk_file(data, default_action=BulkAction.DISABLE, default_reason="Lost")


@pytest.mark.parametrize(
    "number",
    ["６０００２０１９０００００００１１", "٦٠٠٠٢٠١٩٠٠٠٠٠٠١١", "६०००२०१९०००००००११"],  # noqa: RUF001  (look-alike digits are the point)
)
def test_digits_of_other_scripts_are_not_a_card_number(number: str):
    bulk = parse(f"{number}\n6000201900000011\n")
    assert [(r.line, r.problem) for r in bulk.bad] == [
        (1, "Not a card number: expected 11 to 19 digits.")
    ]


def test_a_tab_in_a_reason_is_still_text():
    assert parse("6000201900000011,disable,lost\tat home\n").good[0].reason == "lost\tat home"
