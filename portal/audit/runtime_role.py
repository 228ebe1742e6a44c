"""The least-privilege PostgreSQL role the web and the worker connect as.

Migrations run as the tables' owner. The runtime role gets what the application needs and no
more: on every table SELECT, INSERT, UPDATE and DELETE, except the audit tables: audit records
SELECT and INSERT only, the chain head SELECT, INSERT and UPDATE (every append moves it; the
``audit_head_moves_forward`` trigger lets it only move forward, migrations 0004 and 0005), and
``django_migrations`` SELECT only. Never TRUNCATE, REFERENCES or TRIGGER, and it owns nothing,
so it cannot ``ALTER TABLE ... DISABLE TRIGGER`` nor set ``session_replication_role``.

The statements are idempotent (everything is revoked, then granted) and cover the tables that
exist now: run them again after every ``migrate`` that adds a table.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connections, transaction

from portal.audit.models import AuditChainHead, AuditRecord

# Quoting is plain double quotes (Django's quote_name does not escape), so the name is held to
# PostgreSQL's unquoted identifier characters.
_ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")
_TABLE_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
_SPECIAL_RIGHTS = {
    AuditRecord._meta.db_table: "SELECT, INSERT",
    AuditChainHead._meta.db_table: "SELECT, INSERT, UPDATE",
    "django_migrations": "SELECT",
}


class RuntimeRoleError(ValueError):
    """A role the grants must not be given to, or a database that has no roles."""


def runtime_grants(*, role: str, using: str = "default") -> list[str]:
    """The GRANT and REVOKE statements that make ``role`` the runtime role of this database."""
    if not _ROLE_NAME.fullmatch(role):
        raise RuntimeRoleError(
            f"{role!r} is not a role name this command takes: a letter or _ first, then "
            "letters, digits, _ or $, at most 63 characters"
        )
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise RuntimeRoleError(
            f"database roles need PostgreSQL; this database is {connection.vendor}"
        )
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        tables = sorted(
            info.name
            for info in connection.introspection.get_table_list(cursor)
            if info.type == "t"
        )
    who, where = quote(role), quote(schema)
    statements = [
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {where} FROM {who}",
    ]
    statements += [
        f"GRANT {_SPECIAL_RIGHTS.get(table, _TABLE_RIGHTS)} ON {quote(table)} TO {who}"
        for table in tables
    ]
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}")
    return statements


def runtime_grants_apply(*, role: str, using: str = "default") -> list[str]:
    """Check that ``role`` can be held to its grants, then run them in one transaction."""
    statements = runtime_grants(role=role, using=using)
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, pg_has_role(rolname, "
            "(SELECT relowner FROM pg_class WHERE oid = %s::regclass), 'MEMBER')"
            " FROM pg_roles WHERE rolname = %s",
            [AuditRecord._meta.db_table, role],
        )
        row: Any = cursor.fetchone()
        if row is None:
            raise RuntimeRoleError(
                f"role {role!r} does not exist: create it first "
                f"(CREATE ROLE {connection.ops.quote_name(role)} LOGIN PASSWORD '...')"
            )
        superuser, member_of_owner = row
        if superuser:
            raise RuntimeRoleError(f"role {role!r} is a superuser: no grant can limit it")
        if member_of_owner:
            raise RuntimeRoleError(
                f"role {role!r} owns the audit tables (or is a member of their owner): it "
                "would keep the owner's rights, switching triggers off included"
            )
        for statement in statements:
            cursor.execute(statement)
    return statements
