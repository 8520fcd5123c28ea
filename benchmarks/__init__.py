"""MedTrack Desktop benchmarks: ``python -m benchmarks SCENARIO [--scale N] [--repeat R]``.

Each scenario prints exactly one JSON object on stdout (see ``benchmarks/README.md``); progress
goes to stderr. A later issue adds its scenario as a module with a ``SCENARIO`` and lists it here.
"""

from __future__ import annotations

from benchmarks import cipher_overhead, cold_start, demo_create
from benchmarks.common import Scenario

SCENARIOS: dict[str, Scenario] = {
    module.SCENARIO.name: module.SCENARIO
    for module in (cold_start, demo_create, cipher_overhead)
}

__all__ = ["SCENARIOS", "Scenario"]
