"""The endpoint table and the request a handler sees."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from portal.sandbox.errors import Failure
from portal.sandbox.state import State

Json = dict[str, Any]


@dataclass
class Request:
    """One call: its parameters (query string for GET, JSON body for POST) and the state.

    ``error_code`` and ``error_result`` answer a parameter the handler cannot use: the endpoint
    family's code from the contract for the Guest Service, sandbox codes for the services the
    Guest Service reference does not cover.
    """

    params: dict[str, Any]
    state: State
    error_code: str = ""
    error_result: str = "failure"

    def refuse(self, fallback: str, message: str) -> Failure:
        return Failure(self.error_code or fallback, message, result=self.error_result)

    def has(self, name: str) -> bool:
        value = self.params.get(name)
        return value is not None and value != ""

    def text(self, name: str) -> str:
        """A required string parameter."""
        if not self.has(name):
            raise self.refuse("request.missing_argument", f"Missing required argument: {name}")
        return str(self.params[name]).strip()

    def optional_text(self, name: str) -> str:
        return str(self.params[name]).strip() if self.has(name) else ""

    def integer(self, name: str) -> int:
        """A required integer parameter (a JSON number, or digits in a query string)."""
        value = self.text(name)
        try:
            return int(value)
        except ValueError:
            raise self.refuse(
                "request.invalid_argument", f"Argument {name} must be an integer"
            ) from None

    def optional_integer(self, name: str) -> int | None:
        return self.integer(name) if self.has(name) else None

    def boolean(self, name: str) -> bool:
        value = self.params.get(name, False)
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() == "true"

    def optional_date(self, name: str, error_code: str) -> date | None:
        if not self.has(name):
            return None
        try:
            return date.fromisoformat(self.text(name))
        except ValueError:
            raise Failure(error_code, f"Argument {name} must be a date yyyy-MM-dd") from None


Handler = Callable[[Request], Json]


@dataclass(frozen=True)
class Endpoint:
    method: str
    handler: Handler
    #: the errorCode of a wrong merchantId outside the Guest Service (its codes are the contract's).
    merchant_error: str = "request.invalid_merchant"


#: "service/endpoint" (without ``.json``) → endpoint.
ENDPOINTS: dict[str, Endpoint] = {}


def endpoint(
    path: str, method: str, *, merchant_error: str = "request.invalid_merchant"
) -> Callable[[Handler], Handler]:
    """Register ``handler`` for ``<service>/<endpoint>.json`` answered to ``method``."""

    def register(handler: Handler) -> Handler:
        ENDPOINTS[path] = Endpoint(method, handler, merchant_error)
        return handler

    return register
