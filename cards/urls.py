"""Card URLs: an account id and a masked card number name a card; full numbers travel only in
POST bodies."""

from django.urls import path, register_converter

from cards import views


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
    path("<int:account_id>/attach/", views.card_attach_form, name="attach"),
    path("<int:account_id>/attach/submit/", views.card_attach_submit, name="attach-submit"),
    path("<int:account_id>/<masked:masked>/", views.card_detail, name="detail"),
    path(
        "<int:account_id>/<masked:masked>/disable/",
        views.card_status_form,
        {"change": "disable"},
        name="disable",
    ),
    path(
        "<int:account_id>/<masked:masked>/disable/submit/",
        views.card_status_submit,
        {"change": "disable"},
        name="disable-submit",
    ),
    path(
        "<int:account_id>/<masked:masked>/enable/",
        views.card_status_form,
        {"change": "enable"},
        name="enable",
    ),
    path(
        "<int:account_id>/<masked:masked>/enable/submit/",
        views.card_status_submit,
        {"change": "enable"},
        name="enable-submit",
    ),
]
