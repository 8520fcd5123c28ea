"""Background sync between real workstations (SQLCipher files) and a real PostgreSQL: rounds on
the timer, on demand, woken by NOTIFY, back-off while the server is down, refusal, prompt stop."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sync_world import Workstation, make_pair

from medtrack_desktop.domain.scheduling.models import Facility
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.server import open_server_engine
from medtrack_desktop.sync.background import UNREACHABLE, SyncRunner, SyncStatus, Timing
from medtrack_desktop.sync.models import SyncState
from medtrack_desktop.sync.round import local_identity
from medtrack_desktop.sync.server_setup import prepare_server


class Recorder:
    """Collects the statuses a runner delivers (on its own thread)."""

    def __init__(self) -> None:
        self.statuses: list[SyncStatus] = []
        self._lock = threading.Lock()

    def __call__(self, status: SyncStatus) -> None:
        with self._lock:
            self.statuses.append(status)

    @property
    def last(self) -> SyncStatus | None:
        with self._lock:
            return self.statuses[-1] if self.statuses else None

    def states(self) -> list[str]:
        with self._lock:
            return [status.state for status in self.statuses]


def wait_for(condition: Callable[[], object], timeout: float, step: float = 0.02) -> float:
    """Seconds until ``condition()`` held; fails after ``timeout``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(step)
    return time.monotonic() - start


def runner_for(workstation: Workstation, recorder: Recorder, *,
               timing: Timing | None = None) -> SyncRunner:
    return SyncRunner(workstation.store.engine, lambda: workstation.server,
                      on_status=recorder, timing=timing)


def clinic_of(engine: sa.Engine) -> uuid.UUID:
    with engine.connect() as connection:
        return local_identity(connection).clinic_id


def facility_phone(workstation: Workstation) -> str:
    with workstation.store.engine.connect() as connection:
        return connection.execute(sa.select(Facility.phone)).scalar_one()


def set_facility_phone(workstation: Workstation, phone: str) -> None:
    """An ordinary local edit (the capture triggers put it in the outbox)."""
    with workstation.store.engine.begin() as connection:
        connection.execute(sa.update(Facility).values(phone=phone, version=Facility.version + 1))


def sync_state(workstation: Workstation) -> sa.Row[tuple[object, ...]]:
    with workstation.store.engine.connect() as connection:
        return connection.execute(sa.select(SyncState.last_success_at, SyncState.last_error)
                                  ).one()


def outbox_size(workstation: Workstation) -> int:
    with workstation.store.engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM sync_outbox")).scalar_one()





def test_an_edit_on_one_workstation_shows_on_the_other_within_seconds(
        pair: tuple[Workstation, Workstation]) -> None:
    a, b = pair
    seen_a, seen_b = Recorder(), Recorder()
    runner_a, runner_b = runner_for(a, seen_a), runner_for(b, seen_b)  # default timing: 10 s
    runner_a.start()
    runner_b.start()
    try:
        wait_for(lambda: seen_a.states()[-1:] == ["online"]
                 and seen_b.states()[-1:] == ["online"], 20)
        assert seen_a.statuses[0].state == "syncing"  # delivered at start, before the round
        time.sleep(1.0)  # both listeners are up (each asked for one round when it was)
        delays = []
        for n in range(3):
            set_facility_phone(a, f"555-010{n}")
            delays.append(wait_for(lambda n=n: facility_phone(b) == f"555-010{n}", 8))
        print(f"edit on A visible on B after {[round(d, 2) for d in delays]} s")
        assert max(delays) < 4.0  # the outbox watch and NOTIFY, well before the 10 s timer
        assert any(status.received for status in seen_b.statuses)  # B's views refresh
        assert outbox_size(a) == 0
        last_a = seen_a.last
        assert last_a is not None and last_a.state == "online" and last_a.pending == 0
        assert last_a.last_success_at is not None and last_a.last_error is None
    finally:
        assert runner_a.stop() and runner_b.stop()


