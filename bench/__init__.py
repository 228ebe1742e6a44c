"""Benchmarks: each module prints its figures. `make bench` runs them all (bench/__main__.py)."""

import os

# Figures, not request logs.
os.environ.setdefault("LOG_LEVEL", "WARNING")
