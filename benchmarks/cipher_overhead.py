"""Encryption overhead: one insert and select workload on SQLCipher and on plain SQLite.

The workload runs against four files:

* ``sqlcipher`` - an encrypted file opened by ``medtrack_desktop.store.engine.connect_raw`` with a
  random raw key, exactly as the app opens its database;
* ``sqlite`` - a plain file through Python's own ``sqlite3`` with the app's settings: its page size
  (``engine.PAGE_SIZE``) and every pragma the app sets (``engine.connection_pragmas``: WAL,
  ``synchronous=FULL``, ``secure_delete=ON``, ``temp_store=MEMORY``, foreign keys, the page
  cache size). Only the encryption differs: the comparison the target is on;
* ``sqlcipher_unkeyed`` - a plain file through ``sqlcipher3`` without a key, with the same
  settings: the same SQLite build as the encrypted one, so its ratio isolates the cost of
  encryption from SQLite version and build differences;
* ``sqlite_defaults`` - plain ``sqlite3`` at SQLite's own page size (4 KiB) and page cache
  (2 MB), with the other pragmas: what this benchmark compared against before it took the app's
  settings for both sides (``*_vs_defaults`` ratios).

Insert: ``--scale`` patient rows shaped like the real ``patients`` table (same columns, UUID hex
ids, the same unique constraint and indexes), 1000 rows per transaction through ``executemany``.
Select, on a freshly opened connection (empty page cache, so pages are read and decrypted again):
2000 point lookups by MRN (unique index), 50 date-of-birth range scans of 30 days (``SELECT *``),
a ``count(*)`` and a full table scan; then the same pass again on that connection ("warm": what
the app's pooled, long-lived connections mostly see).
Target: sqlcipher/sqlite <= 1.5 for insert and for the (cold) select pass.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import sqlcipher3

from benchmarks.common import Metrics, Result, Scenario, latency, note, now_ms, rate, stopwatch

DEFAULT_ROWS = 100_000
BATCH_ROWS = 1000
POINT_LOOKUPS = 2000
RANGE_SCANS = 50
RANGE_DAYS = 30
TARGET_RATIO = 1.5
TODAY = date(2026, 1, 15)
PLAINTEXT_HEADER = b"SQLite format 3\x00"

CHECKED_PRAGMAS = ("journal_mode", "synchronous", "secure_delete", "temp_store", "foreign_keys",
                   "cache_size", "page_size")

COLUMNS = (
    "id", "clinic_id", "mrn", "first_name", "middle_name", "last_name", "preferred_name",
    "date_of_birth", "sex", "address_line1", "address_line2", "city", "state", "postal_code",
    "country", "phone_home", "phone_mobile", "phone_work", "email", "preferred_language",
    "created_at", "updated_at", "created_by", "updated_by", "version", "deleted_at",
)
SCHEMA = (
    """CREATE TABLE patients (
        id CHAR(32) NOT NULL, clinic_id CHAR(32) NOT NULL, mrn VARCHAR(32) NOT NULL,
        first_name VARCHAR(100) NOT NULL, middle_name VARCHAR(100), last_name VARCHAR(100) NOT NULL,
        preferred_name VARCHAR(100), date_of_birth DATE NOT NULL, sex VARCHAR(16) NOT NULL,
        address_line1 VARCHAR(200), address_line2 VARCHAR(200), city VARCHAR(100),
        state VARCHAR(50), postal_code VARCHAR(20), country VARCHAR(2) NOT NULL,
        phone_home VARCHAR(30), phone_mobile VARCHAR(30), phone_work VARCHAR(30),
        email VARCHAR(254), preferred_language VARCHAR(35),
        created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL,
        created_by CHAR(32), updated_by CHAR(32), version INTEGER NOT NULL, deleted_at DATETIME,
        CONSTRAINT pk_patients PRIMARY KEY (id),
        CONSTRAINT uq_patients_clinic_id_mrn UNIQUE (clinic_id, mrn),
        CONSTRAINT ck_patients_sex_allowed CHECK (sex IN ('female', 'male', 'other', 'unknown'))
    )""",
    "CREATE INDEX ix_patients_clinic_id ON patients (clinic_id)",
    "CREATE INDEX ix_patients_clinic_id_date_of_birth ON patients (clinic_id, date_of_birth)",
    "CREATE INDEX ix_patients_clinic_id_last_name_first_name "
    "ON patients (clinic_id, last_name, first_name)",
)
INSERT = f"INSERT INTO patients ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
POINT = "SELECT * FROM patients WHERE clinic_id = ? AND mrn = ?"
RANGE = (
    "SELECT * FROM patients WHERE clinic_id = ? AND date_of_birth BETWEEN ? AND ? "
    "ORDER BY date_of_birth"
)
COUNT = "SELECT count(*) FROM patients"
FULL_SCAN = "SELECT count(*) FROM patients WHERE email LIKE '%.org'"  # reads every table page


class Connection(Protocol):
    """What the workload needs of a DB-API connection (``sqlite3`` and ``sqlcipher3`` alike)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...
    def executemany(self, sql: str, parameters: Any, /) -> Any: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Variant:
    name: str
    encrypted: bool
    open: Callable[[Path], Connection]
    matched: bool = True  # runs with the app's settings (checked)


