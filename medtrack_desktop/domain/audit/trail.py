"""Writing and verifying the audit trail: a SHA-256 hash chain per workstation (DESIGN §4).

Each entry's hash covers its canonical JSON (sorted keys, no whitespace, UTF-8), which includes
the previous entry's hash, so an edited, removed, inserted or reordered entry breaks the chain.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Uuid, bindparam, func, insert, select, text
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit.canonical import (
    STORED_COLUMNS,
    stored_entry_hash,
)
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.store.base import new_id, utcnow

GENESIS_HASH = "0" * 64
_HEAD_KEY = "medtrack.audit_head"
# Built once: every service call appends, and building a statement costs more than running it.
_LOG = AuditEntry.__table__
_CHAIN_HEAD = (
    select(_LOG.c.seq, _LOG.c.entry_hash)
    .where(_LOG.c.workstation_id == bindparam("workstation_id", type_=Uuid()))
    .order_by(_LOG.c.seq.desc())
    .limit(1)
)
_APPEND = insert(_LOG)  # Core: no ORM bookkeeping
_CHAIN_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def entry_hash(entry: AuditEntry | Mapping[str, Any]) -> str:
    """The SHA-256 of an entry (a stored row, or the column values of one being written)."""
    field = entry.get if isinstance(entry, Mapping) else partial(getattr, entry)
    return stored_entry_hash(tuple(field(column) for column in STORED_COLUMNS))


def record(
    session: Session,
    *,
    seat: Seat,
    actor: Actor | None,
    action: str,
    outcome: str = "success",
    username: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    patient_id: uuid.UUID | None = None,
    reason: str | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Append one entry to this workstation's chain, in the caller's transaction."""
    record_many(
        session,
        seat=seat,
        actor=actor,
        username=username,
        events=[
            {
                "action": action,
                "outcome": outcome,
                "resource_type": resource_type,
                "resource_id": resource_id,
                "patient_id": patient_id,
                "reason": reason,
                "changes": changes,
            }
        ],
    )


def record_many(
    session: Session,
    *,
    seat: Seat,
    actor: Actor | None,
    events: list[dict[str, Any]],
    username: str | None = None,
) -> None:
    """Append several entries (keys as ``record``'s keyword arguments) in one go.

    Rows go in with a Core INSERT (no unit-of-work bookkeeping: the audit is on every service
    call's path). The chain head is read once per transaction and then kept in ``session.info``
    for the rest of it: inside one transaction nobody else appends to this workstation's chain,
    and a new transaction (after commit or rollback) reads it again.
    """
    transaction = session.get_transaction()
    cached = session.info.get((_HEAD_KEY, seat.workstation_id))
    if cached is not None and transaction is not None and cached[0] is transaction:
        seq, prev_hash = cached[1], cached[2]
    else:
        if session.get_bind().dialect.name == "postgresql":
            # several connections of one workstation may append at once (SQLite's write lock
            # serialises them on a workstation): one at a time, until this transaction ends
            session.execute(_CHAIN_LOCK, {"key": f"medtrack_audit:{seat.workstation_id}"})
        last = session.execute(_CHAIN_HEAD, {"workstation_id": seat.workstation_id}).first()
        seq, prev_hash = (last.seq, last.entry_hash) if last else (0, GENESIS_HASH)
    now = utcnow()
    rows = []
    for event in events:
        seq += 1
        row = {
            "resource_type": None, "resource_id": None, "patient_id": None, "reason": None,
            "changes": None, "outcome": "success",
            **event,
            "id": new_id(),
            "clinic_id": seat.clinic_id,
            "workstation_id": seat.workstation_id,
            "seq": seq,
            "occurred_at": now,
            "user_id": actor.user_id if actor else None,
            "username": actor.username if actor else username,
            "user_role": ",".join(actor.roles) if actor else None,
            "prev_hash": prev_hash,
        }
        row["entry_hash"] = prev_hash = entry_hash(row)
        rows.append(row)
    if rows:
        session.execute(_APPEND, rows[0] if len(rows) == 1 else rows)
    session.info[(_HEAD_KEY, seat.workstation_id)] = (session.get_transaction(), seq, prev_hash)


