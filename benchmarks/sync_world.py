"""What the sync benchmarks share: a throwaway clinic server, workstations on their own logins,
changes made on a workstation as the app's capture triggers record them, and counters of what
a sync round sends to the server.

The server is a pgserver PostgreSQL with its data directory in the run's work dir, stopped and
deleted at the end; it is set up by ``server_setup.prepare_server`` as ``medtrack-admin server
init`` does, so every workstation works through its own login under row-level security. A
workstation's server engine is ``store.server.open_server_engine`` (a pool, as the app keeps).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.common import Metrics, note

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from medtrack_desktop.store.engine import Store

TODAY = date(2026, 1, 15)
SEED = 20261127
CLINIC = "Bench Clinic"
FRONT_DESK, PASSWORD = "frontdesk", "Bench!Passw0rd"
PAYERS = 12
_TABLE = re.compile(r"\b(?:INTO|FROM|UPDATE)\s+([\w.\"]+)", re.IGNORECASE)
_WRITES = re.compile(r"\bINSERT\s+INTO\s+[\w.\"]+", re.IGNORECASE)
PROFILE_ENV = "MEDTRACK_BENCH_PROFILE"


@contextmanager
def work_dir(prefix: str, workdir: str | None) -> Iterator[Path]:
    """A new directory for the run (under ``workdir``), deleted at the end."""
    base = Path(workdir) if workdir else None
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class ClinicServer:
    url: str  # the administrator's (the data directory's superuser)
    admin: Engine
    data: Path

    def cpu_seconds(self) -> float:
        """CPU time the server's processes have used so far (the postmaster, its live
        backends, and those that ended)."""
        import psutil  # pgserver's own dependency

        postmaster = psutil.Process(int((self.data / "postmaster.pid").read_text().split()[0]))
        own = postmaster.cpu_times()
        used = own.user + own.system + own.children_user + own.children_system
        for child in postmaster.children(recursive=True):
            try:
                times = child.cpu_times()
            except psutil.NoSuchProcess:
                continue
            used += times.user + times.system
        return used


@contextmanager
def clinic_server(root: Path) -> Iterator[ClinicServer]:
    """A PostgreSQL of the run's own (pgserver, data in ``root/pgdata``), migrated and set up
    for workstations; stopped at the end."""
    import pgserver
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from medtrack_desktop.store.server import open_server_engine
    from medtrack_desktop.sync.server_setup import prepare_server

    server = pgserver.get_server(root / "pgdata", cleanup_mode="stop")
    try:
        base = make_url(server.get_uri()).set(drivername="postgresql+psycopg")
        bootstrap = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with bootstrap.connect() as connection:
            connection.exec_driver_sql("CREATE DATABASE clinic")
        bootstrap.dispose()
        url = base.set(drivername="postgresql", database="clinic").render_as_string(
            hide_password=False)
        admin = open_server_engine(url)
        prepare_server(admin)
        try:
            yield ClinicServer(url, admin, root / "pgdata")
        finally:
            admin.dispose()
    finally:
        server.cleanup()


@dataclass
class Workstation:
    name: str
    store: Store
    server: Engine

    def close(self) -> None:
        self.store.close()
        self.server.dispose()


def _login_engine(server: ClinicServer, role: str, password: str) -> Engine:
    from sqlalchemy.engine import make_url

    from medtrack_desktop.store.server import open_server_engine

    return open_server_engine(make_url(server.url).set(username=role, password=password)
                              .render_as_string(hide_password=False))


def _new_store(path: Path) -> Store:
    from medtrack_desktop.store.engine import Store
    from medtrack_desktop.store.keys import generate_key
    from medtrack_desktop.store.migrate import upgrade

    store = Store.open(path, generate_key(), create=True)
    upgrade(store.engine)
    return store


def first_workstation(root: Path, server: ClinicServer, name: str = "desk") -> Workstation:
    """The clinic made on a workstation (clinic, roles, seat, a front-desk user, the field
    key), adopted by the server, the workstation given its login; nothing pushed yet."""
    import sqlalchemy as sa

    from medtrack_desktop.domain.identity.accounts import add_user
    from medtrack_desktop.domain.identity.actor import Actor
    from medtrack_desktop.domain.identity.field_keys import clinic_cipher
    from medtrack_desktop.domain.identity.models import Clinic
    from medtrack_desktop.domain.identity.workstation import initialize_workstation
    from medtrack_desktop.sync.server_setup import add_workstation, adopt_clinic

    store = _new_store(root / f"{name}.db")
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name=CLINIC, workstation_name=name)
        add_user(session, Actor.system(seat), username=FRONT_DESK, password=PASSWORD,
                 first_name="Front", last_name="Desk", roles=("front_desk",))
        clinic_cipher(session, seat.clinic_id)  # the field key, made once here
    with store.engine.connect() as connection:
        clinic = connection.execute(sa.select(Clinic.__table__)).mappings().one()
    adopt_clinic(server.admin, dict(clinic))
    login = add_workstation(server.admin, clinic_id=seat.clinic_id, name=name)
    return Workstation(name, store, _login_engine(server, login.role, login.password))


def clinic_of(store: Store) -> uuid.UUID:
    from medtrack_desktop.sync.round import local_identity

    with store.engine.connect() as connection:
        return local_identity(connection).clinic_id


def field_key_of(store: Store, clinic_id: uuid.UUID) -> bytes:
    import sqlalchemy as sa

    from medtrack_desktop.domain.identity.field_keys import field_key_setting

    with store.engine.connect() as connection:
        return bytes.fromhex(connection.execute(
            sa.text("SELECT value FROM local_settings WHERE key = :key"),
            {"key": field_key_setting(clinic_id)}).scalar_one())


def new_workstation(root: Path, server: ClinicServer, clinic_id: uuid.UUID,
                    name: str) -> Workstation:
    """A new, empty workstation database with a login of its own (not joined yet)."""
    from medtrack_desktop.sync.server_setup import add_workstation

    store = _new_store(root / f"{name}.db")
    login = add_workstation(server.admin, clinic_id=clinic_id, name=name)
    return Workstation(name, store, _login_engine(server, login.role, login.password))


# -- the changes ------------------------------------------------------------------------------


def generate(store: Store, patients: int) -> float:
    """``benchmarks.patient_generator`` patients (its raw inserts fire the capture triggers);
    returns its seconds."""
    from benchmarks.patient_generator import generate_patients

    start = time.perf_counter()
    generate_patients(store, count=patients, today=TODAY, seed=SEED,
                      progress=lambda done, total: note(f"generated {done:,}/{total:,}")
                      if done % 100_000 == 0 or done == total else None)
    return time.perf_counter() - start


def capture_generated(store: Store, *, batch: int = 5_000) -> int:
    """Put the generated patients in the outbox for real: the generator keeps the capture
    triggers silent for its load, so its rows are read back, deleted (foreign keys off for that
    one statement: each checked DELETE of a patient would scan the table for the unindexed
    ``merged_into_id``) and inserted again through SQLAlchemy Core in transactions of
    ``batch``, which fires the triggers as any write of the app does. Returns the rows."""
    from sqlalchemy import insert, select

    from medtrack_desktop.domain.patients.models import Patient

    table = Patient.__table__
    with store.engine.connect() as connection:
        rows = [dict(row) for row in connection.execute(
            select(table).order_by(table.c.mrn)).mappings()]
    pooled = store.engine.raw_connection()
    try:
        raw = pooled.driver_connection
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("BEGIN IMMEDIATE")
        raw.execute(f"DELETE FROM {table.name}")
        raw.execute("COMMIT")
    finally:
        pooled.invalidate()  # its foreign keys are off: no one else gets this connection
    for start in range(0, len(rows), batch):
        with store.engine.begin() as connection:
            connection.execute(insert(table), rows[start:start + batch])
    return len(rows)


def add_payers(store: Store) -> list[uuid.UUID]:
    """The clinic's insurance companies (Core inserts; captured)."""
    from sqlalchemy import insert

    from medtrack_desktop.domain.patients.models import InsuranceCompany
    from medtrack_desktop.store.base import new_id, utcnow

    clinic_id, now = clinic_of(store), utcnow()
    rows = [{"id": new_id(), "clinic_id": clinic_id, "name": f"Payer {n:02d} Health",
             "payer_id": f"P{n:05d}", "city": "Austin", "state": "TX", "postal_code": "78701",
             "phone": f"(512) 555-{1000 + n:04d}", "created_at": now, "updated_at": now,
             "version": 1} for n in range(PAYERS)]
    with store.engine.begin() as connection:
        connection.execute(insert(InsuranceCompany.__table__), rows)
    return [row["id"] for row in rows]


