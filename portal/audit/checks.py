"""``manage.py check --deploy --database default`` warns when the application connects to
PostgreSQL with rights over the audit tables that no trigger can hold back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.db import connections

from portal.audit.models import AuditRecord


@checks.register(checks.Tags.security, deploy=True)
def runtime_role_check(
    *, app_configs: Sequence[AppConfig] | None, databases: Sequence[str] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """A superuser or the audit tables' owner (or a member of it) can switch the append-only
    triggers off; the web, the worker and beat should connect as the runtime role instead."""
    warnings: list[checks.CheckMessage] = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, rolsuper, pg_has_role(current_user, c.relowner, 'MEMBER')"
                " FROM pg_roles, pg_class c"
                " WHERE rolname = current_user AND c.oid = to_regclass(%s)",
                [AuditRecord._meta.db_table],
            )
            row = cursor.fetchone()
        if row is not None and (row[1] or row[2]):
            rights = "a superuser" if row[1] else "the audit tables' owner"
            warnings.append(
                checks.Warning(
                    f"Database {alias!r} is used as {row[0]}, {rights}, which can switch the "
                    "audit log's append-only triggers off.",
                    hint="Connect the web, the worker and beat as a least-privilege role "
                    "(manage.py db_runtime_grants; README, Security: database roles).",
                    id="audit.W001",
                )
            )
    return warnings
