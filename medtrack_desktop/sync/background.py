"""Sync in the background (DESIGN §5): rounds on one worker thread, on a timer, on demand, and
soon after the server announces another workstation's push (LISTEN/NOTIFY).

One worker thread runs every round, so two rounds never overlap. A second thread keeps a
dedicated connection LISTENing on ``medtrack_sync`` while the server is reachable; a notice
for this clinic wakes the worker, and a burst of them (a push in many batches, several desks at
once) becomes one round. The LISTEN is set up only after a round succeeded, and each new LISTEN
asks for one more round, so a change announced before it was listening is not left waiting for
the timer.

A failed round is retried with back-off (doubling, capped); its error is kept in
``sync_state.last_error`` as a short, PHI-free sentence: a driver's message can quote the
statement's parameters, so only the error's class is ever recorded. Nothing here deletes from
the outbox: ``sync_round`` alone lets entries go, after the server acknowledged them.

After every round (and once at start) the status is read back from the workstation database —
a few counters, no PHI — and handed to ``on_status`` on the worker thread; the UI carries it to
its own thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from medtrack_desktop.store.base import utcnow
from medtrack_desktop.store.engine import reading
from medtrack_desktop.store.errors import StoreError
from medtrack_desktop.sync.conflict_review import open_conflict_count
from medtrack_desktop.sync.models import OutboxEntry, SyncState
from medtrack_desktop.sync.outbox import pending_count
from medtrack_desktop.sync.round import RoundSummary, SyncRefused, local_identity, sync_round
from medtrack_desktop.sync.server_apply import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

State = Literal["online", "offline", "refused", "not_configured", "syncing"]
#: Makes the clinic server's engine, or ``None`` when this workstation has none configured
#: (``sync.connection.open_clinic_server`` with the store's engine bound).
ServerFactory = Callable[[], Engine | None]
StatusCallback = Callable[["SyncStatus"], None]

UNREACHABLE = "The clinic server could not be reached."


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows; every field safe to show (no PHI).

    ``received`` counts the changes pulled in the round just ended beyond the echoes of this
    workstation's own pushes (an estimate that never counts an echo as news), so views refresh
    only when another workstation changed something. ``retry_in`` is the back-off, in seconds,
    after a failed round."""

    state: State
    last_success_at: datetime | None = None
    last_error: str | None = None
    pending: int = 0
    conflicts: int = 0
    received: int = 0
    retry_in: float | None = None


@dataclass(frozen=True)
class Timing:
    """The runner's clock: ``interval`` between rounds, ``backoff`` doubling up to
    ``backoff_max`` after failures, ``debounce`` to gather a burst of wake-ups into one round,
    ``listen_poll`` how long the listener waits for a notice before it checks for ``stop``,
    ``outbox_poll`` how often, while online, the outbox is looked at for a new local edit to
    push (so an edit leaves within about that time, not at the next timer round)."""

    interval: float = 10.0
    backoff: float = 5.0
    backoff_max: float = 300.0
    debounce: float = 0.15
    listen_poll: float = 0.5
    outbox_poll: float = 0.5