def test_notices_of_another_clinic_wake_nothing(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, _b = pair
    seen = Recorder()
    runner = runner_for(a, seen)
    runner.start()
    try:
        wait_for(lambda: seen.states()[-1:] == ["online"], 20)
        time.sleep(1.0)
        rounds = runner.rounds
        with admin.connect() as connection:
            for _ in range(5):
                connection.execute(sa.text("SELECT pg_notify('medtrack_sync', :c)"),
                                   {"c": str(uuid.uuid4())})
            connection.commit()
        time.sleep(1.0)
        assert runner.rounds == rounds
        clinic = str(clinic_of(a.store.engine))
        with admin.connect() as connection:  # a burst for this clinic: one round (debounced)
            for _ in range(5):
                connection.execute(sa.text("SELECT pg_notify('medtrack_sync', :c)"),
                                   {"c": clinic})
            connection.commit()
        wait_for(lambda: runner.rounds > rounds, 3)
        time.sleep(1.0)
        assert runner.rounds == rounds + 1
    finally:
        assert runner.stop()


def test_sync_now_runs_a_round_at_once_and_says_syncing(
        pair: tuple[Workstation, Workstation]) -> None:
    a, _b = pair
    seen = Recorder()
    runner = runner_for(a, seen, timing=Timing(interval=60))
    runner.start()
    try:
        wait_for(lambda: seen.states()[-1:] == ["online"], 20)
        time.sleep(1.0)  # the listener's first round has run too
        rounds, count = runner.rounds, len(seen.statuses)
        runner.request()
        wait_for(lambda: runner.rounds > rounds and seen.states()[-1] == "online", 10)
        assert seen.states()[count] == "syncing"  # at once, before the round
    finally:
        assert runner.stop()


def test_a_refused_handshake_is_shown_and_recorded_without_writes(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, _b = pair
    set_facility_phone(a, "555-0199")
    with admin.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    seen = Recorder()
    runner = runner_for(a, seen, timing=Timing(backoff=0.2, backoff_max=0.4))
    runner.start()
    try:
        wait_for(lambda: seen.states().count("refused") >= 2, 10)
        status = seen.last
        assert status is not None and status.state == "refused"
        assert status.last_error is not None and "9999_future" in status.last_error
        assert status.pending == 1  # kept, never dropped
        assert sync_state(a).last_error == status.last_error
    finally:
        assert runner.stop()
    assert outbox_size(a) == 1


def test_no_server_configured(store: Store) -> None:
    with store.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO local_settings (key, value) "
                                   "VALUES ('clinic_id', :c)"), {"c": str(uuid.uuid4())})
    seen = Recorder()
    runner = SyncRunner(store.engine, lambda: None, on_status=seen)
    runner.start()
    wait_for(lambda: not runner.running, 5)
    assert seen.states() == ["not_configured"]
    runner.request()  # nothing to wake: no error
    assert runner.stop(0.1)


def test_stop_is_prompt_online_and_in_back_off(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, _b = pair
    seen = Recorder()
    runner = runner_for(a, seen)
    runner.start()
    wait_for(lambda: seen.states()[-1:] == ["online"], 20)
    time.sleep(0.7)  # listening
    start = time.monotonic()
    assert runner.stop()
    online_stop = time.monotonic() - start
    assert not runner.running

    with admin.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    seen = Recorder()
    runner = runner_for(a, seen)  # default back-off: 5 s after the first failure
    runner.start()
    wait_for(lambda: seen.states()[-1:] == ["refused"], 20)
    start = time.monotonic()
    assert runner.stop()
    backoff_stop = time.monotonic() - start
    print(f"stop() took {online_stop:.2f} s online, {backoff_stop:.2f} s in back-off")
    assert online_stop < 1.5 and backoff_stop < 1.0


# -- a server of its own, stopped and started again ------------------------------------------


@pytest.fixture
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str]]:
    """A PostgreSQL only this test uses (stopping it hurts no other test)."""
    pgserver = pytest.importorskip("pgserver")
    data = tmp_path_factory.mktemp("own-pg")
    server = pgserver.get_server(data, cleanup_mode="stop")
    try:
        admin = sa.create_engine(make_url(server.get_uri()).set(drivername="postgresql+psycopg"),
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql("CREATE DATABASE clinic")
        admin.dispose()
        yield server, make_url(server.get_uri()).set(database="clinic").render_as_string(
            hide_password=False)
    finally:
        server.cleanup()


def _pg_ctl(server: object, *args: str) -> None:
    from pgserver.postgres_server import pg_ctl

    pg_ctl(list(args), pgdata=server.pgdata, user=server.system_user)  # type: ignore[attr-defined]


def test_server_down_offline_with_back_off_then_recovers(
        own_server: tuple[object, str], tmp_path: Path) -> None:
    server, url = own_server
    admin = open_server_engine(url)
    prepare_server(admin)
    a, b = make_pair(tmp_path, admin, url)
    admin.dispose()
    seen = Recorder()
    runner = runner_for(a, seen, timing=Timing(backoff=0.25, backoff_max=1.0))
    runner.start()
    try:
        wait_for(lambda: seen.states()[-1:] == ["online"], 20)
        _pg_ctl(server, "-w", "stop", "-m", "fast")
        set_facility_phone(a, "555-0142")  # made while the server is down
        wait_for(lambda: seen.states().count("offline") >= 5, 15)
        offline = [s for s in seen.statuses if s.state == "offline"]
        assert [s.retry_in for s in offline[:4]] == [0.25, 0.5, 1.0, 1.0]
        assert all(s.last_error == UNREACHABLE for s in offline)
        assert offline[-1].pending == 1  # the edit made meanwhile waits in the outbox
        assert sync_state(a).last_error == UNREACHABLE
        assert sync_state(a).last_success_at is not None  # the earlier success is kept

        with server._lock:  # type: ignore[attr-defined]
            server.ensure_postgres_running()  # type: ignore[attr-defined]
        recovered = wait_for(lambda: seen.states()[-1:] == ["online"], 10)
        print(f"back online {recovered:.2f} s after the server restarted")
        assert seen.last is not None and seen.last.pending == 0
        assert sync_state(a).last_error is None
        b.sync()
        assert facility_phone(b) == "555-0142"
    finally:
        assert runner.stop()
        a.close()
        b.close()


def test_background_sync_imports_without_qt() -> None:
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'PySide6' or name.startswith('PySide6.'):\n"
        "            raise ImportError('Qt is not allowed below ui/')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import medtrack_desktop.sync.background\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0, result.stderr
