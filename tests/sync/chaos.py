"""Fault injection for sync (DESIGN §5, last bullet): a clinic server of its own that can be
restarted, three workstations cloned from one template per run, server connections cut at the
N-th statement, and the invariants checked after healing.

The template (a clinic made on workstation ``a``, adopted by the server, ``b`` and ``c`` joined)
is built once; every hypothesis example gets a fresh copy of it: ``CREATE DATABASE … TEMPLATE``
on the server and a copy of each SQLCipher file. Logins are roles of the cluster, so a copied
database lets the same logins in.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sync_world import differences, login_engine, snapshot

from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.migrate import upgrade
from medtrack_desktop.sync.join import join_clinic
from medtrack_desktop.sync.outbox import pending
from medtrack_desktop.sync.round import sync_round
from medtrack_desktop.sync.server_apply import Mutation
from medtrack_desktop.sync.server_setup import add_workstation, adopt_clinic, prepare_server
from medtrack_desktop.sync.tables import BOOKKEEPING, synced
from medtrack_desktop.sync.wire import encode

NAMES = ("a", "b", "c")
TEMPLATE = "chaos_template"


def _driver(url: str, database: str | None = None) -> sa.URL:
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    return parsed.set(database=database) if database else parsed


class PrivateServer:
    """A PostgreSQL of the run's own (pgserver) in ``directory``: it may be restarted."""

    def __init__(self, directory: Path) -> None:
        import pgserver

        self._server = pgserver.get_server(directory, cleanup_mode="stop")
        self.url = self._server.get_uri()
        self.restarts = 0
        # Durability is PostgreSQL's, not under test here (a restart is a fast shutdown, which
        # writes everything out): without fsync the run takes half the time on a busy disk.
        admin = self.admin()
        try:
            with admin.connect() as connection:
                for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                    connection.exec_driver_sql(f"ALTER SYSTEM SET {setting} = off")
                connection.exec_driver_sql("SELECT pg_reload_conf()")
        finally:
            admin.dispose()

    def admin(self, database: str | None = None) -> sa.Engine:
        return sa.create_engine(_driver(self.url, database), isolation_level="AUTOCOMMIT",
                                poolclass=sa.pool.NullPool)

    def database_url(self, database: str) -> str:
        return _driver(self.url, database).render_as_string(hide_password=False)

    def restart(self) -> None:
        """Stop (fast: every session ends, open transactions roll back) and start again."""
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=self._server.pgdata,
               user=self._server.system_user, timeout=60)
        self.restarts += 1

    def cleanup(self) -> None:
        """Stop the server: pgserver's own cleanup stops only the postmaster it started, which
        a restart replaced."""
        from pgserver._commands import pg_ctl

        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self._server.pgdata,
                   user=self._server.system_user, timeout=60)
        self._server.cleanup()


# -- the template ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatFile:
    name: str
    path: Path
    key: bytes
    role: str
    password: str


@dataclass(frozen=True)
class Template:
    database: str
    clinic_id: uuid.UUID
    seats: tuple[SeatFile, ...]
    provider_id: uuid.UUID
    facility_id: uuid.UUID
    category_id: uuid.UUID


def _new_store(path: Path) -> tuple[Store, bytes]:
    key = uuid.uuid4().bytes + uuid.uuid4().bytes
    store = Store.open(path, key, create=True)
    upgrade(store.engine)
    return store, key


def build_template(server: PrivateServer, directory: Path) -> Template:
    """Clinic A made offline on ``a``, adopted by the server; ``b`` and ``c`` joined; all in
    step with the server. Every engine is closed again (a template database has no sessions)."""
    from server_data import fill_clinic
    from sync_world import field_key_of

    admin = server.admin()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{TEMPLATE}"')
    admin.dispose()
    url = server.database_url(TEMPLATE)
    owner = sa.create_engine(url)
    prepare_server(owner)
    directory.mkdir(parents=True, exist_ok=True)
    seats = []
    store, key = _new_store(directory / "a.db")
    clinic_id = fill_clinic(store, "Clinic A", keep_seat=True)
    with store.engine.connect() as connection:
        clinic = connection.execute(sa.select(Clinic.__table__)).mappings().one()
        ids = dict(connection.execute(sa.text(
            "SELECT 'provider', id FROM users WHERE username = 'drlee' UNION ALL "
            "SELECT 'facility', id FROM facilities UNION ALL "
            "SELECT 'category', id FROM appointment_categories")).all())
    adopt_clinic(owner, dict(clinic))
    login = add_workstation(owner, clinic_id=clinic_id, name="a")
    engine = login_engine(url, login.role, login.password)
    sync_round(store.engine, engine)
    engine.dispose()
    field_key = field_key_of(store, clinic_id)
    store.close()
    seats.append(SeatFile("a", directory / "a.db", key, login.role, login.password))
    for name in NAMES[1:]:
        store, key = _new_store(directory / f"{name}.db")
        login = add_workstation(owner, clinic_id=clinic_id, name=name)
        engine = login_engine(url, login.role, login.password)
        join_clinic(store.engine, engine, workstation_name=name, field_key=field_key)
        engine.dispose()
        store.close()
        seats.append(SeatFile(name, directory / f"{name}.db", key, login.role, login.password))
    owner.dispose()
    return Template(TEMPLATE, clinic_id, tuple(seats), _uuid(ids["provider"]),
                    _uuid(ids["facility"]), _uuid(ids["category"]))


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


