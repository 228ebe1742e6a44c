"""Bulk enable and disable from a CSV: validate the whole file, wait for the owner to confirm,
then run one audited change per card as a job (``bulk.card_status``).

The rows live in the database throughout: in the ``BulkUpload`` until the owner confirms, then
in the job's items (whose payload, with the full card number, is emptied as each item ends).
The task receives only the job id. One audit record per card (``card.disable`` /
``card.enable``, each with its own idempotency key per item and attempt) and one for the job.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cards.bulk_file import (
    MAX_REASON_LENGTH,
    NO_ACTION,
    BulkAction,
    mask_card_number,
    parse_bulk_file,
)
from cards.models import BulkUpload
from guests.selectors.reads import card_account_id
from portal.audit.actions import OTHER, action_get
from portal.audit.door import mutation_run
from portal.audit.outcome import outcome_sentence
from portal.audit.types import AuditContext, Reason, Target
from portal.jobs.models import ItemOutcome, Job, JobItem
from portal.jobs.runner import ItemResult, ItemRun
from portal.jobs.services import ItemSpec, job_create
from portal.jobs.settling import intent_of
from portal.paytronix.client import client_from_settings
from portal.paytronix.errors import PaytronixError
from portal.staff.models import User

CARD_ACTIONS = {BulkAction.DISABLE: "card.disable", BulkAction.ENABLE: "card.enable"}


def bulk_upload_create(
    *, owner: User, data: bytes, filename: str, action: BulkAction | None, reason: str
) -> BulkUpload:
    """Read and judge a whole file and keep it for the owner to confirm; nothing runs yet.
    ``action``: for rows that name none (None: every row must name its own).

    Raises ``cards.bulk_file.BulkFileError`` when the file as a whole cannot be used.
    """
    parsed = parse_bulk_file(data, default_action=action, default_reason=reason)
    return BulkUpload.objects.create(
        owner=owner,
        filename=filename[:200],
        action=action.value if action else "",
        reason=reason,
        rows=[
            {
                "line": row.line,
                "card_number": row.card_number,
                "action": row.action.value if row.action else "",
                "reason": row.reason,
                "problem": row.problem,
            }
            for row in parsed.rows
        ],
        row_count=len(parsed.rows),
        bad_row_count=len(parsed.bad),
    )


def bulk_upload_action_choose(*, upload: BulkUpload, action: BulkAction) -> None:
    """Give the rows of ``upload`` that name no action ``action`` (chosen on the review screen
    rather than the upload form), judged again in line order as the upload would have judged
    them with it: a reason too long, or a card repeating an earlier good row's (a duplicate of
    it). Nothing runs. Raises ``ValidationError`` once the upload's job has started (its rows,
    without their full numbers now, cannot change)."""
    with transaction.atomic():
        # Held against a Start at the same moment, which empties the rows of their numbers.
        current = BulkUpload.objects.select_for_update().filter(pk=upload.pk, job__isnull=True)
        locked = current.first()
        if locked is None:
            raise ValidationError("This file's job has started: its rows cannot change.")
        first_line: dict[str, int] = {}
        rows = []
        for row in sorted(locked.rows, key=lambda r: int(r["line"])):
            if row.get("problem") == NO_ACTION:
                row = row | {"action": action.value, "problem": ""}
                # Its own reason, as the upload judged it (the job's, given on the form for rows
                # with none, is not a row's).
                own = str(row.get("reason") or "")
                if own != locked.reason and len(own) > MAX_REASON_LENGTH:
                    row["problem"] = f"Reason too long: at most {MAX_REASON_LENGTH} characters."
            if not row.get("problem"):
                number = str(row["card_number"])
                if number in first_line:
                    row = row | {"problem": f"Duplicate of line {first_line[number]}."}
                else:
                    first_line[number] = int(row["line"])
            rows.append(row)
        locked.rows = rows
        locked.action = action.value
        locked.bad_row_count = sum(1 for row in rows if row.get("problem"))
        locked.save(update_fields=["rows", "action", "bad_row_count"])
    upload.refresh_from_db()


def bulk_uploads_purge(*, now: datetime | None = None) -> int:
    """Delete the uploads nobody started within ``CARDS_UPLOAD_TTL_HOURS``: their rows hold
    full card numbers, which must not wait for a confirm that will never come. Returns how
    many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.CARDS_UPLOAD_TTL_HOURS)
    deleted, _ = BulkUpload.objects.filter(job__isnull=True, created_at__lt=cutoff).delete()
    return int(deleted)


