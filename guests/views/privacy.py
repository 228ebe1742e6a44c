"""The password reset email and the privacy deletion, each on a screen of its own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from guests.profile_forms import PasswordResetForm
from guests.selectors.optional import GUEST_MANAGEMENT
from guests.selectors.profile import GuestProfile
from guests.services.password import RESET_WINDOW, password_reset_send, password_resets_sent
from guests.views.profile import (
    answer_change,
    guest_page_url,
    profile_of,
    profile_screen,
    service_unavailable,
)
from portal.audit.personal import email_mask
from portal.staff.access import requires
from portal.web import HtmxHttpRequest, form_response, submission_of

RESET_TEMPLATE = "guests/profile/password_reset.html"


def _reset_context(profile: GuestProfile, form: PasswordResetForm) -> dict[str, Any]:
    sent = password_resets_sent(account_id=profile.account_id, since=timezone.now() - RESET_WINDOW)
    return {
        "profile": profile,
        "form": form,
        "email_masked": email_mask(profile.email) if profile.email else "",
        "sent_last_hour": len(sent),
        "limit": settings.GUESTS_PASSWORD_RESETS_PER_HOUR,
    }


@require_GET
@requires("lookup_guests", "send_password_reset")
@profile_screen
def password_reset_form(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """Where the reset email would go (masked), how many were sent this hour, and the reason."""
    if (off := service_unavailable(request, account_id, GUEST_MANAGEMENT)) is not None:
        return off
    profile = profile_of(request, account_id)
    return render(request, RESET_TEMPLATE, _reset_context(profile, PasswordResetForm()))


@require_POST
@requires("lookup_guests", "send_password_reset")
@profile_screen
def password_reset_submit(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    if (off := service_unavailable(request, account_id, GUEST_MANAGEMENT)) is not None:
        return off
    form = PasswordResetForm(request.POST)
    context = _reset_context(profile_of(request, account_id), form)
    if not form.is_valid():
        return form_response(request, RESET_TEMPLATE, context, status=422)
    fresh = profile_of(request, account_id, fresh=True)
    return answer_change(
        request,
        RESET_TEMPLATE,
        context,
        form,
        lambda: password_reset_send(submission_of(request, form), profile=fresh),
        done_url=guest_page_url(account_id),
    )