# -- faults ------------------------------------------------------------------------------------

#: Where a cut is counted from: the statement that starts the phase (the push's clinic lock, a
#: pull page's read, the audit chain's anchor) or any commit.
PHASES = {
    "push": "pg_advisory_xact_lock",
    "pull": "ORDER BY server_seq LIMIT",
    "audit": "audit_anchors",
}


class Cutter:
    """Cuts a workstation's server connection at the ``n``-th statement of a phase (counted
    from the statement that starts it, 0 = that one) or at the ``n``-th commit: the backend is
    terminated (or the whole server restarted) just before the statement goes out, so the
    driver meets a real dropped connection."""

    def __init__(self, engine: sa.Engine, server: PrivateServer) -> None:
        self.server = server
        self._armed: tuple[str, int, str] | None = None
        self._counting = False
        self.fired = 0
        event.listen(engine, "before_cursor_execute", self._before_execute)
        event.listen(engine, "commit", self._before_commit)

    def arm(self, phase: str, n: int, how: str = "terminate") -> None:
        self._armed, self._counting = (phase, n, how), phase == "commit"

    def disarm(self) -> bool:
        """Disarm; True when the cut was made."""
        fired = self._armed is None and self._counting
        self._armed, self._counting = None, False
        return fired

    def _tick(self, dbapi_connection: Any) -> None:
        assert self._armed is not None
        phase, n, how = self._armed
        if n > 0:
            self._armed = (phase, n - 1, how)
            return
        self._armed = None  # self._counting stays True: fired
        self.fired += 1
        if how == "restart":
            self.server.restart()
            return
        pid = dbapi_connection.info.backend_pid
        admin = self.server.admin()
        try:
            with admin.connect() as connection:
                connection.execute(sa.text("SELECT pg_terminate_backend(:pid, 10000)"),
                                   {"pid": pid})
        finally:
            admin.dispose()

    def _before_execute(self, conn: sa.Connection, cursor: Any, statement: str, *_: Any
                        ) -> None:
        if self._armed is None or self._armed[0] == "commit":
            return
        if not self._counting and PHASES[self._armed[0]] in statement:
            self._counting = True
        if self._counting:
            self._tick(cursor.connection)

    def _before_commit(self, conn: sa.Connection) -> None:
        if self._armed is not None and self._armed[0] == "commit":
            self._tick(conn.connection.dbapi_connection)


# -- a world: the template copied -------------------------------------------------------------


@dataclass
class Station:
    name: str
    store: Store
    server: sa.Engine
    role: str
    cutter: Cutter
    actor: Any = None

    def sync(self, **sizes: int) -> Any:
        return sync_round(self.store.engine, self.server, **sizes)

    def close(self) -> None:
        self.store.close()
        self.server.dispose()


_RUNS = itertools.count(1)


