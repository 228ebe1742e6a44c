"""``python manage.py runsandbox [--port 8001]``: serve the Paytronix sandbox over HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.sandbox.app import make_app
from portal.sandbox.server import SandboxServer


def release_from(base_url: str) -> str:
    """``https://host/rest/25.33/`` → ``25.33``."""
    parts = [p for p in urlsplit(base_url).path.split("/") if p]
    if len(parts) < 2 or parts[-2] != "rest":
        raise CommandError("PAYTRONIX_BASE_URL must end in /rest/<release>/")
    return parts[-1]


class Command(BaseCommand):
    help = "Serve the Paytronix sandbox with the credentials and release from settings."
    # The sandbox serves no Django view: the portal's checks (URLconf, models) are not its
    # business, and a half-edited portal must not stop it from starting.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port",
            type=int,
            default=getattr(settings, "SANDBOX_PORT", 8001),
            help="TCP port (0: any free port)",
        )
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--seed", type=int, default=None, help="random seed of the data")
        parser.add_argument(
            "--combine-suspend-threshold",
            type=int,
            default=None,
            help="the n-th combine into one account suspends it (default 3)",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="refuse unknown parameters and wrong JSON types (default: log them)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        release = release_from(settings.PAYTRONIX_BASE_URL)
        try:
            app = make_app(
                username=settings.PAYTRONIX_USERNAME,
                secret=settings.PAYTRONIX_SECRET,
                merchant_id=int(settings.PAYTRONIX_MERCHANT_ID),
                release=release,
                seed=options["seed"],
                combine_suspend_threshold=options["combine_suspend_threshold"],
                reply_style=getattr(settings, "SANDBOX_REPLY_STYLE", "nested"),
                without=getattr(settings, "SANDBOX_WITHOUT", ()),
                strict=options["strict"],
            )
        except ValueError as problem:
            raise CommandError(f"SANDBOX_REPLY_STYLE: {problem}") from None
        try:
            server = SandboxServer(app, host=options["host"], port=options["port"])
        except OSError as problem:
            raise CommandError(
                f"cannot listen on {options['host']}:{options['port']}: {problem}"
            ) from None
        self.stdout.write(
            f"Paytronix sandbox on {server.root_url}/rest/{release}/ "
            f"(merchant {app.merchant_id}); Ctrl-C to stop."
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Sandbox stopped.")
