"""The proof suite: tests that show, with figures they print, what the console guarantees under
faults, killed workers and bad input. Every test here is marked ``proof``; so are the proofs
that live beside the code they prove (the killed-worker tests in ``tests/jobs/test_worker.py``
and ``tests/cards/test_bulk_worker.py``; the known nasty inputs in ``tests/test_bad_input.py``;
the staff admin screens per role in ``tests/staff/test_access.py``), so
``pytest -m proof`` runs them all. ``make test`` (and so ``bash .ci/run``) runs them with the
rest. Each prints its figures through the ``figures`` fixture (``tests/conftest.py``)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/proof/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.proof)
