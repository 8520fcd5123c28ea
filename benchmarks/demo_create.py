"""Demo database creation: ``create_demo_database`` for N patients into a fresh encrypted file.

Measures the whole build (new SQLCipher file, all migrations, the clinic and its staff with
Argon2id password hashes, N synthetic patients in batches of 1000, audit entries), as
``medtrack-admin demo --patients N`` runs it, and the size of the resulting file.
"""

from __future__ import annotations

import itertools
import statistics
import tempfile
from datetime import date
from pathlib import Path

from benchmarks.common import Result, Scenario, latency, note, now_ms, rate

DEFAULT_PATIENTS = 10_000
DEMO_TODAY = date(2026, 1, 15)  # fixed, so every run builds the same people


def _file_bytes(path: Path) -> int:
    return sum(
        Path(f"{path}{suffix}").stat().st_size
        for suffix in ("", "-wal", "-shm")
        if Path(f"{path}{suffix}").exists()
    )


def _count_patients(path: Path, key: bytes) -> int:
    from medtrack_desktop.store.engine import connect_raw

    connection = connect_raw(path, key, writable=False)
    try:
        return int(connection.execute("SELECT count(*) FROM patients").fetchone()[0])
    finally:
        connection.close()


def _build_once(patients: int, workdir: str | None) -> tuple[float, float, list[float], int]:
    """One build: (total ms, ms to the first batch, per-batch ms after it, file bytes).

    The time to the first batch includes the new file, the migrations and the staff accounts.
    """
    from medtrack_desktop.demo import create_demo_database
    from medtrack_desktop.store.keys import generate_key

    with tempfile.TemporaryDirectory(prefix="medtrack-bench-demo-", dir=workdir) as tmp:
        path = Path(tmp) / "demo.db"
        key = generate_key()
        marks: list[float] = []
        step = max(1, patients // 10)
        next_note = [step]

        def progress(done: int, total: int) -> None:
            marks.append(now_ms())
            if done >= next_note[0] or done == total:
                note(f"{done}/{total} patients")
                next_note[0] = done + step

        start = now_ms()
        create_demo_database(path, key, patients=patients, today=DEMO_TODAY, progress=progress)
        total_ms = now_ms() - start
        batches = [later - earlier for earlier, later in itertools.pairwise(marks)]
        counted = _count_patients(path, key)
        if counted != patients:
            raise RuntimeError(f"the demo holds {counted} patients, expected {patients}")
        return total_ms, marks[0] - start, batches, _file_bytes(path)


def run(scale: int | None, repeat: int, workdir: str | None) -> Result:
    if repeat < 1:
        raise ValueError("--repeat must be at least 1")
    patients = DEFAULT_PATIENTS if scale is None else scale
    if patients < 1:
        raise ValueError("--scale must be at least 1 patient")
    totals: list[float] = []
    firsts: list[float] = []
    batches: list[float] = []
    size = 0
    for index in range(repeat):
        total_ms, first_ms, batch_ms, size = _build_once(patients, workdir)
        totals.append(total_ms)
        firsts.append(first_ms)
        batches.extend(batch_ms)
        note(f"build {index + 1}/{repeat}: {total_ms / 1000:.2f} s")

    median_ms = statistics.median(totals)
    metrics: dict[str, object] = {
        "seconds": round(median_ms / 1000, 3),
        "patients_per_s": rate(patients, median_ms),
        **latency(totals),
        "first_batch_ms": round(statistics.median(firsts), 3),
        "file_bytes": size,
        "bytes_per_patient": round(size / patients, 1),
    }
    if batches:
        metrics.update(latency(batches, prefix="batch_1000_"))
    return Result(scenario="demo_create", scale=patients, metrics=metrics)


SCENARIO = Scenario(
    name="demo_create",
    summary="build the encrypted demo database for --scale patients (default 10000)",
    default_scale=DEFAULT_PATIENTS,
    default_repeat=1,
    run=run,
)
