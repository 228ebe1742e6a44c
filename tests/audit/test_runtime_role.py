"""The least-privilege runtime role: the web and worker append and read audit records through
it, and PostgreSQL refuses it every way of changing, removing or unguarding them.

The PostgreSQL tests connect as the role named by DATABASE_RUNTIME_ROLE (CI creates it; the
grants are applied here, by the command the deployment runs)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from portal.audit.chain import chain_append, chain_head, chain_verify
from portal.audit.checks import runtime_role_check
from portal.audit.models import AuditRecord, Kind, Outcome
from portal.audit.runtime_role import runtime_grants
from portal.staff.models import User
from tests.audit.conftest import CARD, intents, outcomes
from tests.conftest import REQUIRE_SERVICES

RunAs = Callable[[], AbstractContextManager[None]]
INSUFFICIENT_PRIVILEGE = "42501"


def _chain(count: int) -> list[AuditRecord]:
    return [
        chain_append(
            kind=Kind.EVENT, action="auth.login", outcome=Outcome.RECORDED, params={"n": n}
        )
        for n in range(count)
    ]


@pytest.fixture
def runtime_role(transactional_db: None) -> Iterator[RunAs]:
    """``with as_runtime(): ...`` runs the block on a connection made as the runtime role."""
    role = os.environ.get("DATABASE_RUNTIME_ROLE", "")
    if not role:
        message = "needs DATABASE_RUNTIME_ROLE, a login role without rights of its own"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    call_command("db_runtime_grants", role=role, apply=True)
    owner = dict(connection.settings_dict)

    @contextmanager
    def as_runtime() -> Iterator[None]:
        connection.close()
        connection.settings_dict.update(USER=role, PASSWORD="")
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict.update(USER=owner["USER"], PASSWORD=owner["PASSWORD"])

    yield as_runtime
    connection.close()
    connection.settings_dict.update(USER=owner["USER"], PASSWORD=owner["PASSWORD"])


@pytest.mark.postgres
def test_the_runtime_role_appends_and_reads_the_chain(runtime_role: RunAs) -> None:
    with runtime_role():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == os.environ["DATABASE_RUNTIME_ROLE"]
        records = _chain(3)  # creates the head row, then moves it forward
        assert AuditRecord.objects.count() == 3

    assert chain_head().seq == 3
    assert chain_head().record_hash == records[-1].record_hash
    assert chain_verify().intact


@pytest.mark.postgres
def test_a_change_goes_through_the_door_as_the_runtime_role(
    runtime_role: RunAs, sandbox: Any, agent: User, disable_card: Callable[..., Any]
) -> None:
    with runtime_role():
        result = disable_card(agent)

    assert result.ok
    assert sandbox.state.card(CARD).status == "DISABLED"
    assert [r.outcome for r in intents() + outcomes()] == [Outcome.PENDING, Outcome.SUCCEEDED]
    assert chain_verify().intact


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("UPDATE audit_auditrecord SET outcome = 'failed'", "permission denied for table"),
        ("DELETE FROM audit_auditrecord", "permission denied for table"),
        ("TRUNCATE audit_auditrecord", "permission denied for table"),
        ("ALTER TABLE audit_auditrecord DISABLE TRIGGER ALL", "must be owner of table"),
        (
            "ALTER TABLE audit_auditrecord DISABLE TRIGGER audit_record_no_update_delete",
            "must be owner of table",
        ),
        ("DROP TABLE audit_auditrecord CASCADE", "must be owner of table"),
        ("SET session_replication_role = replica", "permission denied to set parameter"),
        ("DELETE FROM audit_auditchainhead", "permission denied for table"),
        ("TRUNCATE audit_auditchainhead", "permission denied for table"),
        ("ALTER TABLE audit_auditchainhead DISABLE TRIGGER ALL", "must be owner of table"),
        ("UPDATE audit_auditchainhead SET seq = 1", "only moves forward: #3 to #1"),
        (
            "UPDATE audit_auditchainhead SET seq = seq + 1, last_hash = repeat('f', 64)",
            "must name record #4 that follows it",
        ),
    ],
)
def test_the_runtime_role_cannot_change_remove_or_unguard_audit_records(
    runtime_role: RunAs, sql: str, refusal: str
) -> None:
    records = _chain(3)

    with runtime_role(), connection.cursor() as cursor:
        with pytest.raises(DatabaseError, match=refusal) as refused, transaction.atomic():
            cursor.execute(sql)
        assert refused.value.__cause__ is not None
        assert getattr(refused.value.__cause__, "sqlstate", None) == INSUFFICIENT_PRIVILEGE

    assert AuditRecord.objects.count() == 3
    assert chain_head().record_hash == records[-1].record_hash
    assert chain_verify().intact


@pytest.mark.postgres
def test_a_new_chain_head_must_point_at_the_last_record(runtime_role: RunAs) -> None:
    _chain(2)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM audit_auditchainhead")

    with runtime_role(), connection.cursor() as cursor:
        with pytest.raises(DatabaseError, match="must point at the last record, #2"):
            cursor.execute(
                "INSERT INTO audit_auditchainhead (id, seq, last_hash) VALUES (1, 0, %s)",
                ["0" * 64],
            )
        with pytest.raises(DatabaseError, match="one head, id 1"):
            cursor.execute(
                "INSERT INTO audit_auditchainhead (id, seq, last_hash) VALUES (2, 0, %s)",
                ["0" * 64],
            )
        third = _chain(1)[0]  # the application's own restart of the head is accepted

    assert third.seq == 3
    assert chain_verify().intact


@pytest.mark.postgres
def test_the_deploy_check_warns_of_an_owner_connection_not_of_the_runtime_role(
    runtime_role: RunAs,
) -> None:
    [warning] = runtime_role_check(app_configs=None, databases=["default"])
    assert warning.id == "audit.W001"
    assert ", a superuser, which can switch the audit log's append-only triggers off" in (
        warning.msg
    )

    with runtime_role():
        assert runtime_role_check(app_configs=None, databases=["default"]) == []


@pytest.mark.postgres
def test_the_grants_give_the_audit_tables_only_what_appending_needs(db: None) -> None:
    statements = runtime_grants(role="loyaltydesk_app")

    assert statements[:3] == [
        'GRANT USAGE ON SCHEMA "public" TO "loyaltydesk_app"',
        'REVOKE ALL ON ALL TABLES IN SCHEMA "public" FROM "loyaltydesk_app"',
        'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "public" FROM "loyaltydesk_app"',
    ]
    assert 'GRANT SELECT, INSERT ON "audit_auditrecord" TO "loyaltydesk_app"' in statements
    assert (
        'GRANT SELECT, INSERT, UPDATE ON "audit_auditchainhead" TO "loyaltydesk_app"' in statements
    )
    assert 'GRANT SELECT ON "django_migrations" TO "loyaltydesk_app"' in statements
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON "staff_user" TO "loyaltydesk_app"' in statements
    assert not [s for s in statements if "TRUNCATE" in s or "ALL PRIVILEGES" in s]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("postgres", "role 'postgres' is a superuser: no grant can limit it"),
        ("no_such_role_here", "role 'no_such_role_here' does not exist: create it first"),
    ],
)
def test_grants_are_refused_to_a_role_they_cannot_limit(db: None, role: str, refusal: str) -> None:
    with pytest.raises(CommandError, match=f"No grants applied: {refusal}"):
        call_command("db_runtime_grants", role=role, apply=True)


@pytest.mark.parametrize("role", ['app"; DROP TABLE audit_auditrecord; --', "", "9lives", "a" * 64])
def test_a_role_name_that_is_not_a_plain_identifier_is_refused(db: None, role: str) -> None:
    with pytest.raises(CommandError, match="is not a role name this command takes"):
        call_command("db_runtime_grants", role=role, apply=True)

    assert connection.introspection.table_names().count("audit_auditrecord") == 1


def test_grants_need_postgresql(db: None) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is for other databases")

    with pytest.raises(CommandError, match="No grants made: database roles need PostgreSQL"):
        call_command("db_runtime_grants", role="loyaltydesk_app")


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditrecord SET outcome = 'failed'",
        "DELETE FROM audit_auditrecord",
        "TRUNCATE audit_auditrecord",
        "ALTER TABLE audit_auditrecord DISABLE TRIGGER ALL",
    ],
)
def test_the_suites_tests_run_as_the_runtime_role_and_are_refused_what_it_is_refused(
    sql: str,
) -> None:
    # An ordinary test (tests/conftest.py: _as_the_runtime_role), not this file's fixture.
    role = os.environ.get("DATABASE_RUNTIME_ROLE", "")
    if not role:
        (pytest.fail if REQUIRE_SERVICES else pytest.skip)("needs DATABASE_RUNTIME_ROLE")
    records = _chain(2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == role
        with pytest.raises(DatabaseError) as refused, transaction.atomic():
            cursor.execute(sql)
    assert getattr(refused.value.__cause__, "sqlstate", None) == INSUFFICIENT_PRIVILEGE
    assert [r.record_hash for r in AuditRecord.objects.order_by("seq")] == [
        r.record_hash for r in records
    ]
