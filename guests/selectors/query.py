"""What a search box was given: a card number, an account id, an email, a phone, a name...

A caller identifies themselves however they like; the CSR types what they hear. ``classify``
turns that text into a ``Query`` naming what to search by. Where the text could be several
things (bare digits: a card number, an account id or a phone number; one word: a username, a
surname or a first name; a code: a username or an external account code) the query carries a
``fallback`` tried when the first reading finds nobody, at most ``MAX_READINGS`` readings in
all: each reading is one upstream search, and the next one is asked only when the one before
found nobody. A name with the last digits of a card ("Thompson 0011") is a name search whose
results are narrowed to that card ending; digits alone too short for a card number are an
account id, and the page says that the end of a card number cannot be searched alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    CARD = "card"
    ACCOUNT_ID = "account_id"
    USERNAME = "username"
    EMAIL = "email"
    ECLUB_EMAIL = "eclub_email"
    PHONE = "phone"
    NAME = "name"
    POSTAL_CODE = "postal_code"
    EXTERNAL = "external"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS: dict[Kind, str] = {
    Kind.CARD: "card number",
    Kind.ACCOUNT_ID: "account id",
    Kind.USERNAME: "username",
    Kind.EMAIL: "email address",
    Kind.ECLUB_EMAIL: "eClub email address",
    Kind.PHONE: "phone number",
    Kind.NAME: "name",
    Kind.POSTAL_CODE: "postal code",
    Kind.EXTERNAL: "external account code",
}

#: The most readings of one text a search tries (one upstream search each, in turn).
MAX_READINGS = 3
CARD_MIN_DIGITS = 8
#: "The last digits of a card" as callers read them out: four to six (Paytronix masks to six).
CARD_ENDING_DIGITS = (4, 6)
CARD_MAX_DIGITS = 20
#: Account ids run to 15 digits, so bare digits of card length may be an account id too.
ACCOUNT_ID_MAX_DIGITS = 15

_SEPARATORS = re.compile(r"[\s-]+")
_ACCOUNT_ID = re.compile(r"^(?:#|id:\s*)([0-9]+)$", re.IGNORECASE)
_EXTERNAL = re.compile(r"^(?:ext|external):\s*(\S.*)$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A phone written as one: +1, parentheses, dots or 3-3-4 groups. Bare digits are ambiguous.
_FORMATTED_PHONE = re.compile(
    r"^(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s*|\d{3}[\s.-])\d{3}[\s.-]\d{4}$|^\+\d[\d\s.()-]{7,}$",
    re.ASCII,
)
_NAME_WORD = r"[^\W\d_](?:[^\W\d_]|['.-])*"
_NAME = re.compile(rf"^{_NAME_WORD}(?:\s+{_NAME_WORD})+$")
_NAMES = rf"{_NAME_WORD}(?:\s+{_NAME_WORD})*"
# "Thompson, Ava": the surname first, as lists and forms write it.
_SURNAME_FIRST = re.compile(rf"^({_NAMES})\s*,\s*({_NAMES})$")
# "Thompson 0011", "Ava Thompson 001142": a name and the last digits of a card.
_NAME_AND_ENDING = re.compile(rf"^({_NAMES})\s+(?:…|\.\.\.)?(\d{{4,6}})$")
_USERNAME = re.compile(r"^[\w.@+-]{2,80}$")
_POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$")


class QueryError(ValueError):
    """The text cannot be searched for; the message says why, in words for the CSR."""


@dataclass(frozen=True)
class AccountCriteria:
    """What the account search (``transaction/accountQuery``) matches; every given one must."""

    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    postal_code: str = ""

    def __bool__(self) -> bool:
        return any((self.email, self.phone, self.first_name, self.last_name, self.postal_code))

    def describe(self) -> str:
        """The criteria in words, for "No guest matches ..." and the search log."""
        parts = [
            ("email", self.email),
            ("phone", self.phone),
            ("first name", self.first_name),
            ("last name", self.last_name),
            ("postal code", self.postal_code),
        ]
        return ", ".join(f"{label} {value}" for label, value in parts if value)


_CRITERIA_KINDS = frozenset({Kind.EMAIL, Kind.PHONE, Kind.NAME, Kind.POSTAL_CODE})


@dataclass(frozen=True)
class Query:
    """A search: what by (``kind``) and the normalised ``value``.

    ``first_name`` / ``last_name`` are set for a name, ``card_template_code`` for an eClub
    email; ``criteria`` for an advanced account search combining several fields.
    ``fallback`` is another reading of the same text to try when this one finds nobody.
    """

    kind: Kind
    value: str
    first_name: str = ""
    last_name: str = ""
    card_template_code: int | None = None
    criteria: AccountCriteria | None = None
    fallback: Query | None = None
    #: Only guests with a card ending in these digits (a name said with a card's last digits).
    card_ending: str = ""
    #: The digits as typed when they read as another number (``000011`` is account id 11).
    typed: str = ""

    @property
    def readings(self) -> list[Query]:
        """This reading and its fallbacks, in the order a search tries them."""
        found: list[Query] = []
        reading: Query | None = self
        while reading is not None:
            found.append(reading)
            reading = reading.fallback
        return found

    @property
    def may_be_card_ending(self) -> bool:
        """Digits too short for a card number, as long as a card's last digits: the loyalty
        system cannot search by them alone (the page says so and what to add)."""
        digits = self.typed or self.value
        low, high = CARD_ENDING_DIGITS
        return self.kind is Kind.ACCOUNT_ID and low <= len(digits) <= high

    @property
    def account_id(self) -> int:
        return int(self.value)

    @property
    def uses_account_search(self) -> bool:
        return self.kind in _CRITERIA_KINDS

    def account_criteria(self) -> AccountCriteria:
        """The account-search criteria of an email, phone, name or postal-code query."""
        if self.criteria is not None:
            return self.criteria
        return AccountCriteria(
            email=self.value if self.kind is Kind.EMAIL else "",
            phone=self.value if self.kind is Kind.PHONE else "",
            first_name=self.first_name,
            last_name=self.last_name,
            postal_code=self.value if self.kind is Kind.POSTAL_CODE else "",
        )

    def describe(self) -> str:
        """What was searched for, in words: "card number 6000…0011", "name Ava Thompson"."""
        if self.uses_account_search:
            described = self.account_criteria().describe()
        else:
            described = f"{self.kind.label} {self.value}"
        if self.typed and self.typed != self.value:
            described += f" (typed {self.typed})"
        if self.card_ending:
            described += f" with a card ending {self.card_ending}"
        return described


def ascii_digits(text: str) -> bool:
    """True for a non-empty run of 0-9 only. ``str.isdigit`` also accepts superscripts, circled,
    fullwidth and other scripts' digits, which ``int`` refuses or upstream would not read."""
    return text.isascii() and text.isdigit()


