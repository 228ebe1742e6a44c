"""The decision on a request: approve or reject (the button pressed), with the decider's reason."""

from __future__ import annotations

from typing import Any

from django import forms

from portal.audit.forms import ChangeForm

DECISIONS = (("approve", "Approve"), ("reject", "Reject"))


class DecisionForm(ChangeForm):
    # Approve and reject ask for the same reason (free text, required).
    action = "approval.approve"

    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason_text"].label = "Your reason for the decision"
        self.fields["reason_text"].help_text = "The requester sees it; it is in the audit log."

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "approve"


class WithdrawForm(ChangeForm):
    """Taking a request back: its requester's reason, optional."""

    action = "approval.withdraw"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "reason_text"
        ].help_text = "Optional. Kept with the request and in the audit log."