class World:
    """A copy of the template: its own server database and workstation files."""

    def __init__(self, server: PrivateServer, template: Template, directory: Path) -> None:
        self.server = server
        self.template = template
        self.clinic_id = template.clinic_id
        self.database = f"chaos_{uuid.uuid4().hex[:10]}"
        self.directory = directory / f"run-{next(_RUNS)}"
        self.directory.mkdir(parents=True)
        admin = server.admin()
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(
                    f'CREATE DATABASE "{self.database}" TEMPLATE "{template.database}"')
        finally:
            admin.dispose()
        self.url = server.database_url(self.database)
        self.admin = sa.create_engine(self.url, pool_pre_ping=True)
        self.stations: dict[str, Station] = {}
        for seat in template.seats:
            path = self.directory / seat.path.name
            shutil.copyfile(seat.path, path)
            engine = login_engine(self.url, seat.role, seat.password)
            self.stations[seat.name] = Station(seat.name, Store.open(path, seat.key), engine,
                                               seat.role, Cutter(engine, server))
        with self.admin.connect() as connection:
            self.ledger_before = int(connection.execute(sa.text(
                "SELECT count(*) FROM medtrack_server.ledger")).scalar_one())

    def seat(self, name: str) -> tuple[Path, bytes, str, str]:
        """Workstation ``name``'s file, key, login role and password (for another process)."""
        seat = next(seat for seat in self.template.seats if seat.name == name)
        return self.directory / seat.path.name, seat.key, seat.role, seat.password

    def reopen(self, name: str) -> None:
        """Open ``name``'s file again (after another process worked on it)."""
        path, key, _role, _password = self.seat(name)
        station = self.stations[name]
        station.store.close()
        station.store = Store.open(path, key)
        station.actor = None

    def close(self) -> None:
        for station in self.stations.values():
            station.close()
        self.admin.dispose()
        admin = self.server.admin()
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(
                    f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        finally:
            admin.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)


# -- what each workstation wrote, and the invariants ------------------------------------------


@dataclass
class Written:
    """Every outbox entry each workstation made, by mutation id (read before every push)."""

    by_station: dict[str, dict[uuid.UUID, Mutation]] = field(default_factory=dict)

    def record(self, station: Station) -> None:
        with station.store.engine.connect() as connection:
            entries = pending(connection, 1_000_000)
        mine = self.by_station.setdefault(station.name, {})
        for entry in entries:
            mine.setdefault(entry.mutation.mutation_id, entry.mutation)

    def count(self) -> int:
        return sum(len(mutations) for mutations in self.by_station.values())


@dataclass
class Report:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unconverged: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)
    mutations: int = 0
    steps: int = 0

    def problems(self) -> list[str]:
        return [*self.lost, *self.duplicated, *self.unconverged, *self.gaps]

    def counts(self) -> dict[str, int]:
        return {"lost": len(self.lost), "duplicated": len(self.duplicated),
                "unconverged": len(self.unconverged), "seq_gaps": len(self.gaps)}


def heal(world: World, *, attempts: int = 5) -> None:
    """Every cut disarmed; each workstation syncs until a round goes through (a restart's
    first connections may still meet a shutting-down server)."""
    for station in world.stations.values():
        station.cutter.disarm()
    for station in world.stations.values():
        for attempt in range(attempts):
            try:
                station.sync()
                break
            except sa.exc.OperationalError:
                if attempt == attempts - 1:
                    raise


def quiet_rounds(world: World, rounds: int = 2) -> None:
    for _ in range(rounds):
        for station in world.stations.values():
            station.sync()


def check(world: World, written: Written) -> Report:
    """The invariants of DESIGN §5 after healing and quiet rounds."""
    report = Report()
    server = snapshot(world.admin, world.clinic_id)
    for station in world.stations.values():
        with station.store.engine.connect() as connection:
            left = int(connection.execute(sa.text("SELECT count(*) FROM sync_outbox"))
                       .scalar_one())
        if left:
            report.unconverged.append(f"{station.name}: {left} outbox entries left")
        for difference in differences(snapshot(station.store.engine, world.clinic_id), server):
            report.unconverged.append(f"{station.name} vs server: {difference}")
    with world.admin.connect() as connection:
        _check_sequence(connection, world.clinic_id, report)
        _check_ledger(connection, world, written, report)
        _check_duplicates(connection, world.clinic_id, report)
    return report


def _check_sequence(connection: sa.Connection, clinic_id: uuid.UUID, report: Report) -> None:
    count, highest = connection.execute(sa.text(
        "SELECT count(*), coalesce(max(server_seq), 0) FROM medtrack_server.changes "
        "WHERE clinic_id = :clinic"), {"clinic": clinic_id}).one()
    if count != highest:
        report.gaps.append(f"server_seq: {count} changes numbered up to {highest}")


def _check_ledger(connection: sa.Connection, world: World, written: Written,
                  report: Report) -> None:
    rows = connection.execute(sa.text(
        "SELECT workstation_role, mutation_id, outcome, server_seq, conflict_id "
        "FROM medtrack_server.ledger")).all()
    by_id: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        by_id.setdefault(row.mutation_id, []).append(row)
    for mutation_id, found in by_id.items():
        if len(found) > 1:
            report.duplicated.append(f"ledger: mutation {mutation_id} {len(found)} times")
    expected = world.ledger_before + written.count()
    if len(rows) != expected:
        report.duplicated.append(f"ledger: {len(rows)} rows, expected {expected}")
    for name, mutations in written.by_station.items():
        role = world.stations[name].role
        for mutation in mutations.values():
            entries = [row for row in by_id.get(mutation.mutation_id, ())
                       if row.workstation_role == role]
            if not entries:
                report.lost.append(f"{name}: {_describe(mutation)} never reached the server")
                continue
            problem = _kept(connection, world.clinic_id, mutation, entries[0])
            if problem:
                report.lost.append(f"{name}: {_describe(mutation)}: {problem}")


