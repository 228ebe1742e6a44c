"""``python manage.py db_runtime_grants --role NAME [--apply]``: print (or run, as the tables'
owner) the grants of the least-privilege role the web and the worker connect as."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit.runtime_role import RuntimeRoleError, runtime_grants, runtime_grants_apply


class Command(BaseCommand):
    help = (
        "Print the GRANT/REVOKE statements that make ROLE the application's runtime database "
        "role (audit records: SELECT and INSERT only); with --apply, run them. Run as the "
        "tables' owner (MIGRATE_DATABASE_URL), after every migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", required=True, help="the role the web and worker use")
        parser.add_argument("--apply", action="store_true", help="run the statements")
        parser.add_argument("--database", default="default", help="database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        role, using = options["role"], options["database"]
        try:
            if options["apply"]:
                statements = runtime_grants_apply(role=role, using=using)
            else:
                statements = runtime_grants(role=role, using=using)
        except RuntimeRoleError as exc:
            raise CommandError(
                f"No grants {'applied' if options['apply'] else 'made'}: {exc}."
            ) from exc
        for statement in statements:
            self.stdout.write(f"{statement};")
        if options["apply"]:
            self.stdout.write(
                self.style.SUCCESS(f"Applied {len(statements)} statements for role {role}.")
            )
