"""gunicorn's master warms the application before forking the workers (``portal.warmup``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.template import engines
from django.template.backends.django import DjangoTemplates
from django.template.loaders.cached import Loader as CachedLoader

from portal.warmup import warm_up


@pytest.mark.django_db(transaction=True)
def test_warm_up_compiles_every_template_and_leaves_nothing_connected() -> None:
    with connection.cursor() as cursor:  # a connection the warm-up must not leave open
        cursor.execute("SELECT 1")
    project_templates = list(Path(settings.BASE_DIR, "templates").rglob("*.html"))

    from guests.templatetags.fragments import drawn_by

    drawn_by.cache_clear()
    compiled = warm_up()

    assert compiled > len(project_templates) > 50
    assert connection.connection is None
    backend = engines["django"]
    assert isinstance(backend, DjangoTemplates)
    loader = backend.engine.template_loaders[0]
    assert isinstance(loader, CachedLoader)
    cached = {key.split(":", 1)[0] for key in loader.get_template_cache}
    assert "guests/guest.html" in cached
    assert "base.html" in cached
    # The fragments' code digest is worked out before the fork, so workers inherit it.
    assert drawn_by.cache_info().currsize == 1
