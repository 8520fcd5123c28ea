"""Writing and verifying the audit trail: a SHA-256 hash chain per workstation (DESIGN §4).

Each entry's hash covers its canonical JSON (sorted keys, no whitespace, UTF-8), which includes
the previous entry's hash, so an edited, removed, inserted or reordered entry breaks the chain.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.store.base import new_id, utcnow

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def _hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": str(entry.id),
        "clinic_id": str(entry.clinic_id),
        "workstation_id": str(entry.workstation_id),
        "seq": entry.seq,
        "occurred_at": entry.occurred_at.isoformat(),
        "user_id": str(entry.user_id) if entry.user_id else None,
        "username": entry.username,
        "user_role": entry.user_role,
        "action": entry.action,
        "outcome": entry.outcome,
        "resource_type": entry.resource_type,
        "resource_id": entry.resource_id,
        "patient_id": str(entry.patient_id) if entry.patient_id else None,
        "reason": entry.reason,
        "changes": entry.changes,
        "prev_hash": entry.prev_hash,
    }


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical_json(_hashed_fields(entry))).hexdigest()


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
    """Append several entries (keys as ``record``'s keyword arguments) in one go."""
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.entry_hash)
        .where(AuditEntry.workstation_id == seat.workstation_id)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    seq, prev_hash = (last.seq, last.entry_hash) if last else (0, GENESIS_HASH)
    now = utcnow()
    for event in events:
        seq += 1
        entry = AuditEntry(
            id=new_id(),
            clinic_id=seat.clinic_id,
            workstation_id=seat.workstation_id,
            seq=seq,
            occurred_at=now,
            user_id=actor.user_id if actor else None,
            username=actor.username if actor else username,
            user_role=",".join(actor.roles) if actor else None,
            prev_hash=prev_hash,
            **{"outcome": "success", **event},
        )
        entry.entry_hash = prev_hash = entry_hash(entry)
        session.add(entry)
    session.flush()


@dataclass(frozen=True)
class ChainCheck:
    workstation_id: uuid.UUID
    entries: int
    first_bad_seq: int | None
    problem: str | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_chain(session: Session, workstation_id: uuid.UUID) -> ChainCheck:
    """Recompute one workstation's chain; name the first entry that does not hold."""
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.workstation_id == workstation_id)
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=1000)
    )
    for entry in rows:
        count += 1
        problem = None
        if entry.seq != expected_seq:
            problem = f"sequence gap: expected {expected_seq}, found {entry.seq}"
        elif entry.prev_hash != expected_prev:
            problem = "link to the previous entry is broken"
        elif entry.entry_hash != entry_hash(entry):
            problem = "entry content does not match its hash"
        if problem:
            return ChainCheck(workstation_id, count, entry.seq, problem)
        expected_prev, expected_seq = entry.entry_hash, entry.seq + 1
    return ChainCheck(workstation_id, count, None, None)


def verify_trail(session: Session, actor: Actor) -> list[ChainCheck]:
    """Verify the chain of every workstation whose entries this database holds."""
    require(actor, "audit.read")
    workstations = session.scalars(
        select(AuditEntry.workstation_id).distinct().order_by(AuditEntry.workstation_id)
    )
    return [verify_chain(session, workstation_id) for workstation_id in workstations]