def patient_ids(store: Store) -> list[uuid.UUID]:
    from sqlalchemy import select

    from medtrack_desktop.domain.patients.models import Patient

    with store.engine.connect() as connection:
        return list(connection.execute(
            select(Patient.__table__.c.id).order_by(Patient.__table__.c.mrn)).scalars())


def add_policies(store: Store, patients: list[uuid.UUID], payers: list[uuid.UUID], *,
                 seed: int = SEED, batch: int = 5_000) -> int:
    """A primary policy for each of ``patients`` through SQLAlchemy Core, the member id sealed
    under the clinic's field key as ``insurance.save_policy`` stores it (captured by the
    triggers like any write)."""
    from sqlalchemy import insert

    from medtrack_desktop.domain.identity.field_keys import clinic_cipher
    from medtrack_desktop.domain.patients.insurance import _member_binding, member_id_digest
    from medtrack_desktop.domain.patients.models import PatientInsurance
    from medtrack_desktop.store.base import new_id, utcnow

    rng = random.Random(seed)
    clinic_id, now = clinic_of(store), utcnow()
    with store.session() as session:
        cipher = clinic_cipher(session, clinic_id)
    table = PatientInsurance.__table__
    written = 0
    for start in range(0, len(patients), batch):
        rows = []
        for patient_id in patients[start:start + batch]:
            policy_id = new_id()
            member = f"W{rng.randrange(10**9):09d}"
            rows.append({
                "id": policy_id, "clinic_id": clinic_id, "patient_id": patient_id,
                "company_id": rng.choice(payers), "rank": "primary",
                "plan_name": rng.choice(("PPO Gold", "HMO Silver", "EPO Bronze")),
                "member_id_cipher": cipher.seal(member, bound_to=_member_binding(policy_id)),
                "member_id_digest": member_id_digest(cipher, member),
                "group_number": f"G{rng.randrange(10**6):06d}", "subscriber_relation": "self",
                "copay": Decimal(rng.choice((10, 20, 25, 40))).quantize(Decimal("0.01")),
                "effective_on": TODAY - timedelta(days=rng.randrange(1, 2000)),
                "created_at": now, "updated_at": now, "version": 1})
        with store.engine.begin() as connection:
            connection.execute(insert(table), rows)
        written += len(rows)
    return written


