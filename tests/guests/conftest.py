"""Helpers of the guests tests: sending text through the search box."""

from __future__ import annotations

from typing import Any

from django.urls import reverse


def search(client: Any, text: str) -> Any:
    """Send ``text`` through the search box, as the CSR does."""
    return client.post(reverse("guests:search"), {"q": text})
