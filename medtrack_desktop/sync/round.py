"""One sync round of a workstation with its clinic server: handshake, push, audit, pull.

Push always goes before pull. Each push batch is one server transaction; its entries leave the
outbox only in the local transaction that records the answer, after the server committed. A
round stopped anywhere (network, server, process) loses nothing: a batch whose answer was lost
is pushed again and answered from the ledger; a page not applied is read again.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, text

from medtrack_desktop import __version__
from medtrack_desktop.store.base import utcnow
from medtrack_desktop.store.engine import bulk_loading, reading
from medtrack_desktop.sync.audit_push import mark_audit_pushed, push_audit
from medtrack_desktop.sync.outbox import (
    OwnChanges,
    Pending,
    acknowledge,
    drop_refused,
    forget_own_changes,
    pending,
    pending_count,
)
from medtrack_desktop.sync.pull import Change, advance_cursor, apply_page, cursor, prepare
from medtrack_desktop.sync.server_apply import PushResult, apply_push, last_seq, read_changes

PUSH_BATCH = 1000
PULL_PAGE = 2000
AUDIT_BATCH = 2000
Progress = Callable[[str, int, int], None]


class SyncRefused(RuntimeError):
    """The handshake failed: nothing was written on either side; the message says why."""


@dataclass(frozen=True)
class Identity:
    clinic_id: uuid.UUID
    workstation_id: uuid.UUID | None


@dataclass
class RoundSummary:
    pushed: int = 0
    applied: int = 0
    merged: int = 0
    conflicts: int = 0
    audit_pushed: int = 0
    pulled: int = 0
    pending: int = 0
    server_seq: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


def local_identity(connection: Connection) -> Identity:
    settings = dict(connection.execute(text("SELECT key, value FROM local_settings")).all())
    if "clinic_id" not in settings:
        raise SyncRefused("This database belongs to no clinic yet; join a clinic first.")
    workstation = settings.get("workstation_id")
    return Identity(uuid.UUID(settings["clinic_id"]),
                    uuid.UUID(workstation) if workstation else None)


def local_revision(connection: Connection) -> str:
    return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def _same_release(a: str, b: str) -> bool:
    return a.split(".")[:2] == b.split(".")[:2]


def handshake(server: Connection, *, revision: str, clinic_id: uuid.UUID) -> None:
    """Refuse to sync unless both sides run the same schema and release and this login belongs
    to ``clinic_id``; reads only."""
    server_revision = server.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if server_revision != revision:
        behind = "this workstation" if (server_revision or "") > revision else "the server"
        raise SyncRefused(
            f"The clinic server's database is at schema {server_revision}, this workstation's "
            f"at {revision}: update {behind} so both run the same MedTrack version. "
            "Nothing was synced.")
    release = server.execute(text(
        "SELECT value FROM medtrack_server.server_info WHERE key = 'app_version'")).scalar()
    if release is not None and not _same_release(str(release), __version__):
        raise SyncRefused(
            f"The clinic server runs MedTrack {release}, this workstation {__version__}; "
            "install the same release on both. Nothing was synced.")
    clinics = set(server.execute(text(
        "SELECT medtrack_server.workstation_clinic_ids()")).scalars())
    if clinic_id not in clinics:
        raise SyncRefused(
            "This workstation's server login does not belong to its clinic (or was revoked). "
            "Nothing was synced.")


def sync_round(local: Engine, server: Engine, *, progress: Progress | None = None,
               push_batch: int = PUSH_BATCH, pull_page: int = PULL_PAGE) -> RoundSummary:
    """Handshake, push every pending change, push the audit chain, pull to the server's
    head. Raises ``SyncRefused`` on a mismatch; a network or server error propagates (the
    caller retries later; nothing is lost)."""
    with reading(local).connect() as connection:
        identity = local_identity(connection)
        revision = local_revision(connection)
    with server.connect() as connection:
        handshake(connection, revision=revision, clinic_id=identity.clinic_id)
    summary = RoundSummary()
    _push(local, server, identity, summary, push_batch, progress)
    if identity.workstation_id is not None:
        _push_audit(local, server, identity.workstation_id, summary)
    pull_to_head(local, server, identity, summary=summary, page_size=pull_page,
                 progress=progress)
    with local.begin() as connection:
        summary.pending = pending_count(connection)
        connection.execute(text(
            "UPDATE sync_state SET last_success_at = :now, last_attempt_at = :now, "
            "last_error = NULL WHERE id = 1"), {"now": utcnow()})
    return summary


def _push(local: Engine, server: Engine, identity: Identity, summary: RoundSummary,
          batch_size: int, progress: Progress | None) -> None:
    """Push the outbox batch by batch, three threads in step: while the server applies a
    batch, the next one is read and decoded and the answer to the one before is recorded
    (each a thread and a connection of its own). An answer is recorded after the server
    committed its batch, in the order of the batches; the local commit (pages encrypted
    and authenticated) took a fifth of a push while the server waited."""
    with reading(local).connect() as connection:
        total = pending_count(connection)
    refused: list[tuple[str, uuid.UUID]] = []  # newest first

    def read(after: int) -> list[Pending]:  # a snapshot: the recording is not kept waiting
        with reading(local).connect() as connection:
            return pending(connection, batch_size, after=after)

    def record(entries: list[Pending], results: list[PushResult]) -> list[tuple[str, uuid.UUID]]:
        with local.begin() as connection:
            return acknowledge(connection, entries, results)

    def settle(recording: Recording | None) -> None:  # counted once recorded
        nonlocal refused
        if recording is not None:
            refused = recording.answered.result() + refused
            _count(summary, recording.results)
            if progress is not None:
                progress("push", summary.pushed, max(total, summary.pushed))

    with _collector_paused(), \
            ThreadPoolExecutor(1, thread_name_prefix="outbox-reader") as reader, \
            ThreadPoolExecutor(1, thread_name_prefix="outbox-recorder") as recorder:
        upcoming = reader.submit(read, 0)
        recording: Recording | None = None
        while entries := upcoming.result():
            upcoming = reader.submit(read, entries[-1].local_seq)
            with server.begin() as connection:
                results = apply_push(connection, clinic_id=identity.clinic_id,
                                     workstation_id=identity.workstation_id,
                                     mutations=[entry.mutation for entry in entries])
            settle(recording)
            recording = Recording(recorder.submit(record, entries, results), results)
        settle(recording)
    if refused:  # a refused row that later refused rows pointed at can go now
        with local.begin() as connection:
            drop_refused(connection, refused)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a push or a pull: a batch's objects all live
    until its answer is recorded, a page's until it is applied, so the collector's passes,
    over the whole heap, freed nothing (a push of 100,000 changes took 24.3 CPU seconds with
    them, 18.9 without). Reference counting still frees every batch and page."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class Recording:
    """A push batch's answer being recorded locally; ``answered``: the rows it refused."""

    answered: Future[list[tuple[str, uuid.UUID]]]
    results: list[PushResult]


