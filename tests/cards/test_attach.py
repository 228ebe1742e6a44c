"""Attaching another card: the more_info round trip asks for exactly the fields upstream named,
the password is used once and kept nowhere, and every attach_card error is a sentence."""

from __future__ import annotations

import json
import logging

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import serializers
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape

from portal.sandbox import demo
from portal.sentences import explain_code
from tests.cards.conftest import INTENT, OUTCOME

pytestmark = pytest.mark.django_db

ACCOUNT = demo.DEMO_ACCOUNT_ID
ATTACH = reverse("cards:attach_submit", args=[ACCOUNT])


def attach(client, other, *, key="a1", **extra):
    data = {"idempotency_key": key, "other_card_number": other, "reason_text": "Guest request"}
    return client.post(ATTACH, data | extra)


def hidden(html: str, name: str) -> str:
    return html.split(f'name="{name}" value="')[1].split('"')[0]


def cached_values() -> list[bytes]:
    """Every value in the cache as stored (pickled), locmem or Redis alike."""
    backend = cache._cache  # type: ignore[attr-defined]
    if isinstance(backend, dict):
        return list(backend.values())
    client = backend.get_client(None)
    return [client.get(key) or b"" for key in client.scan_iter()]


def attached_numbers(sandbox) -> list[str]:
    """The primary cards of the guest's other accounts: an attached card's account is one."""
    user = sandbox.state.user(sandbox.state.account(ACCOUNT).username)
    return [sandbox.state.account(i).primary_card for i in user.account_ids if i != ACCOUNT]


def test_the_form_asks_only_for_the_card_number_and_a_reason(sandbox, agent_client):
    html = agent_client.get(reverse("cards:attach", args=[ACCOUNT])).content.decode()
    assert 'name="other_card_number"' in html
    assert 'name="other_password"' not in html
    assert 'name="registration_code"' not in html


def test_a_card_without_a_code_is_attached_at_once(sandbox, agent_client, records):
    response = attach(agent_client, demo.DEMO_ATTACHABLE_CARD)
    assert response.status_code == 303
    assert demo.DEMO_ATTACHABLE_CARD in attached_numbers(sandbox)
    intent, outcome = records("card.attach")
    assert intent.reason_text == "Guest request"
    assert intent.params["otherPrintedCardNumber"]["masked"] == "000021"
    assert demo.DEMO_ATTACHABLE_CARD not in json.dumps(intent.params)
    assert outcome.outcome == "succeeded"


def test_a_card_with_a_registration_code_asks_for_it_then_attaches(
    sandbox, agent_client, records, upstream_calls
):
    first = attach(agent_client, demo.DEMO_CARD_WITH_REGISTRATION_CODE, key="r1")
    html = first.content.decode()
    assert first.status_code == 200
    assert 'name="registration_code"' in html
    assert 'name="other_password"' not in html
    assert 'name="other_username"' not in html
    assert "the registration code printed with the card" in html
    key = hidden(html, "idempotency_key")
    assert key != "r1"
    second = agent_client.post(
        ATTACH,
        {
            "idempotency_key": key,
            "other_card_number": hidden(html, "other_card_number"),
            "needed": hidden(html, "needed"),
            "reason_text": hidden(html, "reason_text"),
            "registration_code": demo.DEMO_REGISTRATION_CODE,
        },
    )
    assert second.status_code == 303
    assert demo.DEMO_CARD_WITH_REGISTRATION_CODE in attached_numbers(sandbox)
    sent = upstream_calls.to("guest/attachCard.json")
    assert [call["otherRegistrationCode"] for call in sent] == [None, demo.DEMO_REGISTRATION_CODE]
    assert [r.outcome for r in records("card.attach", OUTCOME)] == ["needs_more_info", "succeeded"]
    assert records("card.attach", INTENT)[1].params["otherRegistrationCode"] == "(given)"


def test_a_wrong_registration_code_is_explained_and_can_be_typed_again(sandbox, agent_client):
    first = attach(agent_client, demo.DEMO_CARD_WITH_REGISTRATION_CODE, key="w1")
    html = first.content.decode()
    wrong = agent_client.post(
        ATTACH,
        {
            "idempotency_key": hidden(html, "idempotency_key"),
            "other_card_number": demo.DEMO_CARD_WITH_REGISTRATION_CODE,
            "needed": "registrationCode",
            "reason_text": "Guest request",
            "registration_code": "000000",
        },
    )
    page = wrong.content.decode()
    assert escape(explain_code("attach_card.invalid_reg_code")) in page
    assert 'name="registration_code"' in page
    assert demo.DEMO_CARD_WITH_REGISTRATION_CODE not in attached_numbers(sandbox)