@dataclass(frozen=True)
class ChainCheck:
    workstation_id: uuid.UUID
    entries: int
    first_bad_seq: int | None
    problem: str | None

    @property
    def intact(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class ChainAnchor:
    """A chain head kept outside this database (by the server, or an administrator's file).

    The chain alone cannot show that its newest entries were cut off; an anchor can: the
    anchored entry must still be there with the same hash.
    """

    workstation_id: uuid.UUID
    seq: int
    entry_hash: str


def check_entries(
    workstation_id: uuid.UUID, entries: Iterable[AuditEntry], *, anchor: ChainAnchor | None = None
) -> ChainCheck:
    """Recompute a chain given oldest first (entry objects); name the first that does not hold."""
    links = ((e.seq, e.prev_hash, e.entry_hash, entry_hash(e)) for e in entries)
    return check_links(workstation_id, links, anchor=anchor)


@dataclass(frozen=True)
class ChainWalk:
    """What checking a stretch of a chain found: where it started (its first entry's link to the
    entry before), where it ended, and the first entry that does not hold, if any."""

    count: int
    first_prev: str | None
    last_seq: int
    last_hash: str | None
    bad_seq: int | None = None
    problem: str | None = None


def walk_links(
    links: Iterable[tuple[int, str, str, str]], *, first_seq: int = 1,
    first_prev: str | None = GENESIS_HASH, anchor: ChainAnchor | None = None,
) -> ChainWalk:
    """Check (seq, prev_hash, stored hash, recomputed hash) oldest first, from ``first_seq``.
    ``first_prev`` None takes the first entry's link as it is (a stretch checked apart from
    the entries before it; the caller joins the stretches)."""
    expected_prev, expected_seq, count = first_prev, first_seq, 0
    anchor_seq = anchor.seq if anchor is not None else None
    seen_prev = None
    for seq, prev_hash, stored, recomputed in links:
        if count == 0:
            seen_prev = prev_hash
            expected_prev = prev_hash if expected_prev is None else expected_prev
        count += 1
        problem = None
        if seq != expected_seq:
            problem = f"sequence gap: expected {expected_seq}, found {seq}"
        elif prev_hash != expected_prev:
            problem = "link to the previous entry is broken"
        elif stored != recomputed:
            problem = "entry content does not match its hash"
        elif seq == anchor_seq and stored != anchor.entry_hash:  # type: ignore[union-attr]
            problem = "entry differs from the anchored one"
        if problem:
            return ChainWalk(count, seen_prev, expected_seq - 1, expected_prev, seq, problem)
        expected_prev, expected_seq = stored, seq + 1
    return ChainWalk(count, seen_prev, expected_seq - 1, expected_prev)


def finish_check(
    workstation_id: uuid.UUID, walk: ChainWalk, anchor: ChainAnchor | None
) -> ChainCheck:
    """A whole chain's walk as a check: with an anchor, a chain that ends early is cut."""
    if walk.problem is not None:
        return ChainCheck(workstation_id, walk.count, walk.bad_seq, walk.problem)
    if anchor is not None and walk.last_seq < anchor.seq:
        return ChainCheck(
            workstation_id, walk.count, walk.last_seq + 1,
            f"the newest entries are missing: the anchor names entry {anchor.seq}, "
            f"the chain ends at {walk.last_seq}",
        )
    return ChainCheck(workstation_id, walk.count, None, None)


def check_links(
    workstation_id: uuid.UUID, links: Iterable[tuple[int, str, str, str]], *,
    anchor: ChainAnchor | None = None,
) -> ChainCheck:
    """Check a whole chain given oldest first as (seq, prev_hash, stored, recomputed hash)."""
    return finish_check(workstation_id, walk_links(links, anchor=anchor), anchor)


def stored_links(
    session: Session, workstation_id: uuid.UUID, *, first_seq: int = 1,
    last_seq: int | None = None,
) -> Iterator[tuple[int, str, str, str]]:
    """The stored chain (or the stretch ``first_seq``..``last_seq``) as links, oldest first."""
    # Raw driver rows (no ORM objects, no type conversion, no Row wrappers: the DB-API cursor
    # itself): a chain can hold millions of entries, and ``stored_entry_hash`` reads SQLite's
    # stored text and PostgreSQL's types alike.
    upper = "" if last_seq is None else " AND seq <= :last_seq"
    result = session.connection().execute(
        text(f"SELECT {', '.join(STORED_COLUMNS)}, entry_hash FROM audit_log "
             f"WHERE workstation_id = :workstation_id AND seq >= :first_seq{upper} "
             "ORDER BY seq")
        .bindparams(bindparam("workstation_id", type_=Uuid())),
        {"workstation_id": workstation_id, "first_seq": first_seq, "last_seq": last_seq},
    )
    cursor = result.cursor
    try:
        while rows := cursor.fetchmany(5000):
            for row in rows:
                yield row[3], row[15], row[16], stored_entry_hash(row)
    finally:
        result.close()


def verify_chain(
    session: Session, workstation_id: uuid.UUID, *, anchor: ChainAnchor | None = None
) -> ChainCheck:
    """Recompute one workstation's chain as stored in this database."""
    return check_links(workstation_id, stored_links(session, workstation_id), anchor=anchor)


def chain_heads(session: Session, actor: Actor) -> list[ChainAnchor]:
    """The newest entry of every workstation's chain, to be kept as anchors elsewhere."""
    require(actor, "audit.read")
    newest = (
        select(AuditEntry.workstation_id, func.max(AuditEntry.seq).label("seq"))
        .group_by(AuditEntry.workstation_id)
        .subquery()
    )
    rows = session.execute(
        select(AuditEntry.workstation_id, AuditEntry.seq, AuditEntry.entry_hash)
        .join(newest, (AuditEntry.workstation_id == newest.c.workstation_id)
              & (AuditEntry.seq == newest.c.seq))
        .order_by(AuditEntry.workstation_id)
    )
    return [ChainAnchor(row.workstation_id, row.seq, row.entry_hash) for row in rows]


def verify_trail(
    session: Session, actor: Actor, *, anchors: Iterable[ChainAnchor] = ()
) -> list[ChainCheck]:
    """Verify every workstation's chain held here (and every anchored one, even if emptied)."""
    require(actor, "audit.read")
    by_workstation = {anchor.workstation_id: anchor for anchor in anchors}
    workstations = set(session.scalars(select(AuditEntry.workstation_id).distinct()))
    return [
        verify_chain(session, workstation_id, anchor=by_workstation.get(workstation_id))
        for workstation_id in sorted(workstations | set(by_workstation))
    ]
