"""The guest page: the whole page, one panel (htmx, retry, polling), history, comments.

One template (``guests/guest.html``) holds every panel as an inline partial. The page view
renders all of it; the panel view renders ``#panel-<name>`` (or just its ``#<name>-body`` for
the pending-change poll) when htmx asks, and the whole page otherwise, so every panel URL also
works as a plain link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial, wraps
from typing import Any

from django import forms as django_forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_htmx.http import push_url, reswap, retarget, trigger_client_event

from guests.forms import (
    HistoryFilterForm,
    LanguageForm,
    MessageFrequencyForm,
    NoteForm,
    ReferralCodeCheckForm,
    ReferralCodeCreateForm,
    ReferralsAddForm,
    UsernameMigrateForm,
    VisitCodeCheckForm,
)
from guests.hooks import account_actions, card_actions
from guests.pending import (
    pending_cache_entry,
    pending_listed,
    pending_settle,
    pending_sources,
)
from guests.selectors import (
    PANELS,
    GuestNotFoundError,
    GuestPage,
    GuestUnavailableError,
    guest_page,
    transaction_comments,
)
from guests.selectors.load import combined_into, unavailable_guest_name
from guests.selectors.optional import found_missing_entries
from guests.selectors.profile import own_field_values
from portal.approvals.models import ApprovalRequest
from portal.approvals.selectors import open_requests_entries, open_requests_of_account
from portal.guestcache import guest_cache_version_entries
from portal.paytronix.errors import PaytronixError
from portal.redis_cache import looked_up_together
from portal.sentences import explain
from portal.staff.access import requires, user_may
from portal.web import HtmxHttpRequest, viewer_of

GUEST_TEMPLATE = "guests/guest.html"
PROBLEM_TEMPLATE = "guests/guest_problem.html"

#: Panels whose data has its own ``#<name>-body`` partial (those a pending change polls).
BODY_PANELS = frozenset({"header", "wallets", "referrals", "notes"})


#: The event that has the page's summary ("At a glance") drawn again: a panel redrawn on its
#: own after a change, or once a pending change shows, leaves it saying what was before.
SUMMARY_STALE = "guestChanged"


#: The summary, drawn on its own when ``SUMMARY_STALE`` asks (``panel``): it reads only what
#: it shows, not every panel's data.
SUMMARY = "summary"


def summary_stale(response: HttpResponse) -> HttpResponse:
    """``response`` (a panel drawn for htmx) with the summary asked to draw itself again."""
    return trigger_client_event(response, SUMMARY_STALE)


def _fragment(request: HtmxHttpRequest, panel: str) -> str:
    """The partial a panel request asks for: ``?part=body`` where the panel has one (any
    other panel answers with the whole panel rather than a partial that does not exist)."""
    if panel in BODY_PANELS and request.GET.get("part") == "body":
        return f"{panel}-body"
    return f"panel-{panel}"


#: The rarely used forms, drawn only when opened (``?open=<drawer>``, a real link; htmx asks
#: for the panel with it): each drawer and the page forms it holds. A drawer whose form comes
#: back (with errors, or as typed after a refusal) stays open.
DRAWERS: dict[str, tuple[str, ...]] = {
    "preferences": ("frequency", "language", "username"),
    "refer": ("referrals",),
    "referral-check": ("referral_check",),
    "visit": ("visit_check", "visit_apply"),
}


def opened_drawers(request: HtmxHttpRequest, given: Iterable[str]) -> frozenset[str]:
    """The drawers to draw open: those the request asks for and those holding ``given`` forms."""
    asked = {name for name in request.GET.getlist("open") if name in DRAWERS}
    held = {drawer for drawer, names in DRAWERS.items() if set(names) & set(given)}
    return frozenset(asked | held)


def adjust_opened(request: HtmxHttpRequest) -> int | None:
    """The wallet whose adjustment form is drawn open (``?open=adjust-<wallet code>``: the
    cards app's form, which the wallets panel loads into its drawer)."""
    for name in request.GET.getlist("open"):
        code = name.removeprefix("adjust-")
        if code != name and code.isdigit():
            return int(code)
    return None


class PageForms(Mapping[str, django_forms.Form]):
    """The page's change forms, each built (unbound, with a fresh idempotency key) the first
    time the template asks for it: a panel drawn without its forms, or a form drawn only when
    opened, costs nothing here. ``given`` forms (bound with errors, or fresh after a change)
    take the place of the blank ones they name."""

    def __init__(self, page: GuestPage, given: Mapping[str, django_forms.Form]) -> None:
        self._page = page
        self._built: dict[str, django_forms.Form] = dict(given)

    def _blank(self, name: str) -> django_forms.Form:
        page = self._page
        match name:
            case "frequency":
                code = page.message_frequency_code
                return MessageFrequencyForm(initial={"preference": code, "shown": code})
            case "language":
                code = page.language_code
                return LanguageForm(initial={"language_code": code, "shown": code})
            case "username":
                return UsernameMigrateForm(initial={"email": page.email})
            case "referrals":
                return ReferralsAddForm()
            case "referral_code":
                return ReferralCodeCreateForm()
            case "referral_check":
                return ReferralCodeCheckForm()
            case "visit_check":
                return VisitCodeCheckForm()
            case "note":
                return NoteForm()
        raise KeyError(name)

    def __getitem__(self, name: str) -> django_forms.Form:
        form = self._built.get(name)
        if form is None:
            form = self._built[name] = self._blank(name)
        return form

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*BLANK_FORMS, *self._built]))

    def __len__(self) -> int:
        return len(set(BLANK_FORMS) | set(self._built))


