"""What a web worker would otherwise do on its first requests, done once in gunicorn's master.

gunicorn loads the application in its master (``preload_app``) and forks the workers from it;
``warm_up`` then imports every view (the URLconf and its reverse lookup) and compiles every
template of the project and every form widget's, so a worker, a new one replacing a recycled
worker included (``max_requests``), starts with them and answers its first requests as fast as
its thousandth. Nothing stays connected: a database or cache connection opened on the way is
closed before the fork, so no worker shares one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import django.forms
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.forms.renderers import get_default_renderer
from django.template import engines
from django.urls import get_resolver


def _names(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*.html"))


def warm_up() -> int:
    """Import the views and compile the templates; return how many templates were compiled."""
    resolver = get_resolver()
    len(resolver.url_patterns)  # imports every view
    resolver.reverse_dict  # noqa: B018  (the lookup ``reverse`` and ``{% url %}`` use)
    compiled = 0
    django_engine = engines["django"]
    engine_settings: dict[str, Any] = settings.TEMPLATES[0]
    for folder in engine_settings["DIRS"]:
        for name in _names(Path(folder)):
            django_engine.get_template(name)
            compiled += 1
    renderer = get_default_renderer()
    widgets = Path(django.forms.__file__).parent / "templates"
    for name in _names(widgets):
        if name.startswith("django/forms/"):
            renderer.get_template(name)
            compiled += 1
    # The digest of the code that draws the guest page's fragments (part of their keys), of
    # the code this master loaded: a worker forked later (recycled, or after a HUP) runs that
    # code, whatever the files on disk say by then.
    from guests.templatetags.fragments import drawn_by

    drawn_by()
    connections.close_all()
    caches.close_all()
    return compiled
