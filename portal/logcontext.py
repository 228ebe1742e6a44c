"""What every log line says about where it came from, and what it must never say.

``LogContextFilter`` (on the console handler) adds the request id, the staff user and role, the
guest's account id and the job and item being worked on to every record, from context variables
set by ``LogContextMiddleware`` (requests) and ``log_context()`` (jobs). With ``LOG_FORMAT=json``
python-json-logger writes each of them as a field; the plain format shows the request id.

The filter also masks, in the message and in every string field, what a mistake in a log call
could leak: card-number-like runs of digits (to their last four) and email addresses (to
``j***@example.com``). Passwords and registration codes cannot be recognised by shape; they are
kept out by never being logged (tests/test_logs.py scans the log of the card and guest flows).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

from portal.middleware import current_request_id
from portal.paytronix.endpoint import mask_emails

#: The fields this module adds to every record; a JSON log line always has each of them.
CONTEXT_FIELDS = ("request_id", "user", "role", "account_id", "job_id", "job_item")

_context: ContextVar[dict[str, Any]] = ContextVar("log_context", default={})  # noqa: B039

# 11 to 19 digits, alone or grouped by spaces or dashes: a card number, as long as the console
# takes one (``cards.bulk_file.CARD_NUMBER``: printed card numbers in the spec run from 11 to 17
# digits). Account ids are shorter; a date and time (``2026-11-29 15:30``) has 10 digits; a
# phone number of 11 is masked too (it is a person's). Digits inside a word (a hash, an
# identifier: ``f84916580841153b``) are no card number: masking them would break an audit
# anchor's hash, which production ships through these logs.
_CARD_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){10,18}\d(?![0-9A-Za-z])")
# Attributes every LogRecord has; anything else on a record came from ``extra``.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    *CONTEXT_FIELDS,
}


def text_redact(text: str) -> str:
    """``text`` with card numbers masked to their last four digits and emails masked."""
    text = _CARD_NUMBER.sub(lambda m: "****" + re.sub(r"\D", "", m.group())[-4:], text)
    return mask_emails(text)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` (``job_id=``, ``job_item=``, ``account_id=``) to every record logged
    inside the block, in this thread or task."""
    token = _context.set(_context.get() | fields)
    try:
        yield
    finally:
        _context.reset(token)


class LogContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        for name in CONTEXT_FIELDS[1:]:
            if getattr(record, name, None) is None:
                setattr(record, name, context.get(name))
        message = record.getMessage()
        redacted = text_redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        for name, value in list(vars(record).items()):
            if name in _RECORD_ATTRS or value is None or isinstance(value, bool | int | float):
                continue
            # Anything else is written as its text (Django's ``request`` extra shows the
            # query string, where a search puts a card number): mask that text.
            setattr(record, name, text_redact(value if isinstance(value, str) else str(value)))
        return True


class LogContextMiddleware:
    """Puts the signed-in user, their role and the URL's account id into the log context.
    Sits after the authentication middleware; the role it reads is cached on the user for the
    access policy that follows."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        fields: dict[str, Any] = {}
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            role = getattr(user, "role", None)
            fields = {"user": user.get_username(), "role": role.value if role else None}
        token = _context.set(_context.get() | fields)
        try:
            return self.get_response(request)
        finally:
            _context.reset(token)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]
    ) -> None:
        if "account_id" in kwargs:
            _context.set(_context.get() | {"account_id": kwargs["account_id"]})