@dataclass
class SelectSamples:
    """One kind of select pass (cold or warm), over all repetitions."""

    point_ms: list[float] = field(default_factory=list)
    range_ms: list[float] = field(default_factory=list)
    range_rows: list[int] = field(default_factory=list)
    count_ms: list[float] = field(default_factory=list)
    scan_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)


@dataclass
class Samples:
    """Everything one variant measured, over all repetitions."""

    insert_ms: list[float] = field(default_factory=list)
    batch_ms: list[float] = field(default_factory=list)
    cold: SelectSamples = field(default_factory=SelectSamples)
    warm: SelectSamples = field(default_factory=SelectSamples)
    file_bytes: int = 0
    pragmas: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Workload:
    rows: list[tuple[Any, ...]]
    clinic_id: str
    mrns: list[str]
    ranges: list[tuple[str, str]]


def _plain(
    connect: Callable[..., Any], *, app_settings: bool = True
) -> Callable[[Path], Connection]:
    """Opens a plain file with the app's page size and pragmas (``app_settings``), or with
    SQLite's own page size and page cache and the app's other pragmas."""
    from medtrack_desktop.store.engine import PAGE_SIZE, connection_pragmas

    pragmas = connection_pragmas(writable=True)
    if app_settings:
        pragmas = (f"PRAGMA page_size = {PAGE_SIZE}", *pragmas)  # before the file has pages
    else:
        pragmas = tuple(pragma for pragma in pragmas if "cache_size" not in pragma)

    def open_plain(path: Path) -> Connection:
        connection: Connection = connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=15.0
        )
        for pragma in pragmas:
            connection.execute(pragma)
        return connection

    return open_plain


def _variants() -> list[Variant]:
    from medtrack_desktop.store.engine import connect_raw
    from medtrack_desktop.store.keys import generate_key

    key = generate_key()
    return [
        Variant("sqlcipher", True, lambda path: connect_raw(path, key)),
        Variant("sqlite", False, _plain(sqlite3.connect)),
        Variant("sqlcipher_unkeyed", False, _plain(sqlcipher3.connect)),
        Variant("sqlite_defaults", False, _plain(sqlite3.connect, app_settings=False),
                matched=False),
    ]