def _describe(mutation: Mutation) -> str:
    fields = sorted(set(mutation.values) - BOOKKEEPING)
    return f"{mutation.operation} {mutation.table} {mutation.row_id} {fields[:4]}"


def _kept(connection: sa.Connection, clinic_id: uuid.UUID, mutation: Mutation,
          entry: Any) -> str | None:
    """None when the change is on the server (the change logged at its number holds its
    values) or kept in ``sync_conflicts``; else what is wrong."""
    if entry.outcome == "conflict":
        conflict = connection.execute(sa.text(
            "SELECT mutation_id, row_id FROM sync_conflicts WHERE id = :id"),
            {"id": entry.conflict_id}).first()
        if conflict is None or conflict.mutation_id != mutation.mutation_id or \
                conflict.row_id != mutation.row_id:
            return f"ledger says conflict {entry.conflict_id}, sync_conflicts disagrees"
        return None
    logged = connection.execute(sa.text(
        "SELECT table_name, row_id, row_data::text FROM medtrack_server.changes "
        "WHERE clinic_id = :clinic AND server_seq = :seq"),
        {"clinic": clinic_id, "seq": entry.server_seq}).first()
    if logged is None or logged.row_id != mutation.row_id or logged.table_name != mutation.table:
        return f"{entry.outcome} at server_seq {entry.server_seq}, which logs another row"
    row = json.loads(logged.row_data)
    columns = synced(mutation.table).table.c
    wrong = [name for name, value in mutation.values.items()
             if name not in BOOKKEEPING and row.get(name) != encode(columns[name], value)]
    if wrong:
        return f"{entry.outcome} but the logged row differs in {wrong}"
    return None


#: Natural keys that must not repeat among a clinic's live rows.
_UNIQUE = {
    "patients": ("mrn",),
    "appointment_status_changes": ("appointment_id", "sequence"),
}


def _check_duplicates(connection: sa.Connection, clinic_id: uuid.UUID, report: Report) -> None:
    for table, key in _UNIQUE.items():
        columns = ", ".join(key)
        found = connection.execute(sa.text(
            f"SELECT {columns}, count(*) FROM {table} WHERE clinic_id = :clinic "
            f"GROUP BY {columns} HAVING count(*) > 1"), {"clinic": clinic_id}).all()
        report.duplicated.extend(f"{table}: {tuple(row)[:-1]} {row[-1]} times" for row in found)
    found = connection.execute(sa.text(
        "SELECT last_name, count(*) FROM patients WHERE clinic_id = :clinic "
        "GROUP BY last_name HAVING count(*) > 1"), {"clinic": clinic_id}).all()
    report.duplicated.extend(f"patients: {row[0]} registered {row[1]} times" for row in found)


@contextmanager
def closing(world: World) -> Iterator[World]:
    try:
        yield world
    finally:
        world.close()



# -- a workstation in a process of its own -----------------------------------------------------


def sync_in_process(name: str, path: Path, key: bytes, url: str, role: str, password: str,
                    start: Any, rounds: int, die_after_commit: bool) -> None:
    """Run in a spawned process: wait for the others at ``start`` (a barrier), then sync
    ``rounds`` times in small batches. ``die_after_commit``: push one batch, and once the
    server committed it, die (SIGKILL) inside the local transaction deleting its entries."""
    import os
    import signal

    from medtrack_desktop.sync.outbox import acknowledge
    from medtrack_desktop.sync.round import local_identity
    from medtrack_desktop.sync.server_apply import apply_push

    store = Store.open(path, key)
    server = login_engine(url, role, password)
    start.wait(timeout=120)
    if die_after_commit:
        with store.engine.connect() as connection:
            identity = local_identity(connection)
            entries = pending(connection, 3)
        with server.begin() as connection:
            results = apply_push(connection, clinic_id=identity.clinic_id,
                                 workstation_id=identity.workstation_id,
                                 mutations=[entry.mutation for entry in entries])
        with store.engine.begin() as connection:
            acknowledge(connection, entries, results)
            os.kill(os.getpid(), signal.SIGKILL)
    for _ in range(rounds):
        sync_round(store.engine, server, push_batch=2, pull_page=3)
    store.close()
    server.dispose()
