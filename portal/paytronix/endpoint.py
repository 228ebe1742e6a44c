"""One upstream endpoint and its wire format, whatever the transport that carries it.

An ``Endpoint`` says how a call is sent (path, method, whether it writes) and which ``result``
words it is documented to answer. ``encode_params`` spells the parameters as Paytronix reads
them; ``success_payload`` turns a reply into the success payload or the exception of its
``result`` (see ``errors.RESULT_ERRORS``). ``session.Transport`` sends the call in between.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from .errors import RESULT_ERRORS, UnexpectedResultError

# Card numbers, account ids: anything this long in upstream prose is masked to its last four.
_LONG_DIGITS = re.compile(r"\d{10,}")
# An email address in text, also as a URL's query string writes it (``%40`` for the ``@``):
# whatever its local part starts with, then a domain with a dot. A match starts only where a
# run of local-part characters starts (the lookbehind): tried from every character of a run, a
# long run with no ``@`` (a percent-encoded query string: ``%F0%9F%98%80`` a character) was
# scanned to its end from each of them, quadratic (4,000 emoji in a logged query string took
# 30 s of CPU); the first match found is the same, as a later start's local part is part of
# the run's.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*?(@|%40)([A-Za-z0-9.-]+\.[A-Za-z]{2,})"
)
_REPLY_KEYS = frozenset({"result", "errorCode", "errorMessage"})


@dataclass(frozen=True)
class Endpoint:
    """One upstream endpoint: how to send it and which replies it is documented to give."""

    path: str
    #: ``DELETE`` carries its parameters in the query string, as ``GET`` does.
    method: Literal["GET", "POST", "DELETE"] = "GET"
    write: bool = False
    #: The ``result`` word of a success reply (``addSuccess`` for csr/addAccountComment.json).
    success: str = "success"
    #: Non-success results documented for this endpoint besides ``failure``.
    errors: frozenset[str] = frozenset()
    #: Other words that also mean success where the evidence disagrees with itself (the
    #: Transaction Service's ``authorizedSuccess``; see docs/wire-notes.md "Result words").
    also_success: frozenset[str] = frozenset()
    #: The ``authentication`` style sent with every call (``"b2b"``), or ``None`` to send none
    #: where the service's parameter tables list no such parameter (docs/wire-notes.md).
    authentication: str | None = None

    @property
    def results(self) -> frozenset[str]:
        # ``failure`` is accepted everywhere: the spec warns of undocumented system-level errors.
        return self.errors | {"failure"}

    @property
    def successes(self) -> frozenset[str]:
        return self.also_success | {self.success}

    @property
    def in_query(self) -> bool:
        """Parameters go in the query string (GET, DELETE), not in a JSON body (POST)."""
        return self.method != "POST"

    @property
    def retryable(self) -> bool:
        return self.method == "GET" and not self.write


def encode_params(params: Mapping[str, Any], *, in_query: bool) -> dict[str, Any]:
    """``params`` as sent: ``None`` values omitted, dates ISO, decimals as strings."""
    return {
        key: _encode_value(value, in_query) for key, value in params.items() if value is not None
    }


def _encode_value(value: Any, in_query: bool) -> Any:
    if isinstance(value, bool):
        # A query string has no booleans; Paytronix reads the JSON spelling.
        return ("true" if value else "false") if in_query else value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return encode_params(value, in_query=in_query)
    if isinstance(value, list | tuple):
        return [_encode_value(item, in_query) for item in value]
    return value


def mask_digits(text: str) -> str:
    """Mask every run of 10+ digits (a card number, an account id) to its last four."""
    return _LONG_DIGITS.sub(lambda m: "****" + m.group()[-4:], text)


def mask_emails(text: str) -> str:
    """Every email address in ``text`` kept to its first character and its domain
    (``j***@example.com``; ``j***%40example.com`` in a query string), as ``scrub.email_mask``
    masks one: upstream's words in the client's errors, the audit log's texts and the logs all
    mask them here (this package imports nothing from the apps, so it is the one place all
    three can share)."""
    return _EMAIL.sub(r"\1***\2\3", text)


def success_payload(endpoint: Endpoint, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` if its ``result`` is ``endpoint``'s success word; else raise its error.

    A result ``endpoint`` is not documented to answer raises ``UnexpectedResultError``.
    """
    result = payload["result"]
    if result in endpoint.successes:
        return payload
    error_class = RESULT_ERRORS.get(result) if result in endpoint.results else None
    raise (error_class or UnexpectedResultError)(
        result=result,
        error_code=str(payload.get("errorCode") or ""),
        error_message=mask_digits(str(payload.get("errorMessage") or "")),
        endpoint=endpoint.path,
        extra={key: value for key, value in payload.items() if key not in _REPLY_KEYS},
    )
