"""Locking the workstation while its user is away, and unlocking it again (DESIGN §4).

Only the user who was signed in can unlock, with their own password (and a code from their
authenticator when they use two-step sign-in); anyone else uses "switch user", which signs that
user out. A wrong password or code counts toward the same lockout as log-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import Clinic, User
from medtrack_desktop.domain.identity.reauth import confirm_identity

LOCK_REASONS = ("idle", "manual")


@dataclass(frozen=True)
class LockSettings:
    idle_minutes: int  # the clinic's idle time before a workstation locks
    code_required: bool  # the user unlocks with an authenticator code too


def lock_settings(session: Session, actor: Actor) -> LockSettings:
    """How the acting user's workstation locks and unlocks."""
    user = session.get(User, actor.user_id) if actor.user_id else None
    return LockSettings(
        idle_minutes=session.get_one(Clinic, actor.seat.clinic_id).idle_lock_minutes,
        code_required=bool(user and user.mfa_enabled),
    )


def lock(session: Session, actor: Actor, *, reason: str) -> None:
    """Record that the workstation was locked, on idle time or at the user's request."""
    if reason not in LOCK_REASONS:
        raise ValueError(f"lock reason must be one of {LOCK_REASONS}, not {reason!r}")
    trail.record(
        session, seat=actor.seat, actor=actor, action="workstation.lock",
        resource_type="workstation", resource_id=str(actor.seat.workstation_id), reason=reason,
    )


def unlock(
    session: Session, actor: Actor, *, password: str, code: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Check the locked user's own password (and, with two-step sign-in, their code); audit the
    attempt either way (``reauth.confirm_identity``)."""
    return confirm_identity(
        session, actor, password=password, code=code, action="workstation.unlock",
        resource_type="workstation", resource_id=str(actor.seat.workstation_id), now=now,
    ) is None
