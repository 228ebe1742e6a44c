"""Personas, service markers and shared fixtures for the whole suite."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, NamedTuple
from urllib.parse import urlparse

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client

from guests.selectors.fanout import kept_reads_ended
from guests.templatetags import fragments
from portal.audit.models import AuditRecord
from portal.guestcache import failure_memory
from portal.requestscope import drop_after_response
from portal.staff.models import User
from portal.staff.roles import Role, sync_role_groups
from portal.staff.services import staff_create

pytest_plugins = ["portal.sandbox.testing"]

PASSWORD = "correct horse battery staple"
#: Headers of a test client request that make it an htmx request: ``client.get(url, headers=HTMX)``.
HTMX: dict[str, str] = {"HX-Request": "true"}
# In CI a test that needs PostgreSQL or Redis fails when the service is missing; elsewhere skips.
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    missing = []
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        missing.append("PostgreSQL (set DATABASE_URL=postgres://...)")
    if item.get_closest_marker("redis"):
        url = os.environ.get("REDIS_URL", "")
        if not url or urlparse(url).scheme != "redis" or not _redis_reachable(url):
            missing.append("Redis (set REDIS_URL=redis://...)")
    if missing:
        message = "needs " + " and ".join(missing)
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    # What a request before left for after its response (one never closed) is dropped, not
    # written into this test's cache.
    drop_after_response()
    cache.clear()
    failure_memory.clear()
    fragments.forget()
    yield
    # A read a page stopped waiting for (a hang the sandbox's teardown has just let go) ends
    # here, not in the next test, where its answer would fill that test's cache.
    kept_reads_ended(timeout=10)


@pytest.fixture(scope="session", autouse=True)
def _flush_past_audit_triggers() -> Iterator[None]:
    """On PostgreSQL the audit tables refuse TRUNCATE (portal/audit migration 0002), which is
    how a transactional test's database is emptied afterwards. The flush alone runs in the
    superuser's replica mode, which skips those triggers, for its own transaction only."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self: Any, *args: Any, **kwargs: Any) -> list[str]:
        statements = original(self, *args, **kwargs)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else []

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


#: The least-privilege role the web and worker connect as in production (CI creates it).
RUNTIME_ROLE = os.environ.get("DATABASE_RUNTIME_ROLE", "")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """The test database, created and migrated by its owner; on PostgreSQL with
    ``DATABASE_RUNTIME_ROLE`` the runtime role is then given its grants, as a deployment does."""
    if RUNTIME_ROLE and connection.vendor == "postgresql":
        from django.core.management import call_command

        with django_db_blocker.unblock():
            call_command("db_runtime_grants", role=RUNTIME_ROLE, apply=True, verbosity=0)


def _in_one_transaction(request: pytest.FixtureRequest) -> bool:
    """Whether the test's database work is one transaction rolled back afterwards (``db``),
    not committed and flushed (``transactional_db``, a live server)."""
    marker = request.node.get_closest_marker("django_db")
    uses = set(request.fixturenames)
    if marker is None and "db" not in uses:
        return False
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    return not transactional and not uses & {"transactional_db", "live_server"}


@pytest.fixture(autouse=True)
def _as_the_runtime_role(request: pytest.FixtureRequest) -> None:
    """On PostgreSQL with ``DATABASE_RUNTIME_ROLE``, every test in a transaction runs as the
    runtime role (``SET LOCAL ROLE``: the connection stays the owner's, its rights are the
    role's until the test's rollback), so the suite proves the application needs no more.
    Tests that play an attacker holding the owner's rights say so (``table_owner``); tests
    that commit run as the owner, who empties the tables afterwards."""
    if not RUNTIME_ROLE or connection.vendor != "postgresql":
        return
    if request.node.get_closest_marker("table_owner") or not _in_one_transaction(request):
        return
    request.getfixturevalue("db")
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {connection.ops.quote_name(RUNTIME_ROLE)}")


@pytest.fixture
def make_staff(db: None) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        role: Role, *, username: str | None = None, store_group_code: int | None = None
    ) -> User:
        if not Group.objects.exists():
            # A transactional test's flush empties the role groups the migrations made.
            sync_role_groups(django_apps)
        if role is Role.STORE_MANAGER and store_group_code is None:
            store_group_code = 100
        return staff_create(
            username=username or f"{role.value}{next(counter)}",
            role=role,
            password=PASSWORD,
            store_group_code=store_group_code,
            validate=False,
        )

    return make


@pytest.fixture
def agent(make_staff: Callable[..., User]) -> User:
    return make_staff(Role.AGENT, username="alice.agent")


@pytest.fixture
def supervisor(make_staff: Callable[..., User]) -> User:
    return make_staff(Role.SUPERVISOR, username="sam.supervisor")


