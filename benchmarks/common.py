"""What every scenario shares: timing, percentiles, environment facts and the one JSON report.

A scenario returns a ``Result``; ``emit`` adds the environment facts and prints it as the single
JSON object on stdout. Anything else a scenario has to say goes to stderr through ``note``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sqlcipher3

Metrics = dict[str, Any]


@dataclass(frozen=True)
class Result:
    """One scenario run: its headline metrics, its target and whether the run met it.

    ``target`` is a human-readable statement (``"p50_ms < 1500"``) or ``None`` when the issue
    sets none; ``meets_target`` is then ``None`` as well.
    """

    scenario: str
    scale: int | None
    metrics: Metrics
    target: str | None = None
    meets_target: bool | None = None
    extra: Metrics = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A named benchmark: ``run(scale, repeat, workdir)`` returns its ``Result``."""

    name: str
    summary: str
    default_scale: int | None
    default_repeat: int
    run: Callable[[int | None, int, str | None], Result]


def note(message: str) -> None:
    """Progress and remarks: stderr only, so stdout stays one JSON object."""
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


def now_ms() -> float:
    """A monotonic clock in milliseconds (``time.perf_counter``)."""
    return time.perf_counter() * 1000.0


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as elapsed: ...`` then ``elapsed[0]`` is the block's wall time in ms."""
    elapsed: list[float] = []
    start = now_ms()
    try:
        yield elapsed
    finally:
        elapsed.append(now_ms() - start)


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between closest ranks.

    The same definition as numpy's default, so p50 of an even count is the mean of the middle two.
    """
    if not samples:
        raise ValueError("no samples")
    if not 0.0 <= q <= 100.0:
        raise ValueError("q must be within 0-100")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency(samples_ms: Sequence[float], prefix: str = "") -> Metrics:
    """p50/p95/max (and min, mean, count) of millisecond samples, keys prefixed by ``prefix``."""
    return {
        f"{prefix}p50_ms": round(percentile(samples_ms, 50), 3),
        f"{prefix}p95_ms": round(percentile(samples_ms, 95), 3),
        f"{prefix}max_ms": round(max(samples_ms), 3),
        f"{prefix}min_ms": round(min(samples_ms), 3),
        f"{prefix}mean_ms": round(sum(samples_ms) / len(samples_ms), 3),
        f"{prefix}n": len(samples_ms),
    }


def rate(count: int, elapsed_ms: float) -> float:
    """Items per second, rounded for a report."""
    return round(count / (elapsed_ms / 1000.0), 1) if elapsed_ms > 0 else math.inf


@cache
def environment() -> Metrics:
    """Versions and machine facts that make two reports comparable."""
    connection = sqlcipher3.connect(":memory:")
    try:
        connection.execute("PRAGMA key = \"x'" + "00" * 32 + "'\"")  # provider shows once keyed
        cipher_version = str(connection.execute("PRAGMA cipher_version").fetchone()[0])
        cipher_provider = connection.execute("PRAGMA cipher_provider").fetchone()
    finally:
        connection.close()
    return {
        "python": platform.python_version(),
        "sqlcipher": cipher_version,
        "sqlcipher_provider": str(cipher_provider[0]) if cipher_provider else None,
        "sqlcipher_sqlite": sqlcipher3.sqlite_version,
        "sqlite": sqlite3.sqlite_version,
        "machine": {
            "cpus": os.cpu_count(),
            "system": platform.system(),
            "arch": platform.machine(),
        },
    }


def speed_probe_ms() -> float:
    """A fixed piece of pure Python work, timed (best of three): how fast the machine ran
    when the report was made. A shared virtual machine's speed drifts (the same push took
    14 to 22 CPU seconds within an hour): figures compare through this."""
    def work() -> float:
        start = time.perf_counter()
        total = 0
        for number in range(1_000_000):
            total += number * number % 7
        return (time.perf_counter() - start) * 1000
    return round(min(work() for _ in range(3)), 1)


def emit(result: Result) -> None:
    """Print the scenario's one JSON object on stdout."""
    report: Metrics = {"scenario": result.scenario, "scale": result.scale}
    report.update(result.metrics)
    report["target"] = result.target
    report["meets_target"] = result.meets_target
    report.update(result.extra)
    report.update(environment())
    report["machine"] = {**report["machine"], "speed_probe_ms": speed_probe_ms()}
    sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    sys.stdout.flush()
