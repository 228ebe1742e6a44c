from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core import validators

from portal.staff.context_processors import lockout_policy
from portal.staff.roles import Role


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


class StaffChangeForm(UserChangeForm):
    """The staff admin's change form: one role (a role group) and a store group for a store
    manager only, the rules ``staff_create`` applies to new staff."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = self.fields.get("groups")
        if isinstance(groups, forms.ModelMultipleChoiceField):
            groups.queryset = Group.objects.filter(name__in=[role.value for role in Role])
            groups.label = "Role"
            groups.help_text = "Exactly one role: what it may do is in the README's Roles table."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "groups" not in self.fields:
            return data
        groups = list(data.get("groups") or [])
        if len(groups) != 1:
            self.add_error("groups", "Choose exactly one role.")
            return data
        store_manager = groups[0].name == Role.STORE_MANAGER.value
        if store_manager and data.get("store_group_code") is None:
            self.add_error("store_group_code", "A store manager needs a store group code.")
        if not store_manager and data.get("store_group_code") is not None:
            self.add_error("store_group_code", "Only store managers have a store group.")
        return data