#: The change forms every guest page can show (``PageForms`` builds them when drawn).
BLANK_FORMS = (
    "frequency",
    "language",
    "username",
    "referrals",
    "referral_code",
    "referral_check",
    "visit_check",
    "note",
)


def guest_context(
    request: HtmxHttpRequest,
    account_id: int,
    *,
    panels: Iterable[str] = PANELS,
    history_form: HistoryFilterForm | None = None,
    ask_again: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """Load ``panels`` of the guest page for this request and build the template context.

    ``ask_again``: a panel asked for on its own (a retry, a poll) asks upstream again for a
    source that failed a moment ago. ``extra`` goes into the context as is; a ``forms`` entry
    replaces those of the blank forms it names (a bound form with errors, or a fresh one after
    a change); ``open_forms`` names forms whose drawer stays open (the one a change was just
    made from).
    """
    wanted = list(panels)
    history_form = history_form or HistoryFilterForm(request.GET or None)
    # The summary (drawn with the whole page) lists the account's open approval requests; the
    # header says whether a deletion of the guest waits among them. Read while upstream answers.
    with_approvals = set(wanted) == set(PANELS) or bool({"header", SUMMARY} & set(wanted))
    open_approvals: list[ApprovalRequest] = []

    store_scoped = viewer_of(request).is_store_scoped

    def meanwhile() -> None:
        if with_approvals:
            listed = open_requests_of_account(account_id)
            if store_scoped:
                # A request listed because it touches this account acts on another one, which
                # may be outside a store manager's group: theirs are this account's own.
                listed = [r for r in listed if r.account_id == account_id]
            open_approvals.extend(listed)

    # What the page reads of the cache in four places (the last while upstream answers), read
    # in one round trip.
    with looked_up_together(
        [
            pending_cache_entry(account_id),
            *guest_cache_version_entries(account_id=account_id),
            *found_missing_entries(),
            *(open_requests_entries(account_id) if with_approvals else ()),
        ]
    ):
        page = guest_page(
            viewer=viewer_of(request),
            account_id=account_id,
            panels=wanted,
            history=history_form.history_query(),
            fresh=pending_sources(account_id=account_id, panels=wanted),
            ask_again=ask_again,
            meanwhile=meanwhile,
        )
    if wanted == [SUMMARY]:
        pending = pending_listed(account_id)
    else:
        pending = pending_settle(page=page, panels=wanted)
    given = extra.pop("forms", {})
    opened = opened_drawers(request, [*given, *extra.pop("open_forms", ())])
    page_forms = PageForms(page, given)
    return {
        "account_id": account_id,
        "page": page,
        "card_rows": [(card, card_actions(request, page, card)) for card in page.cards],
        "other_accounts": [
            (other, [(card, card_actions(request, page, card)) for card in other.cards])
            for other in page.other_accounts
        ],
        "account_actions": account_actions(request, page),
        "pending": pending,
        "pending_shown": any(changes.listed for changes in pending.values()),
        "forms": page_forms,
        "opened": opened,
        "adjust_open": adjust_opened(request),
        "history_form": history_form,
        "open_approvals": open_approvals,
        "may_approve": user_may(request.user, "approve_requests"),
        # The history's times are in it: named once, as set ("UTC", "America/New_York"),
        # not by today's abbreviation (a January row is EST under a July "EDT").
        "time_zone_name": timezone.get_current_timezone_name(),
        # The program's own fields the guest has a value in (their labels may take a read of
        # the program's enrollmentConfig): asked for only where the profile is drawn.
        "own_fields": partial(own_field_values, page.account, page.user_fields),
        "results": {},
        **extra,
    }


def _problem(
    request: HtmxHttpRequest, account_id: int, error: Exception, panel: str
) -> HttpResponse:
    unavailable: dict[str, str | int | None] = {}
    if isinstance(error, GuestNotFoundError):
        title, message, status = "Guest not found", _not_found_sentence(request, account_id), 404
    elif isinstance(error, GuestUnavailableError):
        title, message, status = "This account cannot be shown", error.sentence, 200
        viewer = viewer_of(request)
        unavailable = {
            "name": unavailable_guest_name(viewer=viewer, account_id=account_id),
            "account_status": error.account_status,
            "card_status": error.card_status,
            "combined_into": combined_into(viewer=viewer, account_id=account_id),
        }
    else:
        assert isinstance(error, PaytronixError)
        title, message, status = "The guest could not be loaded", explain(error), 503
    context = {
        "account_id": account_id,
        "title": title,
        "message": message,
        "panel": panel,
        "fragment_id": _fragment(request, panel),
        "retry_url": request.get_full_path() if panel else "",
        "retry": status == 503,
        "unavailable": unavailable,
    }
    if not request.htmx:
        return render(request, PROBLEM_TEMPLATE, context, status=status)
    # htmx swaps only 2xx answers: the fragment takes the panel's place (keeping its id, so
    # its retry works) or, for a change posted from a panel, the page's main content.
    response = render(request, f"{PROBLEM_TEMPLATE}#problem", context)
    if panel == SUMMARY:
        # The summary drawing itself again (``SUMMARY_STALE``): it stays as it was, and the
        # next page load says what is wrong.
        return reswap(response, "none")
    if not panel:
        response = reswap(retarget(response, "#main"), "innerHTML")
    return response


def _not_found_sentence(request: HtmxHttpRequest, account_id: int) -> str:
    viewer = viewer_of(request)
    if viewer.is_store_scoped:
        return f"No guest with account id {account_id} in your store group."
    return f"No guest with account id {account_id}."


ViewFunc = Callable[..., HttpResponse]


def guest_errors(view: ViewFunc) -> ViewFunc:
    """Turn "no such guest", "cannot be shown" and upstream trouble into a page (or, for an
    htmx panel request, a fragment in the panel's place)."""

    @wraps(view)
    def wrapped(
        request: HtmxHttpRequest, account_id: int, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        try:
            return view(request, account_id, *args, **kwargs)
        except (GuestNotFoundError, GuestUnavailableError, PaytronixError) as error:
            return _problem(request, account_id, error, str(kwargs.get("panel", "")))

    return wrapped


@require_GET
@requires("lookup_guests")
@guest_errors
def guest(request: HtmxHttpRequest, account_id: int) -> HttpResponse:
    """The guest page; the history filters come from the query string."""
    return render(request, GUEST_TEMPLATE, guest_context(request, account_id))


@require_GET
@requires("lookup_guests")
@guest_errors
def panel(request: HtmxHttpRequest, account_id: int, panel: str) -> HttpResponse:
    """One panel for htmx (``?part=body``: only its data, for the pending-change poll); the
    whole page, with this panel's parameters, for a plain request."""
    if panel not in PANELS and panel != SUMMARY:
        raise Http404("No such panel")
    if not request.htmx:
        return render(request, GUEST_TEMPLATE, guest_context(request, account_id))
    context = guest_context(request, account_id, panels=[panel], ask_again=True)
    response = render(request, f"{GUEST_TEMPLATE}#{_fragment(request, panel)}", context)
    if panel != SUMMARY and any(changes.settled for changes in context["pending"].values()):
        # A pending change now shows (or never will, or failed): the summary listed it as
        # waiting. (The summary itself, being drawn, is never stale.)
        response = summary_stale(response)
    if panel == "history":
        # The filters and page go into the address bar as the guest page's own URL, so a
        # reload or Back shows the same history (htmx restores Back from the server).
        kept = request.GET.copy()
        for name in [name for name, values in kept.lists() if not any(values)]:
            del kept[name]
        query = kept.urlencode()
        guest_url = reverse("guests:guest", args=[account_id])
        response = push_url(response, f"{guest_url}{'?' if query else ''}{query}#panel-history")
    return response


@require_GET
@requires("lookup_guests")
@guest_errors
def comments(request: HtmxHttpRequest, account_id: int, transaction_id: int) -> HttpResponse:
    """A transaction's guest-visible CSR and system comments, on demand."""
    try:
        annotation = transaction_comments(
            viewer=viewer_of(request), account_id=account_id, transaction_id=transaction_id
        )
        problem = ""
    except PaytronixError as error:
        # Shown in the row it was asked for, with a retry: the rest of the page is unaffected.
        annotation, problem = None, explain(error)
    context = {
        "account_id": account_id,
        "transaction_id": transaction_id,
        "annotation": annotation,
        "problem": problem,
    }
    template = "guests/comments.html#comments" if request.htmx else "guests/comments.html"
    return render(request, template, context)
