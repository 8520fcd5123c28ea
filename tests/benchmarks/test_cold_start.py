"""The cold-start benchmark waits for the line the app writes when its sign-in window shows."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from medtrack_desktop.app import READY_LINE

REPO = Path(__file__).resolve().parents[2]


def test_the_benchmark_waits_for_the_apps_ready_line() -> None:
    # Kept as a copy in the benchmark so its own process never loads Qt and the app.
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO))  # the repository root is no package path of the suite
        cold_start = importlib.import_module("benchmarks.cold_start")
    assert cold_start.READY_LINE == READY_LINE
