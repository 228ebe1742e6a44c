"""The sandbox's contract tests speak to it two ways: ``api``, a tiny HTTP client that speaks
the wire as any Paytronix client would, and ``px``, the portal's own client, for what the
portal reads from a reply (typed models, error classes) and how it rides out the faults."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from portal.paytronix import PaytronixClient, client_from_settings, permit_writes
from portal.sandbox.testing import SandboxController

#: A card number and an account id the sandbox does not know.
UNKNOWN_CARD = "6000209999999999"
UNKNOWN_ACCOUNT = 1
#: A guest nobody has, by each key a guest endpoint takes (the endpoint's name ends ``By<key>``),
#: and the error code each key answers with.
NOBODY_BY_KEY = [
    ("Username", {"username": "no.such.user"}, "account_info.invalid_user"),
    ("PrintedCardNumber", {"printedCardNumber": UNKNOWN_CARD}, "account_info.invalid_card"),
    ("AccountId", {"accountId": UNKNOWN_ACCOUNT}, "account_info.invalid_account"),
]


class Api:
    """GET with query parameters, POST with a JSON body, ``merchantId`` always, Basic auth."""

    def __init__(self, sandbox: SandboxController) -> None:
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.auth = sandbox.auth
        self.timeout = 10.0

    def get_raw(self, endpoint: str, **params: Any) -> requests.Response:
        query = {"merchantId": self.sandbox.merchant_id, **params}
        return self.session.get(
            f"{self.sandbox.url}{endpoint}.json", params=query, timeout=self.timeout
        )

    def post_raw(self, endpoint: str, **body: Any) -> requests.Response:
        payload = {"merchantId": self.sandbox.merchant_id, **body}
        return self.session.post(
            f"{self.sandbox.url}{endpoint}.json", json=payload, timeout=self.timeout
        )

    def get(self, endpoint: str, **params: Any) -> dict[str, Any]:
        response = self.get_raw(endpoint, **params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def post(self, endpoint: str, **body: Any) -> dict[str, Any]:
        response = self.post_raw(endpoint, **body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def control(self, method: str, action: str, body: Any = None) -> requests.Response:
        return self.session.request(
            method, f"{self.sandbox.root_url}/_sandbox/{action}", json=body, timeout=self.timeout
        )


@pytest.fixture
def api(sandbox: SandboxController) -> Iterator[Api]:
    client = Api(sandbox)
    yield client
    client.session.close()


@pytest.fixture
def px(sandbox: SandboxController) -> Iterator[PaytronixClient]:
    """The portal's client on the sandbox, writes allowed: in the portal only the audit door
    opens the write guard, and the door is not what these tests are about."""
    with permit_writes():
        yield client_from_settings()


def card_statuses(reply: dict[str, Any]) -> dict[str, str]:
    """printedCardNumber → status over primaryCard and additionalCards of a reply."""
    cards = [reply["primaryCard"], *reply["additionalCards"]]
    return {c["printedCardNumber"]: c["status"] for c in cards}


def wallet_balances(sandbox: SandboxController, number: str) -> dict[int, Decimal]:
    """wallet code → balance of the account that card ``number`` belongs to, from the model."""
    account = sandbox.state.account_for_card(number)
    return {w.code: w.balance for w in account.wallets}
