"""User accounts and log-in.

Log-in never tells which part was wrong (no user enumeration) and is audited either way. It
returns an outcome instead of raising, so the audit entry of a failure commits with the unit of
work that recorded it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.models import Role, User, UserRole
from medtrack_desktop.domain.identity.passwords import hash_password, verify_password
from medtrack_desktop.domain.identity.permissions import permissions_of, require
from medtrack_desktop.store.base import bind_actor, utcnow

LOGIN_FAILED_MESSAGE = "The user name or password is not correct."


class AccountError(ValueError):
    """An account request is invalid; the message names the field and the reason."""


@dataclass(frozen=True)
class UserInfo:
    id: uuid.UUID
    username: str
    display_name: str
    roles: tuple[str, ...]
    is_active: bool


@dataclass(frozen=True)
class LoginOutcome:
    actor: Actor | None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.actor is not None


def _roles_of(session: Session, user_id: uuid.UUID) -> tuple[str, ...]:
    names = session.scalars(
        select(Role.name)
        .join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user_id, UserRole.deleted_at.is_(None))
        .order_by(Role.name)
    )
    return tuple(names)


def add_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    password: str,
    first_name: str,
    last_name: str,
    roles: tuple[str, ...],
    email: str | None = None,
    npi: str | None = None,
    dea_number: str | None = None,
    license_number: str | None = None,
    license_state: str | None = None,
    patient_id: uuid.UUID | None = None,
) -> UserInfo:
    """Create a user of the actor's clinic with the given roles."""
    require(actor, "user.admin")
    clinic_id = actor.seat.clinic_id
    username = username.strip().lower()
    if not username or len(username) > 150:
        raise AccountError("User name: 1 to 150 characters.")
    if not first_name.strip() or not last_name.strip():
        raise AccountError("First and last name are required.")
    if not roles:
        raise AccountError("Roles: give the user at least one role.")
    exists = session.scalar(
        select(User.id).where(User.clinic_id == clinic_id, User.username == username)
    )
    if exists:
        raise AccountError(f"User name: {username!r} is taken.")
    role_rows = {
        row.name: row
        for row in session.scalars(
            select(Role).where(Role.clinic_id == clinic_id, Role.name.in_(roles))
        )
    }
    missing = sorted(set(roles) - set(role_rows))
    if missing:
        raise AccountError(f"Roles: unknown role(s) {', '.join(missing)}.")

    bind_actor(session, actor.user_id)
    user = User(
        clinic_id=clinic_id,
        username=username,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        npi=npi,
        dea_number=dea_number,
        license_number=license_number,
        license_state=license_state,
        password_hash=hash_password(password),
        last_password_change=utcnow(),
        patient_id=patient_id,
    )
    session.add(user)
    session.flush()
    for name in sorted(set(roles)):
        session.add(UserRole(clinic_id=clinic_id, user_id=user.id, role_id=role_rows[name].id))
    session.flush()
    trail.record(
        session,
        seat=actor.seat,
        actor=actor,
        action="user.create",
        resource_type="user",
        resource_id=str(user.id),
        changes={"username": username, "roles": sorted(set(roles))},
    )
    return UserInfo(user.id, user.username, user.display_name, tuple(sorted(set(roles))), True)


def authenticate(session: Session, *, seat: Seat, username: str, password: str) -> LoginOutcome:
    """Check a user name and password at this seat; audit success and failure alike."""
    username = username.strip().lower()
    user = session.scalar(
        select(User).where(User.clinic_id == seat.clinic_id, User.username == username)
    )
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        if user is not None:
            user.failed_login_attempts += 1
        trail.record(
            session,
            seat=seat,
            actor=None,
            username=username[:150],
            action="login",
            outcome="failure",
            resource_type="user",
            resource_id=str(user.id) if user else None,
        )
        return LoginOutcome(None, LOGIN_FAILED_MESSAGE)

    roles = _roles_of(session, user.id)
    actor = Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=roles,
        permissions=permissions_of(roles),
        seat=seat,
    )
    bind_actor(session, user.id)
    user.failed_login_attempts = 0
    user.last_login_at = utcnow()
    trail.record(
        session, seat=seat, actor=actor, action="login", resource_type="user",
        resource_id=str(user.id),
    )
    return LoginOutcome(actor)


def sign_out(session: Session, actor: Actor, *, reason: str = "user") -> None:
    """Record the end of a user's session at this seat (sign-out, switch user, shutdown)."""
    trail.record(
        session, seat=actor.seat, actor=actor, action="logout", resource_type="user",
        resource_id=str(actor.user_id) if actor.user_id else None, reason=reason,
    )
