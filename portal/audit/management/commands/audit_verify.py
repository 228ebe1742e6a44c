"""``python manage.py audit_verify``: walk the audit chain and name the first record that does
not fit (edited, deleted or reordered); given an anchor, also report a truncation (the chain
cut back before the anchored head). Exit status 1 when the chain is broken or truncated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit.anchor import AnchorError, anchor_from_file, anchor_from_redis, anchor_parse
from portal.audit.chain import ChainAnchor, chain_verify


class Command(BaseCommand):
    help = (
        "Check the audit log's hash chain from the first record to the last, and against an "
        "anchor of its head kept outside the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group()
        source.add_argument(
            "--anchor", metavar="SEQ:HASH", help="an anchor copied from the anchor log"
        )
        source.add_argument(
            "--anchor-file",
            metavar="PATH",
            type=Path,
            help="an anchor file (AUDIT_ANCHOR_FILE) or a shipped log with audit-anchor lines: "
            "its highest anchor is used",
        )
        source.add_argument(
            "--anchor-redis",
            action="store_true",
            help="the highest anchor in the Redis stream AUDIT_ANCHOR_REDIS_STREAM",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchor = self._anchor(options)
        report = chain_verify(anchor=anchor)
        if report.broken is not None:
            what = "truncated" if report.broken.truncated else "broken"
            raise CommandError(
                f"Audit chain {what} at {report.broken} "
                f"({report.checked} records before it are intact)."
            )
        if anchor is None:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} records."))
            self.stdout.write(
                "No anchor given: records removed from the end together with the chain head "
                "cannot be seen without one (--anchor-file, --anchor-redis or --anchor)."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} records, reaching the anchor {anchor}."
            )
        )

    def _anchor(self, options: dict[str, Any]) -> ChainAnchor | None:
        try:
            if options["anchor"]:
                return anchor_parse(options["anchor"])
            if options["anchor_file"]:
                return anchor_from_file(options["anchor_file"])
            if options["anchor_redis"]:
                if not settings.AUDIT_ANCHOR_REDIS_URL:
                    raise AnchorError("--anchor-redis needs AUDIT_ANCHOR_REDIS_URL")
                return anchor_from_redis(
                    settings.AUDIT_ANCHOR_REDIS_URL, settings.AUDIT_ANCHOR_REDIS_STREAM
                )
        except AnchorError as exc:
            # Status 2, not 1: the chain was not checked, so nothing is known about it.
            raise CommandError(f"No anchor to check against: {exc}.", returncode=2) from exc
        return None
