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
from medtrack_desktop.domain.identity.accounts import count_failed_password
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.mfa import verify_second_factor
from medtrack_desktop.domain.identity.models import Clinic, User
from medtrack_desktop.domain.identity.passwords import verify_password
from medtrack_desktop.store.base import bind_actor, utcnow

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
    attempt either way."""
    user = session.get(User, actor.user_id) if actor.user_id else None
    valid = verify_password(user.password_hash if user else None, password)
    locked = user is not None and user.locked_until is not None and user.locked_until > utcnow()
    refused = (
        "unknown user" if user is None else "account locked" if locked
        else "account disabled" if not user.is_active else None if valid else "wrong password"
    )
    if refused is None and user is not None and user.mfa_enabled and not (
        code and verify_second_factor(session, seat=actor.seat, user_id=user.id, code=code,
                                      now=now)
    ):
        refused = "second factor refused"  # the code's own failure is counted and audited
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
