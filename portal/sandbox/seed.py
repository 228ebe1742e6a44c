"""The deterministic seed: the merchant's catalog, the demo cases and a few hundred guests.

``build_model(seed)`` always returns the same data for the same seed (one ``random.Random``,
fixed reference dates, no wall clock). The program comes from ``catalog``; the hand-made demo
cases come first (``seed_demo``), then generated guests fill the rest with realistic variety
(``seed_guests``). Both build with ``seed_builders``.
"""

from __future__ import annotations

import random

from portal.sandbox.catalog import STORES, TEMPLATES, TIERS
from portal.sandbox.model import Model
from portal.sandbox.seed_demo import add_demo_cases
from portal.sandbox.seed_guests import add_generated_guest, add_generated_visit_codes

DEFAULT_SEED = 20240611
GENERATED_GUESTS = 300


def build_model(seed: int = DEFAULT_SEED) -> Model:
    """The whole seeded model for ``seed``: same seed, same data."""
    model = Model(templates=dict(TEMPLATES), tiers=dict(TIERS), stores=dict(STORES))
    add_demo_cases(model)
    rng = random.Random(seed)
    for index in range(GENERATED_GUESTS):
        add_generated_guest(model, rng, index)
    add_generated_visit_codes(model, rng)
    return model