def _owner_round_trip(client, password: str):
    first = attach(client, demo.DEMO_CARD_OWNED_BY_OTHER_USER, key="o1")
    html = first.content.decode()
    assert 'name="other_username"' in html
    assert 'name="other_password"' in html
    assert 'name="registration_code"' not in html
    return client.post(
        ATTACH,
        {
            "idempotency_key": hidden(html, "idempotency_key"),
            "other_card_number": hidden(html, "other_card_number"),
            "needed": hidden(html, "needed"),
            "reason_text": "Guest request",
            "other_username": demo.DEMO_OTHER_USERNAME,
            "other_password": password,
        },
    )


def test_a_card_of_another_login_asks_for_its_owners_username_and_password(
    sandbox, agent_client, records
):
    response = _owner_round_trip(agent_client, demo.DEMO_OTHER_PASSWORD)
    assert response.status_code == 303
    assert demo.DEMO_CARD_OWNED_BY_OTHER_USER in attached_numbers(sandbox)
    intent = records("card.attach", INTENT)[1]
    assert intent.params["otherPassword"] == "(given)"
    # A username is personal data: the audit keeps it masked.
    assert intent.params["otherUsername"] == "n***"


def test_the_password_is_kept_nowhere(sandbox, agent_client, caplog):
    caplog.set_level(logging.DEBUG)
    password = demo.DEMO_OTHER_PASSWORD
    # A wrong password first: explained, and not echoed back into the form.
    wrong = _owner_round_trip(agent_client, "not-" + password)
    assert escape(explain_code("attach_card.user_pwd_invalid")) in wrong.content.decode()
    assert "not-" + password not in wrong.content.decode()
    response = _owner_round_trip(agent_client, password)
    assert response.status_code == 303
    # Nothing in any table (audit, jobs, sessions, uploads...), decoded sessions included.
    for model in apps.get_models():
        dumped = serializers.serialize("json", model._default_manager.all())
        assert password not in dumped, model.__name__
    for session in Session.objects.all():
        assert password not in json.dumps(session.get_decoded(), default=str)
    # Nothing in the logs or the cache.
    assert password not in caplog.text
    assert all(password.encode() not in value for value in cached_values())


@pytest.mark.parametrize(
    ("other", "code"),
    [
        ("6000209999999999", "attach_card.invalid_other_card"),
        (demo.DEMO_DISABLED_CARD, "attach_card.already_attached"),
        (demo.DEMO_SUSPENDED_ACCOUNT_CARD, "attach_card.other_account_not_active"),
    ],
)
def test_a_refused_attach_is_explained(sandbox, agent_client, records, other, code):
    response = attach(agent_client, other)
    assert escape(explain_code(code)) in response.content.decode()
    assert records("card.attach", OUTCOME)[0].error_code == code


ATTACH_CODES = [
    "attach_card.error",
    "attach_card.invalid_card",
    "attach_card.invalid_other_card",
    "attach_card.invalid_account",
    "attach_card.invalid_user",
    "attach_card.invalid_address",
    "attach_card.not_enabled",
    "attach_card.invalid_reg_code",
    "attach_card.already_attached",
    "attach_card.account_not_active",
    "attach_card.card_not_active",
    "attach_card.other_account_not_active",
    "attach_card.other_card_not_active",
    "attach_card.user_pwd_invalid",
    "attach_card.invalid_card_template",
]


@pytest.mark.parametrize("code", ATTACH_CODES)
def test_every_attach_card_error_code_becomes_its_sentence(
    sandbox, agent_client, upstream_refuses, code
):
    upstream_refuses("guest/attachCard", code)
    response = attach(agent_client, demo.DEMO_ATTACHABLE_CARD)
    assert response.status_code == 200
    assert escape(explain_code(code)) in response.content.decode()


def test_a_double_submit_attaches_once(sandbox, agent_client, upstream_calls):
    assert attach(agent_client, demo.DEMO_ATTACHABLE_CARD, key="d1").status_code == 303
    assert attach(agent_client, demo.DEMO_ATTACHABLE_CARD, key="d1").status_code == 303
    assert len(upstream_calls.to("guest/attachCard.json")) == 1


def test_a_card_number_that_is_not_one_is_refused_before_anything_is_sent(
    sandbox, agent_client, records
):
    response = attach(agent_client, "12-34")
    assert response.status_code == 422
    assert "Enter the card number printed on the card" in response.content.decode()
    assert records("card.attach") == []


def test_attaching_needs_the_attach_permission(sandbox, auditor_client):
    assert attach(auditor_client, demo.DEMO_ATTACHABLE_CARD).status_code == 403
