"""Upstream codes in words a CSR can read to a guest: statuses, preferences, referral states.

The code lists are the spec's "Constant Values" and the status values of the account replies;
the words are ours. Account and card statuses in words are shared by every app, with the
error sentences: ``portal.sentences``.
"""

from __future__ import annotations

from dataclasses import dataclass

REGISTRATION_STATUS_WORDS: dict[str, str] = {
    "REGISTERED": "Registered",
    "UNREGISTERED": "Not registered (an anonymous card)",
    "VERIFICATION_PENDING": "Registration waiting for the guest to verify their email",
}


@dataclass(frozen=True)
class Choice:
    """One documented value with a short label and a sentence explaining it."""

    code: str
    label: str
    explanation: str


MESSAGE_FREQUENCIES: tuple[Choice, ...] = (
    Choice("ALL", "All messages", "Receives every marketing message."),
    Choice("ONCE_PER_WEEK", "Once a week", "Receives at most one marketing message a week."),
    Choice(
        "ONCE_PER_FORTNIGHT",
        "Once every two weeks",
        "Receives at most one marketing message every other week.",
    ),
    Choice("ONCE_PER_MONTH", "Once a month", "Receives at most one marketing message a month."),
    Choice(
        "SNOOZE",
        "Snooze for 14 days",
        "No marketing messages for the next 14 days; then they start again as before.",
    ),
    Choice(
        "UNSUBSCRIBE",
        "Unsubscribe",
        "Stops all marketing messages until the guest opts in again.",
    ),
)

LANGUAGES: tuple[Choice, ...] = (
    Choice("en-US", "English (United States)", "English as used in the US."),
    Choice("en-GB", "English (United Kingdom)", "English as used in the UK."),
    Choice("es-ES", "Spanish", "Spanish."),
    Choice("fr-FR", "French (France)", "French as used in France."),
    Choice("fr-CA", "French (Canada)", "French as used in Canada."),
    Choice("da-DK", "Danish", "Danish."),
    Choice("nl-NL", "Dutch", "Dutch."),
    Choice("fi-FI", "Finnish", "Finnish."),
    Choice("de-DE", "German", "German."),
    Choice("it-IT", "Italian", "Italian."),
    Choice("nb-NO", "Norwegian", "Norwegian (Bokmål)."),
    Choice("pt-BR", "Portuguese (Brazil)", "Portuguese as used in Brazil."),
    Choice("sv-SE", "Swedish", "Swedish."),
)

REFERRAL_STATUS_WORDS: dict[str, str] = {
    "INVITATION_SENT": "Invitation emailed; the friend has not joined yet.",
    "ENROLLED": (
        "The friend joined, but has not yet done what earns the guest their referral reward."
    ),
    "REWARD_EARNED": "The guest has earned their reward for this referral.",
    "CARD_LINKED": "A card from a batch was linked to this guest; nobody has used it yet.",
    "CARD_USED": (
        "A linked card was used, but not yet enough to earn the guest their referral reward."
    ),
}

_FREQUENCY_BY_CODE = {choice.code: choice for choice in MESSAGE_FREQUENCIES}
_LANGUAGE_BY_CODE = {choice.code: choice for choice in LANGUAGES}


def message_frequency(code: str | None) -> Choice | None:
    """The documented message frequency ``code`` stands for, or None if it is not one."""
    return _FREQUENCY_BY_CODE.get(code or "")


def language(code: str | None) -> Choice | None:
    """The documented language ``code`` stands for, or None if it is not one."""
    return _LANGUAGE_BY_CODE.get(code or "")
