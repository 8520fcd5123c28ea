"""Locking the workstation while its user is away, and unlocking it again (DESIGN §4).

Only the user who was signed in can unlock, with their own password; anyone else uses "switch
user", which signs that user out. A wrong password counts toward the same lockout as log-in.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.accounts import count_failed_password
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import Clinic, User
from medtrack_desktop.domain.identity.passwords import verify_password
from medtrack_desktop.store.base import bind_actor, utcnow

LOCK_REASONS = ("idle", "manual")


def idle_lock_minutes(session: Session, clinic_id: uuid.UUID) -> int:
    """How long the clinic's workstations may sit idle before they lock."""
    return session.get_one(Clinic, clinic_id).idle_lock_minutes


def lock(session: Session, actor: Actor, *, reason: str) -> None:
    """Record that the workstation was locked, on idle time or at the user's request."""
    if reason not in LOCK_REASONS:
        raise ValueError(f"lock reason must be one of {LOCK_REASONS}, not {reason!r}")
    trail.record(
        session, seat=actor.seat, actor=actor, action="workstation.lock",
        resource_type="workstation", resource_id=str(actor.seat.workstation_id), reason=reason,
    )


def unlock(session: Session, actor: Actor, *, password: str) -> bool:
    """Check the locked user's own password; audit the attempt either way."""
    user = session.get(User, actor.user_id) if actor.user_id else None
    valid = verify_password(user.password_hash if user else None, password)
    locked = user is not None and user.locked_until is not None and user.locked_until > utcnow()
    refused = (
        "unknown user" if user is None else "account locked" if locked
        else "account disabled" if not user.is_active else None if valid else "wrong password"
    )
    trail.record(
        session, seat=actor.seat, actor=actor, action="workstation.unlock",
        outcome="failure" if refused else "success", resource_type="workstation",
        resource_id=str(actor.seat.workstation_id), reason=refused,
    )
    if user is not None and refused == "wrong password":
        count_failed_password(session, actor.seat, user)
    elif refused is None and user is not None and user.failed_login_attempts:
        bind_actor(session, user.id)
        user.failed_login_attempts = 0
    return refused is None
