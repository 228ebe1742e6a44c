"""Every documented error code becomes a sentence; every client error kind is explained."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.paytronix.errors import (
    AccountSuspendedError,
    AttachFailureError,
    CircuitOpenError,
    CombineFailureError,
    FailureError,
    InvalidStatusError,
    InvalidVisitCodeError,
    MalformedReplyError,
    MoreInfoError,
    OutcomeUnknownError,
    TransportError,
    UpstreamStatusError,
    WriteNotPermittedError,
)
from portal.sandbox.errors import MESSAGES as SANDBOX_MESSAGES
from portal.sentences import CATALOGUE, explain, explain_code, explain_recorded

# The spec's error code table, committed so the test never depends on a file outside the repo.
SPEC_CODES = Path(__file__).with_name("spec_error_codes.txt")


def _documented_codes() -> set[str]:
    lines = SPEC_CODES.read_text(encoding="utf-8").splitlines()
    return {line.split()[0] for line in lines if line and not line.startswith("#")}


def test_every_error_code_of_the_spec_has_a_sentence() -> None:
    codes = _documented_codes()
    # 65 rows in the spec's table, one code listed twice.
    assert len(codes) == 64
    assert all(re.fullmatch(r"[a-z_]+\.[a-z_]+", code) for code in codes)
    assert codes - set(CATALOGUE) == set()


def test_every_code_the_sandbox_answers_has_a_sentence() -> None:
    assert set(SANDBOX_MESSAGES) <= set(CATALOGUE)


def test_sentences_read_as_sentences_without_codes() -> None:
    for code, sentence in CATALOGUE.items():
        assert sentence[0].isupper(), code
        assert sentence.endswith("."), code
        assert "_" not in sentence, code


def test_a_failure_is_explained_by_its_code() -> None:
    error = FailureError(result="failure", error_code="attach_card.already_attached")
    assert explain(error) == "That card is already part of an account."


def test_an_unknown_code_falls_back_to_upstreams_own_words() -> None:
    error = FailureError(result="failure", error_code="new.code", error_message="Frobnicated")
    assert explain(error) == "The loyalty system refused this request: Frobnicated."
    assert explain_code("new.code") == "The loyalty system refused this request (code new.code)."


def test_invalid_status_names_the_account_and_card_status() -> None:
    error = InvalidStatusError(
        result="invalid_status",
        error_code="account_info.invalid_account_status",
        extra={"accountStatus": "TERMINATED", "cardStatus": "DISABLED"},
    )
    sentence = explain(error)
    assert "the account is closed" in sentence
    assert "the card is disabled" in sentence


def test_a_merged_account_is_said_to_be_merged_without_its_cards_status() -> None:
    # Its card reads ACTIVE: said beside "merged", a CSR could take the old card as usable.
    error = InvalidStatusError(
        result="invalid_status",
        error_code="account_info.invalid_account_status",
        extra={"accountStatus": "ABANDONED", "cardStatus": "ACTIVE"},
    )
    assert explain(error) == (
        "This account cannot be used any more: it was merged into another account (combined); "
        "the guest's balances are on that account now."
    )


def test_more_info_asks_for_the_fields_in_words() -> None:
    error = MoreInfoError(result="more_info", extra={"fields": ["username", "password"]})
    assert explain(error) == (
        "To go on we also need the username of the card's current owner and the password of "
        "the card's current owner."
    )


def test_a_suspended_account_is_explained_calmly() -> None:
    sentence = explain(AccountSuspendedError(result="accountSuspended"))
    assert "review" in sentence
    assert "fraud" not in sentence.lower()


def test_attach_and_combine_say_which_step_failed() -> None:
    attach = AttachFailureError(result="attach_failure", error_code="attach_card.not_enabled")
    combine = CombineFailureError(
        result="combine_failure", error_code="combine_card.not_combinable_template"
    )
    assert explain(attach).startswith("The card could not be added: adding cards")
    assert explain(combine).startswith(
        "The card's balances could not be combined (it may have been added to this guest: the "
        "cards panel lists it if so): cards"
    )


def test_an_invalid_visit_code_is_explained_by_why() -> None:
    error = InvalidVisitCodeError(result="invalidVisitCode", error_code="visit_code.already_used")
    assert explain(error) == "That visit code has already been used."


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (CircuitOpenError(retry_in=12.4), "in about 12 seconds"),
        (OutcomeUnknownError("x"), "could not confirm whether the change went through"),
        (UpstreamStatusError("x", status=401), "administrator"),
        (MalformedReplyError("x"), "could not read"),
        (TransportError("x"), "did not answer in time"),
        (WriteNotPermittedError("x"), "problem in the portal"),
        (RuntimeError("boom"), "Something went wrong"),
    ],
)
def test_transport_and_portal_errors_are_explained_without_detail(
    error: Exception, words: str
) -> None:
    sentence = explain(error)
    assert words in sentence
    assert "x" not in sentence.split()


def test_a_recorded_outcome_is_explained_as_the_live_one_was() -> None:
    assert explain_recorded(
        upstream_result="failure", error_code="referral.none_available"
    ) == explain_code("referral.none_available")
    assert "closed" in explain_recorded(
        upstream_result="invalid_status",
        error_code="account_info.invalid_account_status",
        detail={"accountStatus": "TERMINATED", "cardStatus": "ACTIVE"},
    )
    assert "could not confirm" in explain_recorded(unknown=True)
    assert "did not answer" in explain_recorded(error_code="CircuitOpenError")
