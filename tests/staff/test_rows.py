"""The session and the signed-in user read by ``row_read``: the same rows, the same values and
the same refusals as Django's ORM reads they replace, on whichever database the tests run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.staff.backends import StaffBackend
from portal.staff.models import User
from portal.staff.rows import row_read
from portal.staff.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _fields(user: User) -> dict[str, object]:
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def test_the_signed_in_user_is_the_row_the_orm_reads_field_for_field(agent: User) -> None:
    agent.last_login = timezone.now()
    agent.store_group_code = 100
    agent.save()
    with CaptureQueriesContext(connection) as queries:
        read = StaffBackend().get_user(agent.pk)
    assert len(queries) == 1
    expected = ModelBackend().get_user(agent.pk)
    assert read is not None
    assert expected is not None
    assert _fields(read) == _fields(expected)
    assert type(read.last_login) is type(expected.last_login)  # an aware datetime on each
    assert read._state.adding is False
    assert read._state.db == expected._state.db
    assert read.role == expected.role
    assert read.has_perm("staff.lookup_guests") == expected.has_perm("staff.lookup_guests")


def test_a_user_who_is_gone_or_inactive_is_nobody(agent: User) -> None:
    backend = StaffBackend()
    assert backend.get_user(agent.pk + 1000) is None
    agent.is_active = False
    agent.save()
    assert backend.get_user(agent.pk) is None


def test_a_session_loads_until_it_expires_and_then_is_forgotten(agent: User) -> None:
    store = SessionStore()
    store["_auth_user_id"] = str(agent.pk)
    store.save()
    key = store.session_key
    assert (
        SessionStore(key).load()
        == DjangoSessionStore(key).load()
        == {"_auth_user_id": str(agent.pk)}
    )

    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    expired = SessionStore(key)
    assert expired.load() == {}
    assert expired.session_key is None  # a new key is made on save, as Django does

    assert SessionStore("no-such-session-key-0123456789ab").load() == {}


def test_deleting_a_sessions_row_signs_its_user_out_at_once(agent_client: Client) -> None:
    assert agent_client.get(reverse("home")).status_code == 200
    Session.objects.all().delete()
    response = agent_client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_condition_matching_several_rows_is_refused_as_get_refuses_it(
    agent: User, supervisor: User
) -> None:
    with pytest.raises(User.MultipleObjectsReturned):
        row_read(User, columns=("id",), where=(("is_active", "="),), values=(True,))


def test_only_comparisons_are_written_into_the_sql(agent: User) -> None:
    with pytest.raises(ValueError, match="compares with"):
        row_read(User, columns=("id",), where=(("id", "= 1 OR 1 ="),), values=(agent.pk,))


def test_columns_not_asked_for_are_deferred_and_load_when_read(agent: User) -> None:
    read = row_read(User, columns=("id", "username"), where=(("id", "="),), values=(agent.pk,))
    assert read is not None
    assert read.username == agent.username
    assert read.get_deferred_fields() >= {"email", "password"}
    assert read.email == agent.email


def test_columns_may_be_asked_for_in_any_order_and_must_include_the_key(agent: User) -> None:
    read = row_read(User, columns=("username", "id"), where=(("id", "="),), values=(agent.pk,))
    assert read is not None
    assert (read.pk, read.username) == (agent.pk, agent.username)
    with pytest.raises(ValueError, match="primary key"):
        row_read(User, columns=("username",), where=(("id", "="),), values=(agent.pk,))


def test_an_id_beyond_the_databases_range_is_nobody(agent: User) -> None:
    assert StaffBackend().get_user(2**63) is None
    assert ModelBackend().get_user(2**63) is None
