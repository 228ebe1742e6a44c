"""The proof suite: tests that show, with figures they print, what the console guarantees under
faults, killed workers and bad input. Every test here is marked ``proof``; so are the proofs
that live beside the code they prove (the killed-worker tests in ``tests/jobs/test_worker.py``
and ``tests/cards/test_bulk_worker.py``; the form fuzz in ``tests/test_bad_input.py``), so
``pytest -m proof`` runs them all. ``make test`` (and so ``bash .ci/run``) runs them with the
rest."""

from __future__ import annotations

from collections.abc import Callable

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/proof/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.proof)


@pytest.fixture
def figures(capsys: pytest.CaptureFixture[str]) -> Callable[..., None]:
    """``figures(title, **numbers)``: print a proof's figures past pytest's capture."""

    def show(title: str, **numbers: object) -> None:
        with capsys.disabled():
            print(f"\n[proof] {title}")
            for name, value in numbers.items():
                print(f"[proof]   {name.replace('_', ' ')}: {value}")

    return show
