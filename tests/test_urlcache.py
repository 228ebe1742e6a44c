"""``reverse_cached`` gives what ``reverse`` gives, for the URLconf and script prefix in force."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template
from django.test import override_settings
from django.urls import path, reverse, set_script_prefix

from portal.urlcache import reverse_cached


def test_a_remembered_address_is_the_one_reverse_gives() -> None:
    assert reverse_cached("guests:panel", 42, "notes") == reverse(
        "guests:panel", args=[42, "notes"]
    )
    assert reverse_cached("guests:panel", 43, "notes") == "/guests/43/panels/notes/"
    assert reverse_cached("home") == reverse("home")


def test_the_script_prefix_is_part_of_the_address() -> None:
    plain = reverse_cached("guests:guest", 7)
    try:
        set_script_prefix("/desk/")
        assert reverse_cached("guests:guest", 7) == "/desk" + plain
    finally:
        set_script_prefix("/")
    assert reverse_cached("guests:guest", 7) == plain


def _nowhere(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


#: A URLconf of this module's own, where "home" is somewhere else.
urlpatterns = [path("elsewhere/", _nowhere, name="home")]


def test_another_urlconf_is_asked_afresh() -> None:
    assert reverse_cached("home") == "/"
    with override_settings(ROOT_URLCONF=__name__):
        assert reverse_cached("home") == "/elsewhere/"
    assert reverse_cached("home") == "/"


def test_the_tag_draws_the_address_and_keeps_it_for_as() -> None:
    drawn = Template(
        "{% load addresses %}{% url_cached 'guests:panel' id 'notes' %}"
        "{% url_cached 'guests:guest' id as page %}[{{ page }}]"
    ).render(Context({"id": 9}))
    assert drawn == "/guests/9/panels/notes/[/guests/9/]"


def test_an_unknown_view_fails_as_reverse_does() -> None:
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        reverse_cached("guests:no-such-view", 1)