def update_patients(store: Store, patients: list[uuid.UUID], *, seed: int = SEED,
                    batch: int = 5_000) -> int:
    """One edit each of ``patients`` as a service makes it (changed fields, ``version`` + 1,
    ``updated_at``/``_by``), through SQLAlchemy Core; captured as updates with their base
    version and base values. Half change the mobile phone, half the address."""
    from sqlalchemy import bindparam, select, update

    from medtrack_desktop.domain.identity.models import User
    from medtrack_desktop.domain.patients.models import Patient

    rng = random.Random(seed + 1)
    table = Patient.__table__
    with store.engine.connect() as connection:
        user_id = connection.execute(select(User.__table__.c.id).where(
            User.__table__.c.username == FRONT_DESK)).scalar_one()
    phone = (update(table).where(table.c.id == bindparam("pid"))
             .values(phone_mobile=bindparam("phone"), version=table.c.version + 1,
                     updated_at=bindparam("now"), updated_by=user_id))
    address = (update(table).where(table.c.id == bindparam("pid"))
               .values(address_line1=bindparam("street"), postal_code=bindparam("zip"),
                       version=table.c.version + 1, updated_at=bindparam("now"),
                       updated_by=user_id))
    written = 0
    for start in range(0, len(patients), batch):
        now = datetime.now(UTC)
        chunk = patients[start:start + batch]
        phones = [{"pid": pid, "now": now,
                   "phone": f"(512) 555-{rng.randrange(10_000):04d}"} for pid in chunk[::2]]
        streets = [{"pid": pid, "now": now, "street": f"{rng.randrange(1, 9999)} Oak St",
                    "zip": f"787{rng.randrange(100):02d}"} for pid in chunk[1::2]]
        with store.engine.begin() as connection:
            if phones:
                connection.execute(phone, phones)
            if streets:
                connection.execute(address, streets)
        written += len(chunk)
    return written