def digits_only(text: str) -> str:
    """The digits of ``text``: a phone or card number without its formatting."""
    return re.sub(r"[^0-9]", "", text)


def normalise_phone(text: str) -> str:
    """A North American phone number as its ten digits (a leading country code 1 dropped)."""
    digits = digits_only(text)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


def phone_number(text: str) -> str:
    """A phone number as its digits; ``QueryError`` if it cannot be one."""
    digits = normalise_phone(text)
    if not 7 <= len(digits) <= 15:
        raise QueryError("A phone number needs 7 to 15 digits.")
    return digits


def _phone(text: str) -> Query:
    return Query(Kind.PHONE, phone_number(text))


def _name(text: str, *, card_ending: str = "") -> Query:
    first, _, last = " ".join(text.split()).partition(" ")
    return Query(
        Kind.NAME, f"{first} {last}", first_name=first, last_name=last, card_ending=card_ending
    )


def _one_name(word: str, *, card_ending: str = "", fallback: Query | None = None) -> Query:
    """One name alone: a surname, then a first name ("Ava" is said as often as "Thompson")."""
    first = Query(Kind.NAME, word, first_name=word, card_ending=card_ending)
    surname = Query(Kind.NAME, word, last_name=word, card_ending=card_ending, fallback=first)
    if fallback is None:
        return surname
    return Query(fallback.kind, fallback.value, fallback=surname)


def _names(text: str, *, card_ending: str = "") -> Query:
    text = " ".join(text.split())
    if " " in text:
        return _name(text, card_ending=card_ending)
    return _one_name(text, card_ending=card_ending)


