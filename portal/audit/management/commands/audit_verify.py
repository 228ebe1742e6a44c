"""``python manage.py audit_verify``: walk the audit chain and name the first record that does
not fit (edited, deleted or reordered). Exit status 1 when the chain is broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.audit.chain import chain_verify


class Command(BaseCommand):
    help = "Check the audit log's hash chain from the first record to the last."

    def handle(self, *args: Any, **options: Any) -> None:
        report = chain_verify()
        if report.broken is not None:
            raise CommandError(
                f"Audit chain broken at {report.broken} "
                f"({report.checked} records before it are intact)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} records."))
