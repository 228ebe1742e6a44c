"""Anchors: the audit chain's head, written where the application's database role cannot
rewrite it, so that ``audit_verify`` can tell a chain cut back (its newest records and the head
removed) from one that simply has fewer records.

An anchor is one JSON line, ``{"seq": 1234, "hash": "<64 hex>", "at": "<UTC time>", "trigger":
"interval"}``. It is published every ``AUDIT_ANCHOR_INTERVAL`` seconds by Celery beat and after
every ``AUDIT_ANCHOR_EVERY``-th record, to:

* the ``portal.audit.anchor`` logger, always, as ``audit-anchor {...}`` (production ships this
  logger's lines to a log store the application cannot write back to);
* the file ``AUDIT_ANCHOR_FILE``, if set, appended to (make it append-only: ``chattr +a``);
* the Redis stream ``AUDIT_ANCHOR_REDIS_STREAM`` at ``AUDIT_ANCHOR_REDIS_URL``, if set (give the
  application a Redis user that may only ``XADD`` to it).

Reading anchors back takes the one with the highest position: a head that moved back shows up
as anchors going down, and the highest one is what the chain must still reach.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from portal.audit.chain import ChainAnchor, chain_head

logger = logging.getLogger("portal.audit.anchor")

_MARKER = "audit-anchor "
_HASH = re.compile(r"[0-9a-f]{64}")
_REDIS_TIMEOUT = 2.0
_REDIS_PAGE = 1000


class AnchorError(ValueError):
    """An anchor that cannot be read: malformed, missing, or its source unreachable."""


def anchor_line(anchor: ChainAnchor, *, trigger: str, at: datetime | None = None) -> str:
    """The JSON line that records ``anchor`` (the same in the log, the file and the stream)."""
    when = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    return json.dumps(
        {"seq": anchor.seq, "hash": anchor.record_hash, "at": when, "trigger": trigger},
        separators=(",", ":"),
    )


def anchor_publish(anchor: ChainAnchor, trigger: str) -> list[str]:
    """Write ``anchor`` to every configured sink. A sink that fails is logged on the anchor
    logger and named in the list returned; the others are still written."""
    line = anchor_line(anchor, trigger=trigger)
    logger.info("%s%s", _MARKER, line)
    failed = []
    if settings.AUDIT_ANCHOR_FILE:
        try:
            _file_append(Path(settings.AUDIT_ANCHOR_FILE), line)
        except OSError as exc:
            failed.append(f"file {settings.AUDIT_ANCHOR_FILE}: {exc}")
    if settings.AUDIT_ANCHOR_REDIS_URL:
        try:
            _redis_client(settings.AUDIT_ANCHOR_REDIS_URL).xadd(
                settings.AUDIT_ANCHOR_REDIS_STREAM, json.loads(line)
            )
        except Exception as exc:  # any client fault: the log line above still holds the anchor
            failed.append(f"Redis stream {settings.AUDIT_ANCHOR_REDIS_STREAM}: {exc}")
    for failure in failed:
        logger.error("audit anchor %s not written to %s", anchor, failure)
    return failed


def anchor_publish_head(trigger: str = "interval") -> list[str]:
    """Anchor the committed head as it is now (the periodic anchor)."""
    return anchor_publish(chain_head(), trigger)


def _file_append(path: Path, line: str) -> None:
    # O_APPEND: lines from several processes never interleave, and the open does not need (or
    # get, on a file marked append-only) the right to rewrite what is already there.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=_REDIS_TIMEOUT, socket_connect_timeout=_REDIS_TIMEOUT
    )


def anchor_parse(text: str) -> ChainAnchor:
    """``SEQ:HASH`` as given on the command line."""
    seq, sep, record_hash = text.strip().partition(":")
    if not sep:
        raise AnchorError(f"give the anchor as SEQ:HASH, e.g. 1234:9f2c…, not {text!r}")
    return _anchor(seq, record_hash.lower(), source="")


def _anchor(seq: Any, record_hash: Any, *, source: str) -> ChainAnchor:
    where = f" in {source}" if source else ""
    try:
        number = int(seq)
    except (TypeError, ValueError):
        raise AnchorError(f"an anchor's position must be a number, not {seq!r}{where}") from None
    if number < 0:
        raise AnchorError(f"an anchor's position cannot be negative ({number}){where}")
    if not isinstance(record_hash, str) or not _HASH.fullmatch(record_hash):
        raise AnchorError(f"an anchor's hash must be 64 hexadecimal digits{where}")
    return ChainAnchor(number, record_hash)


def _highest(anchors: Iterable[ChainAnchor], *, source: str) -> ChainAnchor:
    best: ChainAnchor | None = None
    for anchor in anchors:
        # Strictly higher: of two anchors at one position the first, written before any
        # rewrite of that record, is the one to hold the chain to.
        if best is None or anchor.seq > best.seq:
            best = anchor
    if best is None:
        raise AnchorError(f"no audit anchor found in {source}")
    return best


def _line_anchor(line: str, *, source: str) -> ChainAnchor | None:
    """The anchor on one line of an anchor file or a shipped log, or None for another line."""
    start = line.find(_MARKER)
    text = line[start + len(_MARKER) :] if start >= 0 else line
    text = text.strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or "seq" not in data or "hash" not in data:
        return None
    return _anchor(data["seq"], data["hash"], source=source)


def anchor_from_file(path: Path) -> ChainAnchor:
    """The highest anchor in an anchor file or a log file holding ``audit-anchor`` lines."""
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            anchors = (a for line in lines if (a := _line_anchor(line, source=str(path))))
            return _highest(anchors, source=str(path))
    except OSError as exc:
        raise AnchorError(f"cannot read the anchor file {path}: {exc.strerror}") from exc


def anchor_from_redis(url: str, stream: str) -> ChainAnchor:
    """The highest anchor in the Redis stream."""
    import redis

    try:
        return _highest(
            _stream_anchors(_redis_client(url), stream), source=f"the Redis stream {stream}"
        )
    except redis.RedisError as exc:
        raise AnchorError(f"cannot read the Redis stream {stream}: {exc}") from exc


def _stream_anchors(client: Any, stream: str) -> Iterator[ChainAnchor]:
    start = "-"
    while page := client.xrange(stream, min=start, count=_REDIS_PAGE):
        for _entry_id, fields in page:
            data = {key.decode(): value.decode() for key, value in fields.items()}
            yield _anchor(data.get("seq"), data.get("hash"), source=stream)
        start = "(" + page[-1][0].decode()
