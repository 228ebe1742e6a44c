"""Enrollment Service replies: which fields a program has (``enrollmentConfig``).

The vendor's reply could not be read; two public shapes disagree (``field`` with ``minLength``,
or ``name`` with ``label``, ``required`` and ``pattern``). Both spellings are read; ``choices``
is our own (ASSUMED). See docs/wire-notes.md "Enrollment Service".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._wire import WireModel, wire


@dataclass(frozen=True)
class FieldChoice(WireModel):
    """One allowed value of a field with a fixed list (ASSUMED shape)."""

    value: str | None = field(default=None, metadata=wire("value", "code"))
    label: str | None = None


@dataclass(frozen=True)
class EnrollmentField(WireModel):
    """One user or account field the program has, as enrollmentConfig lists it."""

    name: str | None = field(default=None, metadata=wire("name", "field"))
    type: str | None = None
    label: str | None = None
    required: bool | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: list[FieldChoice] = field(default_factory=list)


@dataclass(frozen=True)
class EnrollmentFields(WireModel):
    fields: list[EnrollmentField] = field(default_factory=list)


@dataclass(frozen=True)
class EnrollmentConfig(WireModel):
    """The reply of ``enrollment/enrollmentConfig.json``: ``config.fields``."""

    config: EnrollmentFields | None = None

    @property
    def fields(self) -> list[EnrollmentField]:
        """The program's fields, each named (an unnamed entry is of no use to a form)."""
        return [f for f in (self.config.fields if self.config else []) if f.name]