def outbox_by_kind(store: Store) -> dict[str, int]:
    from sqlalchemy import text

    with store.engine.connect() as connection:
        return {f"{table}.{operation}": count for table, operation, count in connection.execute(
            text("SELECT table_name, operation, count(*) FROM sync_outbox "
                 "GROUP BY table_name, operation ORDER BY 3 DESC"))}


def table_counts(store: Store, tables: tuple[str, ...]) -> dict[str, int]:
    from sqlalchemy import text

    with store.engine.connect() as connection:
        return {name: int(connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())
                for name in tables}


# -- measuring a round ------------------------------------------------------------------------


@dataclass
class Statements:
    """Statements an engine's connections sent, and the wall time from sending each to its
    result (``before``/``after_cursor_execute``: the round trip and the server's work, not the
    fetch of the rows); an ``executemany`` counts once. By kind: first word and table."""

    calls: int = 0
    many: int = 0
    seconds: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)
    kind_seconds: Counter[str] = field(default_factory=Counter)
    _sent: list[tuple[str, float]] = field(default_factory=list)

    def before(self, _conn: Any, _cursor: Any, statement: str, _parameters: Any,
               _context: Any, executemany: bool) -> None:
        self.calls += 1
        self.many += executemany
        words = statement.split(None, 1)
        kind = words[0].upper() if words else "?"
        if kind == "WITH" and (written := _WRITES.search(statement)):  # an insert with its log
            kind, statement = "INSERT", written.group(0)
        if kind not in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
            found = _TABLE.search(statement)
            kind = f"{kind} {found.group(1).strip(chr(34)) if found else ''}".strip()
            if "FOR UPDATE" in statement:
                kind += " FOR UPDATE"
        self.kinds[kind] += 1
        self._sent.append((kind, time.perf_counter()))

    def after(self, *_args: Any) -> None:
        if self._sent:
            kind, sent = self._sent.pop()
            elapsed = time.perf_counter() - sent
            self.seconds += elapsed
            self.kind_seconds[kind] += elapsed

    def report(self, rows: int, prefix: str) -> Metrics:
        return {f"{prefix}statements": self.calls,
                f"{prefix}statements_per_row": round(self.calls / rows, 2) if rows else None,
                f"{prefix}executemany": self.many,
                f"{prefix}statement_s": round(self.seconds, 2),
                f"{prefix}top_statements": {
                    kind: {"n": self.kinds[kind], "s": round(seconds, 2)}
                    for kind, seconds in self.kind_seconds.most_common(8)}}


