from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core import validators

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
        username = self.fields["username"]
        assert isinstance(username, forms.CharField)
        username.widget.attrs.update({"autocomplete": "username"})
        # AuthenticationForm sets max_length after the field was built, so without this a longer
        # name still reaches authenticate() and django-axes, whose column takes 255 characters.
        username.validators.append(validators.MaxLengthValidator(username.max_length or 150))
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"autocomplete": "current-password"}
        )
