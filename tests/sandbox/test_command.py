"""``manage.py runsandbox``: a real process serving the sandbox with the settings' credentials."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.conf import settings

from portal.sandbox import demo
from portal.sandbox.management.commands.runsandbox import release_from

ROOT = Path(__file__).resolve().parents[2]


def test_the_release_is_the_path_segment_after_rest() -> None:
    assert release_from("https://m1001.api.example.com/rest/25.33/") == "25.33"
    assert release_from("http://127.0.0.1:8001/rest/19.1") == "19.1"


def test_runsandbox_serves_the_guest_service_on_the_given_port() -> None:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runsandbox", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        found = re.search(r"(http://\S+/rest/[^/]+/)", banner)
        if found is None:
            pytest.fail(f"no URL in {banner!r}")
        response = requests.get(
            f"{found.group(1)}guest/accountInformation.json",
            params={
                "merchantId": settings.PAYTRONIX_MERCHANT_ID,
                "printedCardNumber": demo.DEMO_ACTIVE_CARD,
            },
            auth=(settings.PAYTRONIX_USERNAME, settings.PAYTRONIX_SECRET),
            timeout=10,
        )
        assert response.json()["primaryCard"]["printedCardNumber"] == demo.DEMO_ACTIVE_CARD
    finally:
        process.terminate()
        process.wait(timeout=10)
