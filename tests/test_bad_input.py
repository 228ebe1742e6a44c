"""Nasty input into every form a person types into: a clear answer, never a server error, and
nothing sent upstream for input that cannot be valid."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cards.forms import AttachCardForm
from portal.jobs.models import Job
from portal.staff.models import User
from portal.staff.roles import Role
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.proof]

CARD = "6000201900000021"
#: Text no form may fail on: NUL, very long, digits of other scripts, direction marks, emoji.
NASTY = [
    "\x00",
    f"{CARD}\x00",
    "a" * 300,
    "6" * 5000,
    "²",
    "①②③",
    "６０００２０１９０００００００２１",  # noqa: RUF001  (fullwidth: the look-alike is the point)
    "٦٠٠٠٢٠١٩٠٠٠٠٠٠٢١",  # Arabic-Indic
    "६०००२०१९०००००००२१",  # Devanagari
    f"\u202e{CARD}",
    f"\u200f{CARD}\u200e",
    "😀" * 20,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%s%n{0}",
]


def _client(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def upstream_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from portal.paytronix.session import Transport

    calls: list[str] = []

    def refuse(self: Transport, endpoint: Any, params: Any) -> dict[str, Any]:
        calls.append(endpoint.path)
        raise AssertionError(f"upstream called for bad input: {endpoint.path}")

    monkeypatch.setattr(Transport, "call", refuse)
    return calls


@pytest.mark.parametrize("text", NASTY)
def test_a_nasty_username_or_password_is_a_failed_login(agent: User, text: str) -> None:
    client = Client(raise_request_exception=False)
    for form in ({"username": text, "password": PASSWORD}, {"username": "x", "password": text}):
        response = client.post(reverse("login"), form)
        assert response.status_code == 200, form
        assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("text", NASTY)
def test_a_nasty_search_answers_in_words_without_asking_upstream(
    agent: User, upstream_calls: list[str], text: str
) -> None:
    response = _client(agent).post(reverse("guests:search"), {"q": text})
    assert response.status_code == 200
    assert upstream_calls == []


@pytest.mark.parametrize("text", NASTY)
def test_a_nasty_number_or_email_in_the_advanced_search_is_refused_without_asking_upstream(
    agent: User, upstream_calls: list[str], text: str
) -> None:
    client = _client(agent)
    for field in ("card_number", "account_id", "phone", "email", "eclub_email"):
        response = client.post(reverse("guests:advanced_search"), {field: text})
        assert response.status_code == 200, field
    assert upstream_calls == []


@pytest.mark.parametrize("text", NASTY)
def test_a_nasty_card_number_is_refused_by_the_attach_form(text: str) -> None:
    form = AttachCardForm({"idempotency_key": "k1", "other_card_number": text, "reason_text": "x"})
    assert not form.is_valid()
    assert "other_card_number" in form.errors


@pytest.mark.parametrize("text", NASTY)
def test_a_nasty_audit_filter_or_export_is_no_server_error(
    make_staff: Any, settings: Any, tmp_path: Any, text: str
) -> None:
    settings.JOBS_FILES_DIR = tmp_path
    client = _client(make_staff(Role.AUDITOR))
    for field in ("username", "card", "account_id", "since", "action", "card_hash"):
        # Read (200) or refused with its errors (422), never a server error.
        assert client.get(reverse("audit:list"), {field: text}).status_code in {200, 422}, field
        posted = client.post(reverse("audit:search"), {field: text})
        assert posted.status_code in {302, 422}, field
    for cursor in ("before", "after"):
        assert client.get(reverse("audit:list"), {cursor: text}).status_code == 200, cursor
    response = client.post(reverse("audit:export"), {"idempotency_key": text})
    assert response.status_code == 302


@pytest.mark.parametrize("text", NASTY)
def test_a_nasty_bulk_file_is_refused_or_judged_row_by_row(
    supervisor: User, upstream_calls: list[str], text: str
) -> None:
    client = _client(supervisor)
    content = f"card_number,action,reason\n{text},disable,lost\n{CARD},disable,{text}\n"
    upload = SimpleUploadedFile("cards.csv", content.encode(), content_type="text/csv")
    response = client.post(
        reverse("cards:bulk_upload"), {"action": "disable", "reason": "Lost", "file": upload}
    )
    assert response.status_code in {303, 422}
    if response.status_code == 303:
        review = client.get(response["Location"])
        assert review.status_code == 200
        assert "Not a card number" in review.content.decode()
    assert upstream_calls == []
    assert Job.objects.count() == 0
