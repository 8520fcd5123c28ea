"""MedTrack Desktop benchmarks: ``python -m benchmarks SCENARIO [--scale N] [--repeat R]``.

Each scenario prints exactly one JSON object on stdout (see ``benchmarks/README.md``); progress
goes to stderr. A later issue adds its scenario as a module with a ``SCENARIO`` and lists it here.
"""

from __future__ import annotations

from benchmarks import (
    audit,
    calendar,
    chart,
    cipher_overhead,
    cold_start,
    demo_create,
    icd10,
    labels,
    patients,
    sync_bootstrap,
    sync_chaos,
    sync_latency,
    sync_push,
)
from benchmarks.common import Scenario

SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (cold_start.SCENARIO, demo_create.SCENARIO, cipher_overhead.SCENARIO,
                     audit.WRITE, audit.VERIFY, audit.LOGIN, labels.SCENARIO,
                     patients.GENERATE, patients.SEARCH, patients.SAVE, icd10.SCENARIO,
                     chart.SCENARIO, calendar.SCENARIO, sync_push.SCENARIO,
                     sync_bootstrap.SCENARIO, sync_latency.SCENARIO, sync_chaos.SCENARIO)
}

__all__ = ["SCENARIOS", "Scenario"]
