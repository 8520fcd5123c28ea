"""What a workstation's sync stands at, for ``medtrack-admin sync status``: counts and times,
never row data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select, update

from medtrack_desktop.store.base import utcnow
from medtrack_desktop.store.engine import reading
from medtrack_desktop.sync.models import SyncConflict, SyncState
from medtrack_desktop.sync.outbox import pending_count

_MAX_ERROR = 500


@dataclass(frozen=True)
class SyncCounts:
    pending: int
    cursor: int
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    open_conflicts: int


def sync_counts(local_engine: Engine) -> SyncCounts:
    with reading(local_engine).connect() as connection:
        state = connection.execute(select(
            SyncState.pulled_seq, SyncState.last_success_at, SyncState.last_attempt_at,
            SyncState.last_error).where(SyncState.id == 1)).first()
        conflicts = connection.execute(select(func.count()).select_from(SyncConflict).where(
            SyncConflict.resolved_at.is_(None))).scalar_one()
        pending = pending_count(connection)
    if state is None:
        return SyncCounts(pending, 0, None, None, None, int(conflicts))
    return SyncCounts(pending, int(state.pulled_seq or 0), state.last_success_at,
                      state.last_attempt_at, state.last_error, int(conflicts))


def record_failure(local_engine: Engine, message: str) -> None:
    """Remember a failed round's reason (a message of ours, no row data) and its time."""
    with local_engine.begin() as connection:
        connection.execute(update(SyncState).where(SyncState.id == 1).values(
            last_attempt_at=utcnow(), last_error=message[:_MAX_ERROR]))
