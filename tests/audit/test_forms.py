"""The change forms' fields: a blank field is drawn once per process, a bound one every time."""

from __future__ import annotations

from guests.forms import LanguageForm, NoteForm
from portal.audit.forms import _DRAWN


def test_a_blank_field_is_drawn_once_and_reused_the_same() -> None:
    _DRAWN.clear()
    first = str(NoteForm()["note"].as_field_group())
    assert len(_DRAWN) == 1
    again = str(NoteForm()["note"].as_field_group())
    assert again == first
    assert len(_DRAWN) == 1
    assert 'name="note-note"' in first


def test_a_blank_field_with_another_initial_value_is_drawn_on_its_own() -> None:
    _DRAWN.clear()
    french = str(LanguageForm(initial={"language_code": "fr-FR"})["language_code"].as_field_group())
    other = str(LanguageForm(initial={"language_code": "da-DK"})["language_code"].as_field_group())
    assert french != other
    assert '<option value="fr-FR" selected>' in french
    assert '<option value="da-DK" selected>' in other
    assert len(_DRAWN) == 2


def test_a_bound_field_shows_what_was_typed_and_its_error_never_a_drawing_kept() -> None:
    _DRAWN.clear()
    NoteForm()["note"].as_field_group()
    bound = NoteForm(data={"note-note": "", "note-idempotency_key": "k"})
    bound.is_valid()
    drawn = str(bound["note"].as_field_group())
    assert "required" in drawn.lower()
    assert len(_DRAWN) == 1
