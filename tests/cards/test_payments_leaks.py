"""No full card number reaches the audit log or the cache from the payments flows (nor upstream's
payment method reference the audit log): the panel, both changes, a refusal and an unknown
outcome settled by reading back. Everything written is read raw and searched."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import serializers
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from cards.selectors.payments import method_token
from portal.audit.models import AuditRecord
from portal.audit.reconcile import unknown_outcomes_reconcile
from portal.paytronix.replies import SavedPaymentMethod
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
METHOD_IDS = (demo.DEMO_AUTO_RECHARGE_METHOD_ID, demo.DEMO_OTHER_METHOD_ID)


@pytest.fixture
def locmem_cache(settings: Any) -> None:
    local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pay-scan"}
    settings.CACHES = {"default": local, "guests": local}
    settings.AUDIT_SETTLE_AFTER = 0


def _token(method_id: str) -> str:
    return method_token(SavedPaymentMethod(payment_method_id=method_id))


def _payment_flows(sandbox: SandboxController, agent: Client) -> None:
    assert agent.get(reverse("guests:guest", args=[ACCOUNT])).status_code == 200
    assert (
        "Visa ending 1111"
        in agent.get(reverse("cards:payments", args=[ACCOUNT]), headers=HTMX).content.decode()
    )
    visa, mastercard = (_token(i) for i in METHOD_IDS)
    remove = "cards:payment_method_remove_submit"
    refused = agent.post(
        reverse(remove, args=[ACCOUNT, visa]),
        {"idempotency_key": "r1", "reason_code": "guest_request"},
    )
    assert "funds auto-recharge" in refused.content.decode()
    sandbox.faults.drop(endpoint="disableAutoRecharge", process=True, times=1)
    off = agent.post(
        reverse("cards:auto_recharge_disable_submit", args=[ACCOUNT]),
        {
            "idempotency_key": "o1",
            "reason_code": "other",
            "reason_text": "Guest read card 4111 1111 1111 1111 to me",
        },
    )
    assert "could not confirm" in off.content.decode()
    assert unknown_outcomes_reconcile().settled == 1
    for token, key in ((mastercard, "r2"), (visa, "r3")):
        done = agent.post(
            reverse(remove, args=[ACCOUNT, token]),
            {"idempotency_key": key, "reason_code": "guest_request"},
        )
        assert done.status_code == 303
    assert sandbox.state.account_for_card(demo.DEMO_PAYMENT_CARD).payment_methods == []
    assert (
        "None saved."
        in agent.get(reverse("cards:payments", args=[ACCOUNT]), headers=HTMX).content.decode()
    )


def _card_numbers(sandbox: SandboxController) -> list[str]:
    return [*sandbox.state.live.cards, "4111111111111111", "4111 1111 1111 1111"]


@pytest.mark.usefixtures("locmem_cache")
def test_the_payments_flows_leave_no_card_number_in_the_audit_log_or_the_cache(
    sandbox: SandboxController, agent_client: Client
) -> None:
    _payment_flows(sandbox, agent_client)
    records = serializers.serialize("json", AuditRecord.objects.all())
    assert AuditRecord.objects.filter(action__startswith="payment.").count() >= 8
    entries = {str(key): bytes(raw) for key, raw in cache._cache.items()}  # type: ignore[attr-defined]
    assert [key for key in entries if ":payment-methods:" in key]
    found = [secret[-4:] for secret in [*_card_numbers(sandbox), *METHOD_IDS] if secret in records]
    found += [
        f"{key}: {number[-4:]}"
        for key, raw in entries.items()
        for number in _card_numbers(sandbox)
        if number.encode() in raw or number in key
    ]
    assert found == []
    # What the log keeps of a removed method: its label and a keyed hash of its reference.
    removed = [
        json.loads(json.dumps(r.params))
        for r in AuditRecord.objects.filter(action="payment.method.remove", kind="intent")
    ]
    assert {p["paymentMethod"] for p in removed} == {"Visa ending 1111", "Mastercard ending 4444"}
    assert all(len(p["paymentMethodHash"]) == 64 for p in removed)


@pytest.mark.usefixtures("locmem_cache")
def test_the_scan_would_find_a_planted_number(sandbox: SandboxController) -> None:
    cache.set("planted", {"printedCardNumber": demo.DEMO_PAYMENT_CARD})
    entries = {str(key): bytes(raw) for key, raw in cache._cache.items()}  # type: ignore[attr-defined]
    assert any(demo.DEMO_PAYMENT_CARD.encode() in raw for raw in entries.values())