def _count(summary: RoundSummary, results: list[PushResult]) -> None:
    for result in results:
        summary.outcomes[result.outcome] = summary.outcomes.get(result.outcome, 0) + 1
    summary.pushed += len(results)
    summary.applied += sum(result.outcome == "applied" for result in results)
    summary.merged += sum(result.outcome == "merged" for result in results)
    summary.conflicts += sum(result.outcome == "conflict" for result in results)


def _push_audit(local: Engine, server: Engine, workstation_id: uuid.UUID,
                summary: RoundSummary) -> None:
    while True:
        with local.connect() as connection, server.begin() as server_connection:
            count, head = push_audit(connection, server_connection,
                                     workstation_id=workstation_id, limit=AUDIT_BATCH)
        if head is None:
            return
        with local.begin() as connection:
            mark_audit_pushed(connection, head)
        summary.audit_pushed += count


def pull_to_head(local: Engine, server: Engine, identity: Identity, *,
                 summary: RoundSummary | None = None, page_size: int = PULL_PAGE,
                 progress: Progress | None = None, bulk: bool = False) -> RoundSummary:
    """Pull page by page up to the server's last change as of now (each page committed with
    the cursor, so an interrupted pull goes on from there). ``bulk``: a new workstation filling
    itself (``store.engine.bulk_loading``)."""
    summary = summary if summary is not None else RoundSummary()
    with server.connect() as connection:
        head = last_seq(connection, identity.clinic_id)
    summary.server_seq = head

    # The next page is read while this one is written (a thread of its own, waiting on the
    # server). Decoding stays here: Python work in that thread would hold the GIL each time
    # the writes below come back for it, and slowed a join down by a fifth.
    with _collector_paused(), \
            ThreadPoolExecutor(1, thread_name_prefix="changes-reader") as reader, \
            local.connect() as connection:
        after = cursor(connection)
        own = OwnChanges.read(connection, after)  # its own changes applied as sent: not read
        connection.commit()

        def read(after: int) -> list[Change]:
            with server.connect() as server_connection:
                return read_changes(server_connection, clinic_id=identity.clinic_id,
                                    after=after, limit=page_size, skip=own.runs)

        with bulk_loading(connection) if bulk else nullcontext():
            upcoming = reader.submit(read, after) if after < head else None
            while upcoming is not None and (changes := upcoming.result()):
                last = changes[-1][0]
                upcoming = reader.submit(read, last) if last < head else None
                page = prepare(changes, workstation_id=identity.workstation_id,
                               own=own.latest)
                with connection.begin():
                    apply_page(connection, page, workstation_id=identity.workstation_id)
                summary.pulled += page.changes
                if progress is not None:
                    progress("pull", last, head)
            if after < head:  # every change up to the head not applied here is its own
                with connection.begin():
                    advance_cursor(connection, head)
                    forget_own_changes(connection, head)
    return summary
