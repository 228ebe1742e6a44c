"""The ``authentication`` style of a request: which styles each service accepts, and what a
style claims, checked against the model where the sandbox can.

Vendor evidence (docs/wire-notes.md "Authentication styles"): every endpoint lists the styles
it accepts; the CSR and Transaction Services accept B2B only; a B2B caller of the Transaction
Service sends ``"authentication": "b2b"``. HTTP Basic integration credentials are B2B, so a
request without the parameter is taken as B2B. A style the service does not accept is refused
with HTTP 403 (the client reads it as "not available to this integration"); a style whose
claim does not hold (a card's registration code, a user's password) is a failure reply.
"""

from __future__ import annotations

from typing import Any

from portal.sandbox.errors import Failure
from portal.sandbox.model import Model

B2B = "b2b"
#: Styles each service accepts. The Guest Service's page also lists OAuth; the sandbox issues
#: no OAuth tokens, so it cannot check one and refuses it as not accepted here.
ACCEPTED: dict[str, frozenset[str]] = {
    "guest": frozenset({B2B, "card", "username"}),
    "csr": frozenset({B2B}),
    "transaction": frozenset({B2B}),
    # The vendor also lists OAuth for transferBalances; refused here as for the Guest Service.
    "balancetransfer": frozenset({B2B}),
    # The vendor's Payment page lists B2B and OAuth (recharge.json); no OAuth here, as above.
    "payment": frozenset({B2B}),
}
#: Every style word the vendor names; anything else is not a style at all.
KNOWN_STYLES = frozenset({B2B, "anonymous", "card", "username", "oauth", "guest_email"})

NOT_ACCEPTED = "request.authentication_not_accepted"
CLAIM_FAILED = "request.authentication_failed"


class StyleRefused(Exception):
    """The service does not take this style: answered with HTTP 403."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def style_of(params: dict[str, Any]) -> str:
    value = params.get("authentication")
    if value is None or value == "":
        return B2B
    return str(value).strip().lower()


def style_parameters(params: dict[str, Any]) -> frozenset[str]:
    """The parameters an authentication style adds to any endpoint's own (checked here, not
    by the endpoint's contract)."""
    style = style_of(params)
    if style == "card":
        return frozenset({"authentication", "cardRegCode"})
    if style == "username":
        return frozenset({"authentication", "username", "password"})
    return frozenset({"authentication"})


def check(service: str, params: dict[str, Any], model: Model) -> None:
    """Raise ``StyleRefused`` for a style ``service`` does not accept, ``Failure`` for a claim
    that does not hold; return quietly for an accepted, true claim."""
    style = style_of(params)
    if style not in KNOWN_STYLES:
        raise StyleRefused(f"Unknown authentication style {style!r}")
    if style not in ACCEPTED.get(service, frozenset({B2B})):
        raise StyleRefused(f"The {service} service does not accept {style} authentication")
    if style == "card":
        _check_card(params, model)
    elif style == "username":
        _check_user(params, model)


def _check_card(params: dict[str, Any], model: Model) -> None:
    card = model.card(str(params.get("printedCardNumber") or ""))
    given = str(params.get("cardRegCode") or "")
    if card is None or not card.registration_code or given != card.registration_code:
        raise Failure(CLAIM_FAILED, "Card number or registration code is invalid")


def _check_user(params: dict[str, Any], model: Model) -> None:
    user = model.users.get(str(params.get("username") or ""))
    if user is None or str(params.get("password") or "") != user.password:
        raise Failure(CLAIM_FAILED, "Username or password is invalid")
