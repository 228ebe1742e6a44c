"""The per-process client built from settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from portal.paytronix import client_from_settings, reset_client


@pytest.fixture(autouse=True)
def fresh_client() -> Iterator[None]:
    reset_client()
    yield
    reset_client()


def test_the_client_is_built_from_the_paytronix_settings(settings: Any) -> None:
    settings.PAYTRONIX_BASE_URL = "https://m1001.api.example.com/rest/25.33/"
    settings.PAYTRONIX_MERCHANT_ID = 1001
    settings.PAYTRONIX_USERNAME = "integration"
    settings.PAYTRONIX_SECRET = "from-settings-secret"
    settings.PAYTRONIX_CONNECT_TIMEOUT = 1.5
    settings.PAYTRONIX_READ_TIMEOUT = 7.0
    settings.PAYTRONIX_MAX_ATTEMPTS = 2
    settings.PAYTRONIX_BREAKER_THRESHOLD = 4
    settings.PAYTRONIX_BREAKER_COOLDOWN = 12.0

    config = client_from_settings().config

    assert (config.base_url, config.merchant_id, config.username) == (
        "https://m1001.api.example.com/rest/25.33/",
        1001,
        "integration",
    )
    assert config.secret == "from-settings-secret"
    assert (config.connect_timeout, config.read_timeout, config.max_attempts) == (1.5, 7.0, 2)
    assert (config.breaker_threshold, config.breaker_cooldown) == (4, 12.0)


def test_the_client_is_kept_while_the_settings_stay_the_same() -> None:
    assert client_from_settings() is client_from_settings()


def test_changed_settings_build_a_new_client(settings: Any) -> None:
    first = client_from_settings()
    settings.PAYTRONIX_MERCHANT_ID = first.config.merchant_id + 1

    second = client_from_settings()

    assert second is not first
    assert second.config.merchant_id == first.config.merchant_id + 1


def test_reset_client_forgets_the_client() -> None:
    first = client_from_settings()
    reset_client()

    assert client_from_settings() is not first


def test_the_client_package_imports_nothing_from_the_apps() -> None:
    import ast
    import pathlib

    import portal.paytronix

    package = pathlib.Path(portal.paytronix.__file__).parent
    imported: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
    assert imported <= {
        "__future__",
        "base64",
        # The CA bundle requests used, for the transport's connection pool (session.py).
        "certifi",
        "collections",
        "contextlib",
        "contextvars",
        "dataclasses",
        "datetime",
        "decimal",
        "email",
        "functools",
        "hashlib",
        "json",
        "logging",
        "os",
        "random",
        "re",
        # The circuit breaker's state shared between processes (breaker.py).
        "redis",
        # The environment's proxy for the base URL, as requests reads it (session.py).
        "requests",
        # The retry policy (session.py).
        "tenacity",
        "threading",
        "time",
        "types",
        "typing",
        "urllib",
        "urllib3",
        "django",
    }