def row_reason(action: BulkAction, text: str) -> Reason:
    """A row's reason as the door takes it: one of the action's reason codes when the text
    names one ("lost", "Suspected fraud"), else "other" with the text."""
    wanted = text.strip().lower().replace(" ", "_")
    for code, label in action_get(CARD_ACTIONS[action]).reason_codes:
        if code != OTHER and wanted in (code, label.lower().replace(" ", "_")):
            return Reason(code=code)
    return Reason(code=OTHER, text=text.strip())


def _item(row: dict[str, Any]) -> ItemSpec:
    action = BulkAction(row["action"])
    masked = mask_card_number(row["card_number"])
    payload: dict[str, Any] = {"card_number": row["card_number"], "action": action.value}
    if str(row.get("reason") or "").strip():
        # A row's own reason stands alone ("found" is "Card found", nothing more).
        reason = row_reason(action, row["reason"])
        payload |= {"reason_code": reason.code, "reason_text": reason.text}
    else:
        # A row that gives none: "other", in the form's words (the job's intent's text, which
        # ``portal.jobs.runner.ItemRun.reason`` takes when the payload holds no text).
        payload["reason_code"] = OTHER
    return ItemSpec(
        label=f"Line {row['line']}: {action.value} card ending {masked}", payload=payload
    )


def _without_numbers(row: dict[str, Any]) -> dict[str, Any]:
    kept = {key: value for key, value in row.items() if key != "card_number"}
    return kept | {"masked": mask_card_number(str(row.get("card_number", "")))}


def bulk_card_status_start(
    *,
    owner: User,
    context: AuditContext,
    upload: BulkUpload,
    skip_bad_rows: bool,
    idempotency_key: str,
) -> Job:
    """Start the job of a confirmed upload; a second confirm gets the same job back.

    Raises ``ValidationError`` when the file has bad rows and the owner did not choose to skip
    them, or when no row is left to run; ``PermissionDenied`` as the door does.
    """
    if upload.job is not None:
        return upload.job
    good = [row for row in upload.rows if not row["problem"]]
    if upload.bad_row_count and not skip_bad_rows:
        raise ValidationError(
            "Some rows have problems: fix the file and upload it again, or choose to skip them."
        )
    if not good:
        raise ValidationError("No row of this file can be run.")
    # Not in one transaction with the upload: a refusal the door records must stay recorded.
    # If saving the upload fails, confirming again finds the same job by its key.
    job = job_create(
        owner=owner,
        kind="bulk.card_status",
        idempotency_key=idempotency_key,
        context=context,
        # What the rows ask, each action counted (a row names its own, which need not be the
        # file's default): the job's record says "disable 2, enable 1", not the default alone.
        params={
            "file": upload.filename,
            **dict(upload.action_counts()),
            "rows": len(good),
            "skipped_rows": upload.bad_row_count,
        },
        items=[_item(row) for row in good],
        reason=Reason(text=upload.reason),
    )
    upload.job = job
    upload.started_at = timezone.now()
    # The full numbers now live in the job's items only.
    upload.rows = [_without_numbers(row) for row in upload.rows]
    upload.save(update_fields=["job", "started_at", "rows"])
    return job


@dataclass(frozen=True)
class CardRead:
    """What a row's write needs of its card, read from upstream before it."""

    target: Target
    #: The card's status as read (``ACTIVE``, ``DISABLED``, ``EXCHANGED``); "" when not read.
    status: str = ""


#: A row whose card upstream does not know.
NOT_FOUND_IN_FILE = (
    "The loyalty system found no card with this number: check its line in the file (a digit "
    "missing, added or swapped)."
)


