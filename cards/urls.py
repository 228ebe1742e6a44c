"""Card URLs: an account id and a masked card number name a card; full numbers travel only in
POST bodies."""

from django.urls import path, register_converter

from cards.views import (
    attach,
    bulk,
    combine,
    exchange,
    payments,
    reports,
    status,
    transfer,
    wallets,
)


class MaskedCardNumberConverter:
    """The last digits of a card as Paytronix masks it; too short to be a full card number."""

    regex = r"[0-9]{1,8}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(MaskedCardNumberConverter, "masked")

app_name = "cards"

urlpatterns = [
    path("<int:account_id>/attach/", attach.card_attach_form, name="attach"),
    path("<int:account_id>/attach/submit/", attach.card_attach_submit, name="attach_submit"),
    path(
        "<int:account_id>/<masked:masked>/disable/",
        status.card_status_form,
        {"change": "disable"},
        name="disable",
    ),
    path(
        "<int:account_id>/<masked:masked>/disable/submit/",
        status.card_status_submit,
        {"change": "disable"},
        name="disable_submit",
    ),
    path(
        "<int:account_id>/<masked:masked>/enable/",
        status.card_status_form,
        {"change": "enable"},
        name="enable",
    ),
    path(
        "<int:account_id>/<masked:masked>/enable/submit/",
        status.card_status_submit,
        {"change": "enable"},
        name="enable_submit",
    ),
    path(
        "<int:account_id>/<masked:masked>/combine/",
        combine.card_combine_form,
        name="combine",
    ),
    path(
        "<int:account_id>/<masked:masked>/combine/submit/",
        combine.card_combine_submit,
        name="combine_submit",
    ),
    path(
        "<int:account_id>/attach-and-combine/",
        attach.attach_and_combine_form,
        name="attach_and_combine",
    ),
    path(
        "<int:account_id>/attach-and-combine/submit/",
        attach.attach_and_combine_submit,
        name="attach_and_combine_submit",
    ),
    path(
        "<int:account_id>/wallets/<int:wallet_code>/adjust/",
        wallets.wallet_adjust_form,
        name="wallet_adjust",
    ),
    path(
        "<int:account_id>/wallets/<int:wallet_code>/adjust/submit/",
        wallets.wallet_adjust_submit,
        name="wallet_adjust_submit",
    ),
    path(
        "<int:account_id>/adjustments/<int:intent_id>/void/",
        wallets.wallet_void_form,
        name="wallet_void",
    ),
    path(
        "<int:account_id>/adjustments/<int:intent_id>/void/submit/",
        wallets.wallet_void_submit,
        name="wallet_void_submit",
    ),
    path(
        "<int:account_id>/<masked:masked>/exchange/",
        exchange.exchange_form,
        name="exchange",
    ),
    path(
        "<int:account_id>/<masked:masked>/exchange/submit/",
        exchange.exchange_submit,
        name="exchange_submit",
    ),
    path("<int:account_id>/transfer/", transfer.transfer_form, name="transfer"),
    path("<int:account_id>/transfer/submit/", transfer.transfer_submit, name="transfer_submit"),
    path("<int:account_id>/payments/", payments.payments_panel, name="payments"),
    path(
        "<int:account_id>/payments/auto-recharge/off/",
        payments.auto_recharge_disable_form,
        name="auto_recharge_disable",
    ),
    path(
        "<int:account_id>/payments/auto-recharge/off/submit/",
        payments.auto_recharge_disable_submit,
        name="auto_recharge_disable_submit",
    ),
    path(
        "<int:account_id>/payments/methods/<slug:token>/remove/",
        payments.payment_method_remove_form,
        name="payment_method_remove",
    ),
    path(
        "<int:account_id>/payments/methods/<slug:token>/remove/submit/",
        payments.payment_method_remove_submit,
        name="payment_method_remove_submit",
    ),
    path("jobs/<int:job_id>/", combine.card_job, name="job"),
    path(
        "reports/adjustments/",
        reports.adjustments_report_page,
        name="adjustments_report",
    ),
    path(
        "reports/adjustments/export/",
        reports.adjustments_report_export,
        name="adjustments_report_export",
    ),
    path("bulk/", bulk.bulk_upload_form, name="bulk"),
    path("bulk/upload/", bulk.bulk_upload_submit, name="bulk_upload"),
    path("bulk/<int:upload_id>/", bulk.bulk_review, name="bulk_review"),
    path("bulk/<int:upload_id>/start/", bulk.bulk_start, name="bulk_start"),
    path("bulk/<int:upload_id>/action/", bulk.bulk_action_choose, name="bulk_action"),
]
