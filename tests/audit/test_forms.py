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


def test_a_blank_forms_idempotency_key_is_drawn_as_the_widget_template_draws_it() -> None:
    from django import forms
    from django.forms.boundfield import BoundField

    from portal.audit.forms import IdempotencyKeyForm

    for form in (
        NoteForm(),
        IdempotencyKeyForm(),
        IdempotencyKeyForm(prefix="x"),
        IdempotencyKeyForm(auto_id=False),
        IdempotencyKeyForm(initial={"idempotency_key": 'a"<b>'}),
    ):
        bound = form["idempotency_key"]
        # Django's own drawing, through the widget's template.
        expected = BoundField(form, form.fields["idempotency_key"], "idempotency_key").as_widget()
        assert str(bound) == str(expected)
        assert isinstance(form.fields["idempotency_key"].widget, forms.HiddenInput)
    drawn = str(IdempotencyKeyForm(initial={"idempotency_key": 'a"<b>'})["idempotency_key"])
    assert 'value="a&quot;&lt;b&gt;"' in drawn


def test_a_hidden_input_with_attributes_or_a_bound_form_goes_through_the_template() -> None:
    from portal.audit.forms import IdempotencyKeyForm

    form = IdempotencyKeyForm()
    with_class = str(form["idempotency_key"].as_widget(attrs={"class": "k"}))
    assert 'class="k"' in with_class
    bound = IdempotencyKeyForm(data={"idempotency_key": "abc"})
    assert 'value="abc"' in str(bound["idempotency_key"])