def _card_read(number: str) -> CardRead:
    """The card, the account it is on and the card's status: the account id makes the door
    drop that guest's cached page, lets the audit's account filter find the record and the
    reconciler settle an unknown outcome; the status says whether the row has anything to do.
    Read fresh from upstream, never from a cache."""
    guest = client_from_settings().guest
    try:
        account = guest.account_identity(printed_card_number=number)
    except PaytronixError:
        # An unknown card, or upstream unreachable: the change itself is still tried and
        # audited by card, and its own answer says what went wrong.
        return CardRead(Target(printed_card_number=number))
    account_id = account.account_id
    if account_id is None:
        # The spec's reply names no account (only the sandbox's does): the card's user does,
        # one read more (and one per account for a user with several). Out of reach: by card.
        with suppress(PaytronixError):
            account_id = card_account_id(
                number, read=lambda one: guest.account_information_by_id(account_id=one)
            )
    target = Target(
        account_id=account_id, printed_card_number=number, username=account.username or ""
    )
    return CardRead(target, account.query_card_status or "")


def bulk_refused_rows(job: Job) -> Iterator[dict[str, Any]]:
    """The lines of the job's file that were refused before it started (the owner chose to
    skip them), as result rows after the items: each with its line, what it was and why."""
    upload = BulkUpload.objects.filter(job=job).first()
    for row in upload.bad_rows() if upload is not None else []:
        masked = str(row.get("masked") or "")
        card = f" card ending {masked}" if any(c.isdigit() for c in masked) else ""
        yield {
            "position": "",
            "item": f"Line {row['line']}: {row.get('action') or 'no action'}{card}",
            "status": "not started",
            "outcome": "refused",
            "message": f"{row['problem']} Skipped when the job was started.",
            "audit_record": "",
        }


def bulk_refused_count(job: Job) -> int:
    """How many lines ``bulk_refused_rows`` lists: counted when the job started."""
    return int(job.params.get("skipped_rows") or 0)


def card_status_ahead(item: JobItem) -> CardRead:
    """Read ahead of a row's write (while the rows before it run): its card's account and
    status."""
    return _card_read(str(item.payload["card_number"]))


def card_status_item(run: ItemRun) -> ItemResult:
    """One row of a bulk job: ``changeCardStatus`` through the door, audited per card. The
    card's account was read ahead (``card_status_ahead``) when the job runs rows at once. A card
    read as already in the status the row asks for is left alone: nothing is sent, so nothing
    is changed or audited, and the row says so; but not an attempt that was sent already (its
    worker stopped, or another is still on it: the door answers how that went)."""
    payload = run.item.payload
    number = str(payload["card_number"])
    action = BulkAction(payload["action"])
    status = action.upstream_status
    # The read ahead serves the first attempt; a retry reads the account again (the first
    # read may be what failed, and the row's record should name its account).
    ahead = run.prepared if run.attempt == 1 else None
    card = ahead() if ahead is not None else _card_read(number)
    if card.status == status and intent_of(run.idempotency_key) is None:
        return ItemResult(
            ItemOutcome.UNCHANGED,
            f"Card ending {mask_card_number(number)} was already {action.value}d: nothing sent.",
        )
    result = mutation_run(
        actor=run.actor,
        action=CARD_ACTIONS[action],
        target=card.target,
        params={"printedCardNumber": number, "status": status},
        reason=run.reason,
        idempotency_key=run.idempotency_key,
        context=run.context,
        job_id=run.job.pk,
        retry_of=run.retry_of,
        call=lambda client: client.guest.change_card_status(
            printed_card_number=number, status=status
        ),
    )
    if result.ok:
        message = f"Card ending {mask_card_number(number)} {action.value}d."
    elif result.error_code == "card_status.invalid_card":
        # Said for a file, not for a guest on the phone with the card in hand.
        message = NOT_FOUND_IN_FILE
    else:
        message = outcome_sentence(result)
    return ItemResult.from_mutation(result, message=message)
