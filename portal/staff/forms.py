from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from portal.staff.context_processors import lockout_policy


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password do not match. Check both and try again; "
        "after {attempts} failed attempts the account is locked for {minutes} minutes.",
        "inactive": "This staff account is disabled. Ask an administrator.",
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.error_messages = {
            **self.error_messages,
            "invalid_login": self.error_messages["invalid_login"].format(**lockout_policy()),
        }
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"autocomplete": "current-password"}
        )
