"""Create one demo staff user per role (DEMO_MODE only) and print how to log in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.staff.models import User
from portal.staff.roles import Role
from portal.staff.services import staff_create

DEMO_PASSWORD = "loyalty-desk-demo"  # noqa: S105  (printed on purpose: demo mode only)
DEMO_STORE_GROUP = 100


class Command(BaseCommand):
    help = "Create demo staff users, one per role (only when DEMO_MODE is on)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("DEMO_MODE is off: demo users are never created in production.")
        self.stdout.write(f"Demo staff users (password for all: {DEMO_PASSWORD}):")
        for role in Role:
            username = role.value.replace("_", "")
            if not User.objects.filter(username=username).exists():
                staff_create(
                    username=username,
                    role=role,
                    password=DEMO_PASSWORD,
                    store_group_code=DEMO_STORE_GROUP if role is Role.STORE_MANAGER else None,
                    validate=False,
                )
            self.stdout.write(f"  {username:<14} {role.label}")