class SyncRunner:
    """Runs sync rounds of the workstation database ``local`` in the background.

    ``start()`` once; ``request()`` asks for a round now (the "Sync now" action); ``stop()``
    returns within its timeout even if a round is stuck on the network (the threads are
    daemons; a round cut short loses nothing)."""

    def __init__(self, local: Engine, server: ServerFactory, *, on_status: StatusCallback,
                 timing: Timing | None = None, listen: bool = True) -> None:
        self.local = local
        self._make_server = server
        self._on_status = on_status
        self.timing = timing or Timing()
        self._listen = listen
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._online = threading.Event()  # the last round succeeded: the listener may connect
        self._server: Engine | None = None
        self._clinic: str | None = None
        self._threads: list[threading.Thread] = []
        self.status = SyncStatus("syncing")
        self.rounds = 0  # rounds attempted, successful or not (tests and benchmarks)

    # -- control -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._threads:
            raise RuntimeError("this SyncRunner was started already")
        worker = threading.Thread(target=self._work, name="sync-worker", daemon=True)
        self._threads.append(worker)
        worker.start()

    def request(self) -> None:
        """Run a round as soon as the one running (if any) has ended; the status says
        "syncing" meanwhile (someone asked and waits for it)."""
        if self.running and self.status.state != "not_configured":
            self._publish(replace(self.status, state="syncing"))
        self._wake.set()

    def stop(self, timeout: float = 3.0) -> bool:
        """Stop both threads; True if they ended within ``timeout`` seconds."""
        self._stopping.set()
        self._wake.set()
        self._online.set()  # a listener waiting to connect sees ``stop`` at once
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        ended = not any(thread.is_alive() for thread in self._threads)
        if ended and self._server is not None:
            self._server.dispose()
        return ended

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    # -- the worker --------------------------------------------------------------------------

    def _work(self) -> None:
        try:
            with reading(self.local).connect() as connection:
                self._clinic = str(local_identity(connection).clinic_id)
            self._server = self._make_server()
        except SyncRefused as exc:  # no clinic yet
            self._publish(self._read_status("not_configured", error=str(exc)))
            return
        except StoreError as exc:  # no password kept, a passphrase needed: its own words
            self._publish(self._read_status("not_configured", error=str(exc)))
            return
        except Exception as exc:  # never a traceback in front of a user
            log.warning("clinic server settings unusable: %s", type(exc).__name__)
            self._publish(self._read_status(
                "not_configured", error=f"The server settings are unusable "
                                        f"({type(exc).__name__})."))
            return
        if self._server is None:
            self._publish(self._read_status("not_configured"))
            return
        self._publish(self._read_status("syncing"))
        if self._listen:
            listener = threading.Thread(target=self._listen_loop, name="sync-listener",
                                        daemon=True)
            self._threads.append(listener)
            listener.start()
        failures = 0
        delay = 0.0  # the first round at once
        while not self._stopping.is_set():
            self._wait(delay, watch_outbox=failures == 0)
            if self._stopping.is_set():
                break
            ok = self._round(failures)
            failures = 0 if ok else failures + 1
            delay = self.timing.interval if ok else self._backoff(failures)

    def _wait(self, delay: float, *, watch_outbox: bool) -> None:
        """Until ``delay`` has passed, a wake-up (then a short pause for the rest of a burst),
        or — while online — a change of this workstation's waiting to be pushed. During a
        back-off the outbox is not watched: the server is down, new edits wait with the rest."""
        deadline = time.monotonic() + delay
        while not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            step = min(remaining, self.timing.outbox_poll) if watch_outbox else remaining
            if self._wake.wait(step):
                self._stopping.wait(self.timing.debounce)  # let a burst of notices gather
                self._wake.clear()
                return
            if watch_outbox and self._outbox_waiting():
                return

    def _outbox_waiting(self) -> bool:
        """A local change waits (after a successful round the outbox was empty, so any entry
        is a new edit): one indexed read, no network."""
        try:
            with reading(self.local).connect() as connection:
                return connection.execute(select(OutboxEntry.local_seq).limit(1)).first() \
                    is not None
        except Exception as exc:  # the database is being closed: the next round says more
            log.info("outbox not read: %s", type(exc).__name__)
            return False

    def _backoff(self, failures: int) -> float:
        return min(self.timing.backoff * 2 ** (failures - 1), self.timing.backoff_max)

    def _round(self, failures: int) -> bool:
        assert self._server is not None
        self.rounds += 1
        try:
            summary = sync_round(self.local, self._server)
        except SyncRefused as exc:
            self._failed("refused", str(exc), failures)
            return False
        except (OperationalError, InterfaceError, OSError) as exc:
            log.info("sync round: server unreachable (%s)", type(exc).__name__)
            self._failed("offline", UNREACHABLE, failures)
            return False
        except DBAPIError as exc:
            log.warning("sync round: server error %s", type(exc.orig).__name__)
            self._failed("offline", f"The clinic server refused the round "
                                    f"({type(exc.orig).__name__}).", failures)
            return False
        except Exception as exc:
            # the type only: a message or traceback can quote a statement's values (PHI)
            log.error("sync round failed: %s", type(exc).__name__)
            self._failed("offline", f"Sync failed ({type(exc).__name__}).", failures)
            return False
        self._online.set()
        self._publish(self._read_status("online", received=_received(summary)))
        return True

    def _failed(self, state: State, message: str, failures: int) -> None:
        self._online.clear()
        if self._server is not None:
            self._server.dispose()  # broken pooled connections go; the next round reconnects
        if self._stopping.is_set():
            return  # the app is closing the database: record nothing more
        try:
            with self.local.begin() as connection:
                connection.execute(update(SyncState).where(SyncState.id == 1).values(
                    last_attempt_at=utcnow(), last_error=message))
        except Exception as exc:  # the local database itself failing is not ours to hide
            log.error("sync failure not recorded: %s", type(exc).__name__)
        self._publish(self._read_status(state, retry_in=self._backoff(failures + 1)))

    def _read_status(self, state: State, *, received: int = 0, retry_in: float | None = None,
                     error: str | None = None) -> SyncStatus:
        with reading(self.local).connect() as connection:
            row = connection.execute(select(SyncState.last_success_at, SyncState.last_error)
                                     .where(SyncState.id == 1)).one_or_none()
            pending = pending_count(connection)
            conflicts = open_conflict_count(Session(bind=connection))
        last_success, last_error = row if row is not None else (None, None)
        return SyncStatus(state, last_success, error or last_error, pending, int(conflicts),
                          received, retry_in)

    def _publish(self, status: SyncStatus) -> None:
        self.status = status
        try:
            self._on_status(status)
        except Exception as exc:
            log.error("sync status callback failed: %s", type(exc).__name__)

    # -- the listener ------------------------------------------------------------------------

    def _listen_loop(self) -> None:
        retry = 1.0  # between attempts that never got to LISTEN: doubling, at most a minute
        while not self._stopping.is_set():
            self._online.wait()
            if self._stopping.is_set():
                return
            listened = False
            try:
                listened = self._listen_once()
            except Exception as exc:  # the server went away: the worker's rounds find out
                log.info("sync listener lost its connection (%s)", type(exc).__name__)
                self._online.clear()
                self._wake.set()
            retry = 1.0 if listened else min(retry * 2, 60.0)
            self._stopping.wait(retry)

    def _listen_once(self) -> bool:
        """LISTEN until stopped, offline or the connection fails; True once LISTEN took."""
        assert self._server is not None
        connection = self._server.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            connection.exec_driver_sql(f"LISTEN {NOTIFY_CHANNEL}")
            driver = connection.connection.driver_connection
            self._wake.set()  # a change announced before LISTEN would wait for the timer
            while not self._stopping.is_set() and self._online.is_set():
                for notice in driver.notifies(timeout=self.timing.listen_poll):  # type: ignore[union-attr]
                    if notice.payload == self._clinic:
                        self._wake.set()
            return True
        finally:
            connection.invalidate()  # never back to the pool still LISTENing
            connection.close()


def _received(summary: RoundSummary) -> int:
    """Changes pulled beyond the most this round's own pushes can have echoed (one logged row
    per change, two for a conflict)."""
    return max(0, summary.pulled - summary.pushed - summary.conflicts)
