"""The one exception family for everything that can go wrong talking to Paytronix.

Two branches:

* ``PaytronixResultError`` and its subclasses: upstream answered, well-formed, with a
  ``result`` other than success. These are *permanent* for the request as sent: retrying the
  same request gives the same answer.
* ``TransportError``: we do not have a well-formed answer (connect error, timeout, 5xx,
  non-JSON body, circuit open). ``OutcomeUnknownError`` is the transport error of a write: the
  request may or may not have been applied upstream, so it must be settled by reading state
  back, never by blindly sending it again.

Messages never contain credentials, passwords or registration codes: only the endpoint path,
``result``, ``errorCode`` and upstream's ``errorMessage``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class PaytronixError(Exception):
    """Base of every error raised by the client."""

    #: True when sending the same request again may succeed.
    transient: bool = False

    def __init__(self, message: str, *, endpoint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint


class PaytronixResultError(PaytronixError):
    """Upstream answered with a non-success ``result``."""

    def __init__(
        self,
        *,
        result: str,
        error_code: str = "",
        error_message: str = "",
        endpoint: str = "",
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.result = result
        self.error_code = error_code
        self.error_message = error_message
        self.extra = dict(extra or {})
        detail = f"{endpoint}: result={result}"
        if error_code:
            detail += f" errorCode={error_code}"
        if error_message:
            detail += f" ({error_message})"
        super().__init__(detail, endpoint=endpoint)


class FailureError(PaytronixResultError):
    """``result: failure`` with an ``errorCode`` such as ``card_status.not_found``."""


class UserDataError(FailureError):
    """``result: userDataError``: the Transaction Service's word for a data error (a card in the
    wrong state, an unknown card), with a ``transaction.*`` ``errorCode``. A ``FailureError``,
    so every caller that handles a refusal handles it."""


@dataclass(frozen=True)
class FieldError:
    """One upstream validation error of one field: its code and upstream's own words."""

    code: str
    message: str = ""


class FieldValidationError(FailureError):
    """The Enrollment Service refused some fields (``errorsByField``): each field's errors, to be
    shown on that field.

    Upstream's messages may repeat the value refused (an email address "already in use"), so
    they live only on this object, for the form; ``extra`` (which the audit log records) keeps
    each field's error codes and nothing else.
    """

    def __init__(
        self,
        *,
        field_errors: dict[str, list[FieldError]],
        result: str,
        error_code: str = "",
        error_message: str = "",
        endpoint: str = "",
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.field_errors = field_errors
        codes = {name: [e.code for e in errors] for name, errors in field_errors.items()}
        kept = {k: v for k, v in (extra or {}).items() if k != "errorsByField"}
        super().__init__(
            result=result,
            error_code=error_code,
            error_message=error_message,
            endpoint=endpoint,
            extra={**kept, "errorsByField": codes},
        )


class InvalidInputsError(FailureError):
    """``result: invalidInputs``: the Payment Service's word for a request whose inputs could not
    be validated (vendor page, recharge.json), with an ``errorCode``. A ``FailureError``, so
    every caller that handles a refusal handles it."""


class MoreInfoError(PaytronixResultError):
    """``result: more_info``: the call needs the listed ``fields`` and must be resubmitted."""

    @property
    def fields(self) -> list[str]:
        return [str(f) for f in self.extra.get("fields", [])]


#: The ``result`` of a combine that suspended the main account instead (nothing moved).
ACCOUNT_SUSPENDED = "accountSuspended"


class AccountSuspendedError(PaytronixResultError):
    """``result: accountSuspended``: too many cards were combined into one account."""


class InvalidStatusError(PaytronixResultError):
    """``result: invalid_status``: the account or card is in a status that forbids the call."""

    @property
    def account_status(self) -> str:
        return str(self.extra.get("accountStatus", ""))

    @property
    def card_status(self) -> str:
        return str(self.extra.get("cardStatus", ""))


class AttachFailureError(PaytronixResultError):
    """``result: attach_failure``: attach-and-combine failed at the attach step."""


class CombineFailureError(PaytronixResultError):
    """``result: combine_failure``: attach-and-combine failed at the combine step."""


class InvalidVisitCodeError(PaytronixResultError):
    """``result: invalidVisitCode``: the visit code is unknown, used or expired."""


class UnexpectedResultError(PaytronixResultError):
    """A ``result`` value this endpoint is not documented to return."""


RESULT_ERRORS: dict[str, type[PaytronixResultError]] = {
    "failure": FailureError,
    "userDataError": UserDataError,
    "invalidInputs": InvalidInputsError,
    "more_info": MoreInfoError,
    ACCOUNT_SUSPENDED: AccountSuspendedError,
    "invalid_status": InvalidStatusError,
    "attach_failure": AttachFailureError,
    "combine_failure": CombineFailureError,
    "invalidVisitCode": InvalidVisitCodeError,
}


class TransportError(PaytronixError):
    """No well-formed answer from upstream: connection, timeout, 5xx or malformed body."""

    transient = True

    def __init__(self, message: str, *, endpoint: str = "", status: int | None = None) -> None:
        super().__init__(message, endpoint=endpoint)
        self.status = status


class MalformedReplyError(TransportError):
    """Upstream answered, but not in the documented format: not JSON, no ``result``, or a field
    of the wrong type. The message names the field, never its value."""


class UpstreamStatusError(TransportError):
    """An HTTP status that is neither a reply nor a transient fault (401, 403, 404...).

    Sending the same request again gives the same answer: it is a configuration problem (wrong
    credentials, base URL or release), so it is not transient.
    """

    transient = False


#: HTTP statuses that say an endpoint is not part of this integration: missing (404) or not
#: authorised for these credentials (401, 403).
UNAVAILABLE_STATUSES = frozenset({401, 403, 404})
#: ``errorCode`` endings by which an upstream refuses a caller the service, not the request.
_UNAUTHORISED_CODES = ("unauthorized", "not_authorized", "unauthorised", "access_denied")


def service_unavailable(error: PaytronixError) -> bool:
    """True when ``error`` says the service is not there for this integration (not found, not
    authorised), rather than that this one request was refused or upstream is in trouble."""
    if isinstance(error, UpstreamStatusError):
        return error.status in UNAVAILABLE_STATUSES
    if isinstance(error, PaytronixResultError):
        return error.error_code.lower().endswith(_UNAUTHORISED_CODES)
    return False


class CircuitOpenError(TransportError):
    """Upstream kept failing; calls fail fast until the cool-down ends."""

    def __init__(self, *, endpoint: str = "", retry_in: float = 0.0) -> None:
        super().__init__(
            f"Paytronix is not answering; calls paused for {retry_in:.0f}s", endpoint=endpoint
        )
        self.retry_in = retry_in


class OutcomeUnknownError(TransportError):
    """A write's transport failed after it may have reached upstream: settle by reading back."""


class WriteNotPermittedError(PaytronixError):
    """A write method was called outside the audit door (see ``permit_writes``)."""
