"""What a failed sign-in keeps of the username typed.

People type passwords and card numbers into the username box. What was typed is therefore kept
as typed (in the log, the audit record, django-axes' attempts and so the audit export) only
when it is an existing staff username with no run of card-length digits; anything else is kept
as a keyed hash, the same for the same text, so repeated tries still group and still lock.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.crypto import salted_hmac

UNKNOWN_PREFIX = "unknown:"
# Ten or more digits: a card number (eClub cards have 10), as portal/audit/scrub.py masks them.
_CARD_LENGTH_DIGITS = re.compile(r"\d{10,}")


def typed_username(username: object) -> str:
    """``username`` if a staff user has it (and it holds no card-length digit run), else
    ``unknown:`` and 16 hex digits of an HMAC under ``AUDIT_HASH_KEY``."""
    name = str(username or "")
    if (
        name
        and not _CARD_LENGTH_DIGITS.search(name)
        and get_user_model().objects.filter(username=name).exists()
    ):
        return name
    digest = salted_hmac(
        "portal.staff.login.typed_username",
        name,
        secret=settings.AUDIT_HASH_KEY,
        algorithm="sha256",
    ).hexdigest()
    return UNKNOWN_PREFIX + digest[:16]


def axes_username(request: Any, credentials: dict[str, Any] | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: django-axes stores, locks and signals by this name."""
    if credentials:
        raw = credentials.get("username")
    else:
        raw = getattr(request, "POST", {}).get("username")
    return typed_username(raw) if raw else None
