"""python manage.py createstaff USERNAME --role ROLE [--store-group CODE]"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit.types import AuditContext
from portal.staff.roles import Role
from portal.staff.services import staff_change_record, staff_create


class Command(BaseCommand):
    help = "Create a staff user with one role. The password comes from STAFF_PASSWORD or a prompt."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--store-group", type=int, dest="store_group")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("STAFF_PASSWORD") or self._prompt_password()
        try:
            user = staff_create(
                username=options["username"],
                role=Role(options["role"]),
                password=password,
                store_group_code=options["store_group"],
                email=options["email"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        staff_change_record(
            actor=None,
            context=AuditContext.ambient(),
            user=user,
            before=None,
            actor_name="manage.py createstaff",
        )
        self.stdout.write(
            self.style.SUCCESS(f"Created {user.username} ({Role(options['role']).label}).")
        )

    def _prompt_password(self) -> str:
        try:
            first = getpass.getpass("Password: ")
            second = getpass.getpass("Password (again): ")
        except EOFError as exc:
            raise CommandError("No password: set STAFF_PASSWORD or run interactively.") from exc
        if first != second:
            raise CommandError("The passwords do not match.")
        return first