@contextmanager
def counting(engine: Engine) -> Iterator[Statements]:
    from sqlalchemy import event

    counter = Statements()
    event.listen(engine, "before_cursor_execute", counter.before)
    event.listen(engine, "after_cursor_execute", counter.after)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter.before)
        event.remove(engine, "after_cursor_execute", counter.after)


@dataclass
class Phases:
    """A round's progress calls, timed: when the push ended and the pull's pages."""

    start: float = field(default_factory=time.perf_counter)
    cpu_start: float = field(default_factory=time.process_time)
    push_cpu: float | None = None
    push_end: float | None = None
    pull_first: float | None = None
    pull_end: float | None = None
    pushed: int = 0
    total: int = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if phase == "push":
            self.push_end, self.pushed, self.total = now, done, total
            self.push_cpu = time.process_time() - self.cpu_start
            if done % 10_000 < 500 or done == total:
                note(f"pushed {done:,}/{total:,} ({now - self.start:.1f} s)")
        else:
            self.pull_first = self.pull_first or now
            self.pull_end = now


@contextmanager
def profiled(name: str) -> Iterator[None]:
    """With ``MEDTRACK_BENCH_PROFILE=DIR``: the block under pyinstrument, its text and HTML
    reports written to ``DIR/<name>.txt``/``.html`` (the benchmark's figures then include the
    profiler's overhead)."""
    target = os.environ.get(PROFILE_ENV)
    if not target:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.002)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        out = Path(target)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.txt").write_text(
            profiler.output_text(unicode=True, show_all=False), encoding="utf-8")
        (out / f"{name}.html").write_text(profiler.output_html(), encoding="utf-8")
        profiler.last_session.save(str(out / f"{name}.pyisession"))
        note(f"profile written to {out / name}.txt / .html")


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


# -- filling the server directly --------------------------------------------------------------

_LOG_SQL = (
    "INSERT INTO medtrack_server.changes (clinic_id, server_seq, table_name, row_id, row_data) "
    "VALUES (:clinic_id, :server_seq, :table_name, :row_id, :row_data)")


def fill_server(store: Store, server: ClinicServer, tables: tuple[str, ...], *,
                chunk: int = 5_000) -> int:
    """Copy every row of ``tables`` (parents first) from the workstation to the server as a
    push would leave them — the row in its table and in the clinic's change log with the next
    ``server_seq``, the full row in wire form as ``apply_push`` logs an insert — in one
    administrator transaction under the clinic's push lock, then let go of the workstation's
    outbox as an acknowledged push does. A test-data shortcut: no ledger rows, and
    ``apply_push``'s per-row work is not done (``sync-push`` measures that). Returns the rows
    copied."""
    from sqlalchemy import bindparam, insert, select, text
    from sqlalchemy.dialects.postgresql import JSONB

    from medtrack_desktop.sync.server_apply import last_seq, lock_clinic
    from medtrack_desktop.sync.tables import synced
    from medtrack_desktop.sync.wire import encode_row

    clinic_id = clinic_of(store)
    log = text(_LOG_SQL).bindparams(bindparam("row_data", type_=JSONB))
    copied = 0
    with server.admin.begin() as remote, store.engine.connect() as local:
        lock_clinic(remote, clinic_id)
        seq = last_seq(remote, clinic_id)
        for name in tables:
            table = synced(name).table
            result = local.execution_options(yield_per=chunk).execute(
                select(table).order_by(table.c.id)).mappings()
            for part in result.partitions(chunk):
                rows = [dict(row) for row in part]
                remote.execute(insert(table), rows)
                entries = []
                for row in rows:
                    seq += 1
                    entries.append({"clinic_id": clinic_id, "server_seq": seq,
                                    "table_name": name, "row_id": row["id"],
                                    "row_data": encode_row(table, row)})
                remote.execute(log, entries)
                copied += len(rows)
            note(f"server filled with {name}: {copied:,} rows so far")
    with store.engine.begin() as connection:
        connection.execute(text("DELETE FROM sync_outbox"))
    return copied
