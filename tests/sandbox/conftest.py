"""A tiny HTTP client for the sandbox tests: the wire as any Paytronix client would speak it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from portal.sandbox.testing import SandboxController


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


def card_statuses(reply: dict[str, Any]) -> dict[str, str]:
    """printedCardNumber → status over primaryCard and additionalCards of a reply."""
    cards = [reply["primaryCard"], *reply["additionalCards"]]
    return {c["printedCardNumber"]: c["status"] for c in cards}
