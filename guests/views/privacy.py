"""The password reset email and the privacy deletion, each on a screen of its own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from guests.profile_forms import DeletionRequestForm, PasswordResetForm
from guests.selectors.optional import ENROLLMENT, GUEST_MANAGEMENT
from guests.selectors.privacy import deletion_preview, deletion_waiting
from guests.selectors.profile import GuestProfile
from guests.services.password import RESET_WINDOW, password_reset_send, password_resets_sent
from guests.services.privacy import guest_deletion_request
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
DELETION = "guests/profile/delete.html"


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


def _deletion_context(profile: GuestProfile, form: DeletionRequestForm) -> dict[str, Any]:
    return {
        "profile": profile,
        "form": form,
        "items": deletion_preview(profile),
        "waiting": deletion_waiting(account_id=profile.account_id),
    }


@require_GET
@requires("lookup_guests", "request_privacy_deletion")
@profile_screen
def deletion_form(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """Exactly what will be deleted, the identity checklist, the typed confirmation."""
    if (off := service_unavailable(request, account_id, ENROLLMENT)) is not None:
        return off
    profile = profile_of(request, account_id)
    form = DeletionRequestForm(account_id=account_id)
    return render(request, DELETION, _deletion_context(profile, form))


@require_POST
@requires("lookup_guests", "request_privacy_deletion")
@profile_screen
def deletion_submit(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    if (off := service_unavailable(request, account_id, ENROLLMENT)) is not None:
        return off
    form = DeletionRequestForm(request.POST, account_id=account_id)
    context = _deletion_context(profile_of(request, account_id), form)
    if not form.is_valid():
        return form_response(request, DELETION, context, status=422)
    fresh = profile_of(request, account_id, fresh=True)
    return answer_change(
        request,
        DELETION,
        context,
        form,
        lambda: guest_deletion_request(submission_of(request, form), profile=fresh),
        done_url=guest_page_url(account_id),
    )
