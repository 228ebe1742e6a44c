"""The password reset email and the privacy deletion, each a profile screen of its own
(``guests.views.profile.ProfileScreen``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from guests.profile_forms import DeletionRequestForm, PasswordResetForm
from guests.selectors.optional import ENROLLMENT, GUEST_MANAGEMENT
from guests.selectors.privacy import deletion_preview, deletion_waiting
from guests.selectors.profile import GuestProfile
from guests.services.password import (
    RESET_WINDOW,
    password_reset_limit_reached,
    password_reset_send,
    password_resets_sent,
)
from guests.services.privacy import guest_deletion_request
from guests.views.profile import ProfileScreen, screen_views
from portal.audit.personal import email_mask


def _reset_shows(profile: GuestProfile) -> dict[str, Any]:
    sent = password_resets_sent(account_id=profile.account_id, since=timezone.now() - RESET_WINDOW)
    return {
        "email_masked": email_mask(profile.email) if profile.email else "",
        "sent_last_hour": len(sent),
        "limit": settings.GUESTS_PASSWORD_RESETS_PER_HOUR,
        # Said instead of a Send button that could only be refused.
        "limit_reached": password_reset_limit_reached(sent),
    }


RESET = ProfileScreen(
    template="guests/profile/password_reset.html",
    service=GUEST_MANAGEMENT,
    form=lambda profile, data: PasswordResetForm(data),
    make=lambda submission, fresh, form: password_reset_send(submission, profile=fresh),
    shows=_reset_shows,
)
DELETION = ProfileScreen(
    template="guests/profile/delete.html",
    service=ENROLLMENT,
    form=lambda profile, data: DeletionRequestForm(data, account_id=profile.account_id),
    make=lambda submission, fresh, form: guest_deletion_request(submission, profile=fresh),
    shows=lambda profile: {
        "items": deletion_preview(profile),
        "waiting": deletion_waiting(account_id=profile.account_id),
    },
)


password_reset_form, password_reset_submit = screen_views(
    lambda: RESET, "send_password_reset", "password_reset"
)
deletion_form, deletion_submit = screen_views(
    lambda: DELETION, "request_privacy_deletion", "deletion"
)