def _workload(count: int) -> Workload:
    """``count`` patient rows like the app's, and the lookups to run on them (seeded)."""
    from uuid6 import uuid7

    from medtrack_desktop.demo import FIRST_MRN
    from medtrack_desktop.demo.people import synthetic_people
    from medtrack_desktop.domain.patients.mrn import mrn_with_check_digit

    clinic_id, actor = uuid7().hex, uuid7().hex
    stamp = datetime(2026, 1, 15, 9, 30, tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows: list[tuple[Any, ...]] = []
    for index, person in enumerate(synthetic_people(count, today=TODAY, seed=2026)):
        rows.append((
            uuid7().hex, clinic_id, mrn_with_check_digit(FIRST_MRN + index), person.first_name,
            person.middle_name, person.last_name, None, person.date_of_birth.isoformat(),
            person.sex, person.address_line1, person.address_line2, person.city, person.state,
            person.postal_code, "US", person.phone_home, person.phone_mobile, None, person.email,
            person.preferred_language, stamp, stamp, actor, actor, 1, None,
        ))
    rng = random.Random(7)
    mrns = [row[2] for row in rng.choices(rows, k=POINT_LOOKUPS)]
    oldest = min(date.fromisoformat(row[7]) for row in rows)
    span = max(0, (TODAY - oldest).days - RANGE_DAYS)
    ranges = []
    for _ in range(RANGE_SCANS):
        start = oldest + timedelta(days=rng.randint(0, span))
        ranges.append((start.isoformat(), (start + timedelta(days=RANGE_DAYS)).isoformat()))
    return Workload(rows=rows, clinic_id=clinic_id, mrns=mrns, ranges=ranges)


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _select_pass(connection: Connection, work: Workload, out: SelectSamples, name: str) -> None:
    """The select workload once: point lookups, range scans, a count and a full scan."""
    with stopwatch() as total_ms:
        for mrn in work.mrns:
            start = now_ms()
            found = connection.execute(POINT, (work.clinic_id, mrn)).fetchone()
            out.point_ms.append(now_ms() - start)
            if found is None:
                raise RuntimeError(f"{name}: a lookup found nothing")
        for low, high in work.ranges:
            start = now_ms()
            rows = connection.execute(RANGE, (work.clinic_id, low, high)).fetchall()
            out.range_ms.append(now_ms() - start)
            out.range_rows.append(len(rows))
        start = now_ms()
        counted = connection.execute(COUNT).fetchone()[0]
        out.count_ms.append(now_ms() - start)
        start = now_ms()
        connection.execute(FULL_SCAN).fetchone()
        out.scan_ms.append(now_ms() - start)
    out.total_ms.append(total_ms[0])
    if counted != len(work.rows):
        raise RuntimeError(f"{name}: counted {counted} rows, wrote {len(work.rows)}")


def _pragma(connection: Connection, name: str) -> str:
    return str(connection.execute(f"PRAGMA {name}").fetchone()[0])


def _run_variant(variant: Variant, work: Workload, path: Path, out: Samples) -> None:
    connection = variant.open(path)
    try:
        for statement in SCHEMA:
            connection.execute(statement)
        with stopwatch() as insert_ms:
            for offset in range(0, len(work.rows), BATCH_ROWS):
                start = now_ms()
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany(INSERT, work.rows[offset : offset + BATCH_ROWS])
                connection.execute("COMMIT")
                out.batch_ms.append(now_ms() - start)
        out.insert_ms.append(insert_ms[0])
    finally:
        connection.close()

    # A new connection: an empty page cache, so the first pass reads (and decrypts) every page it
    # needs from the file (the OS cache is warm); the second pass repeats it on that cache.
    connection = variant.open(path)
    try:
        out.pragmas = {name: _pragma(connection, name) for name in CHECKED_PRAGMAS}
        _select_pass(connection, work, out.cold, variant.name)
        _select_pass(connection, work, out.warm, variant.name)
    finally:
        connection.close()

    out.file_bytes = sum(
        Path(f"{path}{suffix}").stat().st_size
        for suffix in ("", "-wal")
        if Path(f"{path}{suffix}").exists()
    )
    with path.open("rb") as handle:
        plaintext = handle.read(len(PLAINTEXT_HEADER)) == PLAINTEXT_HEADER
    if plaintext == variant.encrypted:
        raise RuntimeError(f"{variant.name}: the file is {'not ' * plaintext}encrypted")


def _summary(samples: Samples, rows: int) -> Metrics:
    insert_ms = statistics.median(samples.insert_ms)
    cold, warm = samples.cold, samples.warm
    warm_point = latency(warm.point_ms, prefix="warm_point_")
    return {
        "insert_rows_per_s": rate(rows, insert_ms),
        "insert_ms": round(insert_ms, 3),
        **latency(samples.batch_ms, prefix="insert_batch_"),
        **latency(cold.point_ms, prefix="point_"),
        **latency(cold.range_ms, prefix="range_"),
        "range_rows_mean": round(statistics.mean(cold.range_rows), 1),
        "count_ms": round(statistics.median(cold.count_ms), 3),
        "full_scan_ms": round(statistics.median(cold.scan_ms), 3),
        "select_ms": round(statistics.median(cold.total_ms), 3),
        "warm_point_p50_ms": warm_point["warm_point_p50_ms"],
        "warm_point_p95_ms": warm_point["warm_point_p95_ms"],
        "warm_full_scan_ms": round(statistics.median(warm.scan_ms), 3),
        "warm_select_ms": round(statistics.median(warm.total_ms), 3),
        "file_bytes": samples.file_bytes,
        "cache_size": samples.pragmas["cache_size"],
        "page_size": samples.pragmas["page_size"],
    }


def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 3)


