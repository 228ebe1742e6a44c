"""Guests URLs. A guest is named by account id only: no card number ever goes into a URL."""

from django.urls import path

from guests.views import changes, page, search, timeline

app_name = "guests"

urlpatterns = [
    path("search/", search.search, name="search"),
    path("search/advanced/", search.advanced_search, name="advanced_search"),
    path("<int:account_id>/", page.guest, name="guest"),
    path("<int:account_id>/panels/<slug:panel>/", page.panel, name="panel"),
    path("<int:account_id>/timeline/", timeline.timeline, name="timeline"),
    # The history panel under its own address (its filters and pages are links to it).
    path("<int:account_id>/history/", page.panel, {"panel": "history"}, name="history"),
    path(
        "<int:account_id>/history/<int:transaction_id>/comments/",
        page.comments,
        name="transaction_comments",
    ),
    path(
        "<int:account_id>/preferences/frequency/",
        changes.message_frequency,
        name="message_frequency",
    ),
    path("<int:account_id>/preferences/language/", changes.language, name="language"),
    path(
        "<int:account_id>/preferences/username/",
        changes.username_migrate,
        name="username_migrate",
    ),
    path("<int:account_id>/referrals/add/", changes.referrals_add, name="referrals_add"),
    path(
        "<int:account_id>/referrals/code/",
        changes.referral_code_create,
        name="referral_code_create",
    ),
    path(
        "<int:account_id>/referrals/check/",
        changes.referral_code_check_view,
        name="referral_code_check",
    ),
    path(
        "<int:account_id>/visit-codes/check/",
        changes.visit_code_check_view,
        name="visit_code_check",
    ),
    path(
        "<int:account_id>/visit-codes/apply/",
        changes.visit_code_apply,
        name="visit_code_apply",
    ),
    path("<int:account_id>/notes/", changes.note_add, name="note_add"),
]
