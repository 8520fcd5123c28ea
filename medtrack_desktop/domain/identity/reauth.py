"""Proving again who is at the keyboard: unlocking the workstation, signing a record.

Only the signed-in user can confirm, with their own password (and a code from their
authenticator when they use two-step sign-in). A wrong password or code counts toward the same
lockout as log-in. The attempt is audited either way; the function returns instead of raising so
that the audit entry and the failure count commit with the caller's unit of work.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.accounts import count_failed_password
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.mfa import verify_second_factor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.passwords import verify_password
from medtrack_desktop.store.base import bind_actor, utcnow


def confirm_identity(
    session: Session, actor: Actor, *, password: str, code: str | None, action: str,
    resource_type: str, resource_id: str | None, now: datetime | None = None,
) -> str | None:
    """None when the password (and code) are the actor's own; else why not, in a few words
    (audited under ``action``)."""
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
        session, seat=actor.seat, actor=actor, action=action,
        outcome="failure" if refused else "success", resource_type=resource_type,
        resource_id=resource_id, reason=refused,
    )
    if user is not None and refused == "wrong password":
        count_failed_password(session, actor.seat, user)
    elif refused is None and user is not None and user.failed_login_attempts:
        bind_actor(session, user.id)
        user.failed_login_attempts = 0
    return refused
