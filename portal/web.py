"""What every web view shares: the request as views see it, the staff user, the audit context,
and how upstream trouble, a form with errors and the end of a change are answered.

Services and selectors never see a request: a view builds the ``AuditContext`` once
(``audit_context``) and passes the staff user and that context on.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget
from django_htmx.middleware import HtmxDetails

from portal.audit.forms import ChangeForm
from portal.audit.types import AuditContext, Submission
from portal.paytronix.errors import FailureError, InvalidStatusError, PaytronixError
from portal.sentences import NotShownError, explain
from portal.staff.models import User

if TYPE_CHECKING:
    from portal.audit.outcome import ChangeOutcome

UPSTREAM_TROUBLE_TEMPLATE = "upstream_trouble.html"

ViewFunc = Callable[..., HttpResponse]


class HtmxHttpRequest(HttpRequest):
    """An ``HttpRequest`` that went through ``HtmxMiddleware`` (every request does)."""

    htmx: HtmxDetails


def viewer_of(request: HttpRequest) -> User:
    """The logged-in staff user (every view that asks is behind an access policy)."""
    user = request.user
    assert isinstance(user, User)
    return user


def audit_context(request: HttpRequest) -> AuditContext:
    """Where a change came from, for the audit records the services write."""
    return AuditContext(
        ip=str(request.META.get("REMOTE_ADDR", ""))[:45],
        user_agent=request.headers.get("User-Agent", "")[:300],
        request_id=str(getattr(request, "request_id", "") or AuditContext.ambient().request_id)[
            :64
        ],
    )


def submission_of(request: HttpRequest, form: ChangeForm) -> Submission:
    """What a valid change form asks for, as the services take it."""
    return Submission(
        actor=viewer_of(request),
        context=audit_context(request),
        reason=form.reason(),
        idempotency_key=form.cleaned_data["idempotency_key"],
    )


def upstream_trouble(
    request: HtmxHttpRequest, error: PaytronixError, *, title: str = ""
) -> HttpResponse:
    """Upstream could not answer a read the page needs: the sentence and a retry (503).

    For htmx, which swaps only 2xx answers, the sentence takes the page's main content (the
    place of a form is too small for it), and "Try again" reloads the page the CSR was on.
    """
    context = {"error": explain(error), "title": title, "retry_url": request.get_full_path()}
    if not request.htmx:
        return render(request, UPSTREAM_TROUBLE_TEMPLATE, context, status=503)
    context["retry_url"] = request.htmx.current_url_abs_path or request.get_full_path()
    response = render(request, f"{UPSTREAM_TROUBLE_TEMPLATE}#problem", context)
    return reswap(retarget(response, "#main"), "innerHTML")


def upstream_errors(*, title: str) -> Callable[[ViewFunc], ViewFunc]:
    """What a view reads may not be there or may not come: one answer for every view.

    Something the viewer may not see, or that upstream says does not exist (or cannot be shown
    in its status), is a 404 with its sentence; any other upstream trouble is the
    ``upstream_trouble`` page under ``title``, never a stack trace. A change itself never
    raises upstream errors: the door turns them into its outcome.
    """

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except NotShownError as error:
                raise Http404(error.sentence) from None
            except (FailureError, InvalidStatusError) as error:
                raise Http404(explain(error)) from None
            except PaytronixError as error:
                return upstream_trouble(request, error, title=title)

        return wrapped

    return decorate


def redirect_after_change(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """After a change: a full navigation (htmx or not), so the result is a GET of its own."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url, status=303)


def form_response(
    request: HtmxHttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """The form again, with its errors. A plain POST keeps ``status`` (422, 409...); an htmx
    one gets the form fragment with 200, because htmx 2 swaps no 4xx or 5xx answer and the
    CSR would see nothing happen."""
    if request.htmx:
        return render(request, f"{template}#form", context)
    return render(request, template, context, status=status)


def change_refused(
    request: HtmxHttpRequest, template: str, context: dict[str, Any], refusal: ValidationError
) -> HttpResponse:
    """The door refused the change before sending it (a reason missing, a form reused)."""
    context["error"] = " ".join(refusal.messages)
    return form_response(request, template, context, status=422)


def change_answer(
    request: HtmxHttpRequest,
    template: str,
    context: dict[str, Any],
    form: ChangeForm,
    result: ChangeOutcome,
    *,
    done_url: str,
) -> HttpResponse:
    """After a change on a screen of its own: done, a message and a redirect to ``done_url``
    (a GET of its own); otherwise the form with the sentence. A failed change may be tried
    again (a new key); one whose outcome is unknown or still pending keeps its key, so
    submitting again settles it rather than sending it twice."""
    if result.ok:
        messages.success(request, result.message)
        return redirect_after_change(request, done_url)
    if result.account_suspended:
        # Answered, and nothing to try again: the guest's page now shows the suspended account.
        messages.warning(request, result.message)
        return redirect_after_change(request, done_url)
    if result.failed:
        form.renew_key()
    context["error"] = result.message
    return form_response(request, template, context)