def run(scale: int | None, repeat: int, workdir: str | None) -> Result:
    if repeat < 1:
        raise ValueError("--repeat must be at least 1")
    rows = DEFAULT_ROWS if scale is None else scale
    if rows < 1:
        raise ValueError("--scale must be at least 1 row")
    note(f"generating {rows} patient rows")
    work = _workload(rows)
    variants = _variants()
    samples = {variant.name: Samples() for variant in variants}
    with tempfile.TemporaryDirectory(prefix="medtrack-bench-cipher-", dir=workdir) as tmp:
        for repetition in range(repeat):
            # Rotate the order so no variant always runs first (or last) on a warming machine.
            shift = repetition % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                path = Path(tmp) / f"{variant.name}-{repetition}.db"
                _run_variant(variant, work, path, samples[variant.name])
                _remove(path)
                done = samples[variant.name]
                note(
                    f"{repetition + 1}/{repeat} {variant.name}: insert "
                    f"{done.insert_ms[-1]:.0f} ms, select {done.cold.total_ms[-1]:.0f} ms cold, "
                    f"{done.warm.total_ms[-1]:.0f} ms warm"
                )

    pragmas = {v.name: samples[v.name].pragmas for v in variants if v.matched}
    if len({tuple(sorted(values.items())) for values in pragmas.values()}) != 1:
        raise RuntimeError(f"the variants ran with different pragmas: {pragmas}")
    results = {name: _summary(s, rows) for name, s in samples.items()}
    enc, plain, same = results["sqlcipher"], results["sqlite"], results["sqlcipher_unkeyed"]
    defaults = results["sqlite_defaults"]
    insert_ratio = _ratio(enc["insert_ms"], plain["insert_ms"])
    select_ratio = _ratio(enc["select_ms"], plain["select_ms"])
    return Result(
        scenario="cipher_overhead",
        scale=rows,
        metrics={
            "rows_per_s": enc["insert_rows_per_s"],
            "p50_ms": enc["point_p50_ms"],
            "p95_ms": enc["point_p95_ms"],
            "max_ms": enc["point_max_ms"],
            "insert_ratio": insert_ratio,
            "select_ratio": select_ratio,
            "point_p50_ratio": _ratio(enc["point_p50_ms"], plain["point_p50_ms"]),
            "point_p95_ratio": _ratio(enc["point_p95_ms"], plain["point_p95_ms"]),
            "warm_select_ratio": _ratio(enc["warm_select_ms"], plain["warm_select_ms"]),
            "insert_ratio_same_engine": _ratio(enc["insert_ms"], same["insert_ms"]),
            "select_ratio_same_engine": _ratio(enc["select_ms"], same["select_ms"]),
            "warm_select_ratio_same_engine": _ratio(
                enc["warm_select_ms"], same["warm_select_ms"]
            ),
            "insert_ratio_vs_defaults": _ratio(enc["insert_ms"], defaults["insert_ms"]),
            "select_ratio_vs_defaults": _ratio(enc["select_ms"], defaults["select_ms"]),
            "warm_select_ratio_vs_defaults": _ratio(
                enc["warm_select_ms"], defaults["warm_select_ms"]
            ),
        },
        target=f"insert_ratio <= {TARGET_RATIO} and select_ratio <= {TARGET_RATIO}",
        meets_target=insert_ratio <= TARGET_RATIO and select_ratio <= TARGET_RATIO,
        extra={
            "repeat": repeat,
            "variants": results,
            "pragmas": pragmas["sqlcipher"],
            "workload": {
                "batch_rows": BATCH_ROWS,
                "point_lookups": POINT_LOOKUPS,
                "range_scans": RANGE_SCANS,
                "range_days": RANGE_DAYS,
            },
        },
    )


SCENARIO = Scenario(
    name="cipher_overhead",
    summary="SQLCipher vs plain SQLite on one insert+select workload (target ratio <= 1.5)",
    default_scale=DEFAULT_ROWS,
    default_repeat=3,
    run=run,
)
