"""CSR Service: account notes with their own success words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.paytronix import permit_writes
from portal.paytronix.errors import FailureError, UnexpectedResultError, WriteNotPermittedError

from .conftest import MERCHANT_ID, FakeUpstream, Harness

CARD = "6000201000200841"


def test_adding_a_comment_posts_the_comment_object_and_reads_add_success(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {"result": "addSuccess", "comment": {"comment": "Lost card", "author": "agent.smith"}}
    )

    with permit_writes():
        note = harness.client.csr.add_account_comment(
            printed_card_number=CARD, comment="Lost card", author="agent.smith"
        )

    (seen,) = upstream.requests
    assert (seen.method, seen.path) == ("POST", "/rest/25.33/csr/addAccountComment.json")
    assert seen.body == {
        "merchantId": MERCHANT_ID,
        "printedCardNumber": CARD,
        "comment": {"comment": "Lost card", "author": "agent.smith"},
    }
    assert (note.comment, note.author) == ("Lost card", "agent.smith")


def test_adding_a_comment_is_a_write(upstream: FakeUpstream, harness: Harness) -> None:
    with pytest.raises(WriteNotPermittedError):
        harness.client.csr.add_account_comment(printed_card_number=CARD, comment="x", author="a")

    assert upstream.requests == []


@pytest.mark.parametrize("comment", ["", "   ", "x" * 500])
def test_a_comment_must_be_fewer_than_500_characters_and_not_blank(
    upstream: FakeUpstream, harness: Harness, comment: str
) -> None:
    with permit_writes(), pytest.raises(ValueError, match="1 to 499"):
        harness.client.csr.add_account_comment(
            printed_card_number=CARD, comment=comment, author="a"
        )

    assert upstream.requests == []


def test_a_plain_success_word_on_add_comment_is_unexpected(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply({"result": "success"})

    with permit_writes(), pytest.raises(UnexpectedResultError):
        harness.client.csr.add_account_comment(printed_card_number=CARD, comment="x", author="a")


def test_account_comments_reads_get_success_and_the_comment_times(
    upstream: FakeUpstream, harness: Harness
) -> None:
    upstream.reply(
        {
            "result": "getSuccess",
            "comments": [
                {"comment": "First", "author": "a", "dateCreated": "2024-03-23 12:01:53 +0000"},
                {"comment": "Second", "author": "b"},
            ],
        }
    )

    notes = harness.client.csr.account_comments(printed_card_number=CARD)

    (seen,) = upstream.requests
    assert (seen.method, seen.path) == ("GET", "/rest/25.33/csr/accountComments.json")
    assert seen.query == {"merchantId": str(MERCHANT_ID), "printedCardNumber": CARD}
    assert [(n.comment, n.author) for n in notes] == [("First", "a"), ("Second", "b")]
    assert notes[0].date_created == datetime(2024, 3, 23, 12, 1, 53, tzinfo=UTC)
    assert notes[1].date_created is None


def test_account_comments_of_an_unknown_card_fail(upstream: FakeUpstream, harness: Harness) -> None:
    upstream.reply({"result": "failure", "errorCode": "csr.invalid_card", "errorMessage": "no"})

    with pytest.raises(FailureError) as caught:
        harness.client.csr.account_comments(printed_card_number=CARD)

    assert caught.value.error_code == "csr.invalid_card"