@pytest.fixture
def store_manager(make_staff: Callable[..., User]) -> User:
    return make_staff(Role.STORE_MANAGER, username="maria.manager", store_group_code=100)


@pytest.fixture
def auditor(make_staff: Callable[..., User]) -> User:
    return make_staff(Role.AUDITOR, username="ari.auditor")


@pytest.fixture
def admin_user(make_staff: Callable[..., User]) -> User:
    return make_staff(Role.ADMIN, username="ada.admin")


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def agent_client(agent: User) -> Client:
    return _logged_in(agent)


@pytest.fixture
def supervisor_client(supervisor: User) -> Client:
    return _logged_in(supervisor)


@pytest.fixture
def store_manager_client(store_manager: User) -> Client:
    return _logged_in(store_manager)


@pytest.fixture
def auditor_client(auditor: User) -> Client:
    return _logged_in(auditor)


@pytest.fixture
def admin_client_(admin_user: User) -> Client:
    return _logged_in(admin_user)


Records = Callable[..., list[AuditRecord]]


@pytest.fixture
def records() -> Records:
    """``records(action, kind=None)``: audit records of ``action`` (intents and outcomes), oldest
    first."""

    def of(action: str, kind: str | None = None) -> list[AuditRecord]:
        found = AuditRecord.objects.filter(action=action).order_by("seq")
        if kind is not None:
            found = found.filter(kind=kind)
        return list(found)

    return of


class UpstreamCall(NamedTuple):
    path: str
    params: dict[str, Any]


class UpstreamCalls(list[UpstreamCall]):
    """Every upstream call the client sent, in order."""

    def paths(self) -> list[str]:
        return [call.path for call in self]

    def to(self, path: str) -> list[dict[str, Any]]:
        """The parameters of each call to ``path``."""
        return [call.params for call in self if call.path == path]


@pytest.fixture
def upstream_calls(monkeypatch: pytest.MonkeyPatch) -> UpstreamCalls:
    """Records each call the client's transport sends (and still sends it)."""
    from portal.paytronix.guard import upstream_closed
    from portal.paytronix.session import Transport

    calls = UpstreamCalls()
    original = Transport.call

    def counting(self: Transport, endpoint: Any, params: Any) -> dict[str, Any]:
        if not upstream_closed():  # inside cached_only() the transport refuses: nothing is sent
            calls.append(UpstreamCall(endpoint.path, dict(params)))
        return original(self, endpoint, params)

    monkeypatch.setattr(Transport, "call", counting)
    return calls


@pytest.fixture
def counted_status_changes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """changeCardStatus requests the sandbox carried out (not only received), per card number."""
    from portal.sandbox.endpoints.registry import ENDPOINTS

    counts: Counter[str] = Counter()
    found = ENDPOINTS["guest/changeCardStatus"]

    def counting(request: Any) -> Any:
        reply = found.handler(request)
        counts[request.text("printedCardNumber")] += 1
        return reply

    monkeypatch.setitem(ENDPOINTS, "guest/changeCardStatus", replace(found, handler=counting))
    return counts


@pytest.fixture
def history_without_references(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox's account history as a merchant may send it if upstream does not keep the
    console's ``posTransactionId``: every transaction's check number is upstream's own."""
    from portal.sandbox.endpoints.registry import ENDPOINTS

    path = "guest/transactionHistoryByAccount"
    found = ENDPOINTS[path]

    def own_numbers(request: Any, handler: Any = found.handler) -> Any:
        reply = handler(request)
        for item in reply.get("transactions", []):
            item["posTransactionNumber"] = str(item["transactionId"])
        return reply

    monkeypatch.setitem(ENDPOINTS, path, replace(found, handler=own_numbers))


@pytest.fixture
def no_account_id_in_card_replies(monkeypatch: pytest.MonkeyPatch) -> None:
    """guest/accountInformation as the spec documents it: without ``accountId``."""
    from portal.sandbox.endpoints.registry import ENDPOINTS

    found = ENDPOINTS["guest/accountInformation"]

    def without_account_id(request: Any) -> Any:
        reply = dict(found.handler(request))
        reply.pop("accountId", None)
        return reply

    monkeypatch.setitem(
        ENDPOINTS, "guest/accountInformation", replace(found, handler=without_account_id)
    )


@pytest.fixture
def figures(capsys: pytest.CaptureFixture[str]) -> Callable[..., None]:
    """``figures(title, **numbers)``: print a proof's figures past pytest's capture."""

    def show(title: str, **numbers: object) -> None:
        with capsys.disabled():
            print(f"\n[proof] {title}")
            for name, value in numbers.items():
                print(f"[proof]   {name.replace('_', ' ')}: {value}")

    return show
