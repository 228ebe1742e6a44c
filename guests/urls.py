"""Guests URLs. A guest is named by account id only: no card number ever goes into a URL."""

from django.urls import path

from guests.views import changes, page, privacy, profile, search, timeline

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
    # The guest's details, addresses, password and privacy: a screen each.
    path("<int:account_id>/details/", profile.details_form, name="details"),
    path("<int:account_id>/details/submit/", profile.details_submit, name="details_submit"),
    path("<int:account_id>/account-fields/", profile.account_fields_form, name="account_fields"),
    path(
        "<int:account_id>/account-fields/submit/",
        profile.account_fields_submit,
        name="account_fields_submit",
    ),
    path("<int:account_id>/addresses/", profile.addresses, name="addresses"),
    path("<int:account_id>/addresses/add/", profile.address_add_submit, name="address_add"),
    path(
        "<int:account_id>/addresses/<slug:address_id>/",
        profile.address_edit_form,
        name="address_edit",
    ),
    path(
        "<int:account_id>/addresses/<slug:address_id>/submit/",
        profile.address_edit_submit,
        name="address_edit_submit",
    ),
    path(
        "<int:account_id>/addresses/<slug:address_id>/delete/",
        profile.address_delete_form,
        name="address_delete",
    ),
    path(
        "<int:account_id>/addresses/<slug:address_id>/delete/submit/",
        profile.address_delete_submit,
        name="address_delete_submit",
    ),
    path("<int:account_id>/password-reset/", privacy.password_reset_form, name="password_reset"),
    path(
        "<int:account_id>/password-reset/submit/",
        privacy.password_reset_submit,
        name="password_reset_submit",
    ),
    path("<int:account_id>/delete/", privacy.deletion_form, name="delete"),
    path("<int:account_id>/delete/submit/", privacy.deletion_submit, name="delete_submit"),
]