def classify(text: str) -> Query:
    """Read what the CSR typed; raise ``QueryError`` when it can be nothing we search by."""
    text = text.strip()
    if not text:
        raise QueryError("Type a card number, account id, username, email, phone or name.")
    if match := _EXTERNAL.match(text):
        return Query(Kind.EXTERNAL, match.group(1).strip())
    if match := _ACCOUNT_ID.match(text):
        return Query(Kind.ACCOUNT_ID, str(int(match.group(1))))
    if "@" in text and " " not in text:
        return Query(Kind.EMAIL, email_address(text))
    if _FORMATTED_PHONE.match(text):
        return _phone(text)
    compact = _SEPARATORS.sub("", text)
    if ascii_digits(compact):
        if text[0] == "-" or text[-1] == "-":
            # A minus sign is no part of a card number or an account id: dropping it silently would
            # search for another number than the one typed.
            raise QueryError(
                f"A card number or account id has no minus sign: {text} cannot be searched. "
                f"Type the digits only ({compact})."
            )
        return _digits(compact)
    if compact.isdigit():
        raise QueryError("Type the number with the digits 0 to 9.")
    if match := _SURNAME_FIRST.match(text):
        last, first = (" ".join(part.split()) for part in match.groups())
        return Query(Kind.NAME, f"{first} {last}", first_name=first, last_name=last)
    if match := _NAME_AND_ENDING.match(text):
        return _names(match.group(1), card_ending=match.group(2))
    if _NAME.match(text):
        return _name(text)
    if _USERNAME.match(text):
        if text.isalpha():
            # One word: a username, else a surname, else a first name.
            return _one_name(text, fallback=Query(Kind.USERNAME, text))
        # A code ("fb-ava-100042"): a username, else an external account code without ext:.
        return Query(Kind.USERNAME, text, fallback=Query(Kind.EXTERNAL, text))
    raise QueryError("We cannot tell what to search by. Try the advanced search.")


def _account_id(digits: str, *, fallback: Query | None = None) -> Query:
    value = str(int(digits))
    return Query(Kind.ACCOUNT_ID, value, typed=digits if digits != value else "", fallback=fallback)


def _digits(digits: str) -> Query:
    if len(digits) < CARD_MIN_DIGITS:
        return _account_id(digits)
    if len(digits) > CARD_MAX_DIGITS:
        raise QueryError(
            f"That is too long for a card number ({len(digits)} digits; at most {CARD_MAX_DIGITS})."
        )
    # Bare digits are tried as a card, then as an account id (ids run to 15 digits), then -
    # ten digits, or eleven with a leading 1 - as a phone number read out digit by digit.
    is_phone_length = len(digits) == 10 or (len(digits) == 11 and digits.startswith("1"))
    phone = _phone(digits) if is_phone_length else None
    account_id = (
        _account_id(digits, fallback=phone) if len(digits) <= ACCOUNT_ID_MAX_DIGITS else phone
    )
    return Query(Kind.CARD, digits, fallback=account_id)


def card_query(text: str) -> Query:
    """A printed card number as typed, spaces and dashes tolerated."""
    digits = _SEPARATORS.sub("", text.strip())
    if not ascii_digits(digits) or not CARD_MIN_DIGITS <= len(digits) <= CARD_MAX_DIGITS:
        raise QueryError(
            f"A card number has {CARD_MIN_DIGITS} to {CARD_MAX_DIGITS} digits "
            "(spaces and dashes are fine)."
        )
    return Query(Kind.CARD, digits)


def account_id_query(text: str) -> Query:
    digits = text.strip().lstrip("#")
    if not ascii_digits(digits):
        raise QueryError("An account id is a number.")
    return Query(Kind.ACCOUNT_ID, str(int(digits)))


def email_address(text: str) -> str:
    """A complete email address, lower-cased; ``QueryError`` otherwise."""
    text = text.strip()
    if not _EMAIL.match(text):
        raise QueryError(
            "That is not an email address that can be searched for: type it whole, as "
            "ava@example.com."
        )
    return text.lower()


def eclub_query(text: str, *, card_template_code: int) -> Query:
    return Query(Kind.ECLUB_EMAIL, email_address(text), card_template_code=card_template_code)


def username_query(text: str) -> Query:
    text = text.strip()
    if not _USERNAME.match(text):
        raise QueryError("A username has no spaces.")
    return Query(Kind.USERNAME, text)


def external_query(text: str) -> Query:
    text = text.strip()
    if match := _EXTERNAL.match(text):
        text = match.group(1).strip()
    if not text:
        raise QueryError("Type the external account code.")
    return Query(Kind.EXTERNAL, text)


def postal_code(text: str) -> str:
    """A postal code, upper-cased; ``QueryError`` if it cannot be one."""
    text = " ".join(text.split()).upper()
    if not _POSTAL_CODE.match(text):
        raise QueryError("That postal code is not written correctly.")
    return text


def criteria_query(criteria: AccountCriteria) -> Query:
    """An account search on several fields at once (the advanced form)."""
    if not criteria:
        raise QueryError("Give at least one of email, phone, name or postal code.")
    kind = Kind.NAME
    for value, candidate in (
        (criteria.email, Kind.EMAIL),
        (criteria.phone, Kind.PHONE),
        (criteria.postal_code, Kind.POSTAL_CODE),
    ):
        if value:
            kind = candidate
            break
    return Query(kind, criteria.describe(), criteria=criteria)
