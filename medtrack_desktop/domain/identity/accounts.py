"""User accounts and log-in.

Log-in never tells which part was wrong (no user enumeration) and is audited either way. It
returns an outcome instead of raising, so the audit entry of a failure commits with the unit of
work that recorded it. When the user (or one of their roles) needs a second factor, a good
password gives a ``PendingSignIn`` instead of an actor; ``mfa`` completes it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.models import Clinic, Role, User, UserRole
from medtrack_desktop.domain.identity.passwords import hash_password, verify_password
from medtrack_desktop.domain.identity.permissions import permissions_of, require
from medtrack_desktop.domain.identity.policy import PasswordPolicy
from medtrack_desktop.store.base import bind_actor, utcnow

LOGIN_FAILED_MESSAGE = "The user name or password is not correct."
# How long a good password waits for its second factor before the sign-in starts over.
PENDING_SIGN_IN_TTL = timedelta(minutes=5)

SecondFactorStep = Literal["none", "code", "enrol"]


class AccountError(ValueError):
    """An account request is invalid; the message names the field and the reason."""


@dataclass(frozen=True)
class UserInfo:
    id: uuid.UUID
    username: str
    display_name: str
    roles: tuple[str, ...]
    is_active: bool
    locked: bool = False
    must_change_password: bool = False
    mfa_enabled: bool = False


@dataclass(frozen=True)
class PendingSignIn:
    """A good password still waiting for its second factor: ``step`` is ``"code"`` (ask one)
    or ``"enrol"`` (a role requires MFA and the user has none yet: set it up now)."""

    user_id: uuid.UUID
    username: str
    step: SecondFactorStep
    password_at: datetime

    def expired(self, now: datetime) -> bool:
        return now - self.password_at > PENDING_SIGN_IN_TTL


@dataclass(frozen=True)
class LoginOutcome:
    actor: Actor | None
    message: str | None = None
    must_change_password: bool = False
    pending: PendingSignIn | None = None

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


def password_policy(session: Session, clinic_id: uuid.UUID) -> PasswordPolicy:
    return PasswordPolicy(min_length=session.get_one(Clinic, clinic_id).password_min_length)


def _role_rows(session: Session, clinic_id: uuid.UUID, roles: tuple[str, ...]) -> dict[str, Role]:
    if not roles:
        raise AccountError("Roles: give the user at least one role.")
    rows = {
        row.name: row
        for row in session.scalars(
            select(Role).where(Role.clinic_id == clinic_id, Role.name.in_(roles))
        )
    }
    missing = sorted(set(roles) - set(rows))
    if missing:
        raise AccountError(f"Roles: unknown role(s) {', '.join(missing)}.")
    return rows


def _user(session: Session, actor: Actor, username: str) -> User:
    user = session.scalar(
        select(User).where(
            User.clinic_id == actor.seat.clinic_id, User.username == username.strip().lower()
        )
    )
    if user is None:
        raise AccountError(f"User name: there is no user {username.strip().lower()!r}.")
    return user


def _info(session: Session, user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=_roles_of(session, user.id),
        is_active=user.is_active,
        locked=user.locked_until is not None and user.locked_until > utcnow(),
        must_change_password=user.must_change_password,
        mfa_enabled=user.mfa_enabled,
    )


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
    exists = session.scalar(
        select(User.id).where(User.clinic_id == clinic_id, User.username == username)
    )
    if exists:
        raise AccountError(f"User name: {username!r} is taken.")
    role_rows = _role_rows(session, clinic_id, roles)
    password_policy(session, clinic_id).check(password, username=username)

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
    now = utcnow()
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    if user is None or locked or not valid or not user.is_active:
        reason = ("unknown user" if user is None else "account locked" if locked
                  else "account disabled" if not user.is_active else "wrong password")
        trail.record(
            session,
            seat=seat,
            actor=None,
            username=username[:150],
            action="login",
            outcome="failure",
            resource_type="user",
            resource_id=str(user.id) if user else None,
            reason=reason,
        )
        if user is not None and reason == "wrong password":
            count_failed_password(session, seat, user)
        return LoginOutcome(None, LOGIN_FAILED_MESSAGE)

    bind_actor(session, user.id)
    user.failed_login_attempts = 0
    step = second_factor_step(session, user.id)
    if step == "none":
        return admit(session, seat=seat, user_id=user.id, method="password", now=now)
    trail.record(
        session, seat=seat, actor=None, username=user.username, action="login.password",
        resource_type="user", resource_id=str(user.id), reason=f"second factor: {step}",
    )
    return LoginOutcome(None, pending=PendingSignIn(user.id, user.username, step, now))


def admit(
    session: Session, *, seat: Seat, user_id: uuid.UUID, method: str, now: datetime | None = None
) -> LoginOutcome:
    """Let a user in whose every required factor has passed; audited as ``login`` with the
    factors used (``method``)."""
    now = now or utcnow()
    user = session.get_one(User, user_id)
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
    user.locked_until = None
    user.last_login_at = now
    trail.record(
        session, seat=seat, actor=actor, action="login", resource_type="user",
        resource_id=str(user.id), reason=None if method == "password" else method,
    )
    clinic = session.get_one(Clinic, seat.clinic_id)
    expired = (
        clinic.password_max_age_days is not None
        and user.last_password_change is not None
        and user.last_password_change + timedelta(days=clinic.password_max_age_days) < now
    )
    return LoginOutcome(actor, must_change_password=user.must_change_password or expired)


def mfa_required(session: Session, user_id: uuid.UUID) -> bool:
    """True when the user turned MFA on or any of their current roles requires it."""
    user = session.get_one(User, user_id)
    if user.mfa_enabled:
        return True
    return bool(session.scalar(select(exists().where(
        UserRole.user_id == user_id,
        UserRole.deleted_at.is_(None),
        UserRole.role_id == Role.id,
        Role.mfa_required.is_(True),
        Role.deleted_at.is_(None),
    ))))


def second_factor_step(session: Session, user_id: uuid.UUID) -> SecondFactorStep:
    """After a good password: ``"none"``, ``"code"`` (ask a code) or ``"enrol"`` (set up first)."""
    if not mfa_required(session, user_id):
        return "none"
    return "code" if session.get_one(User, user_id).mfa_enabled else "enrol"


def count_failed_password(session: Session, seat: Seat, user: User) -> None:
    """Count a wrong password (log-in or unlock); at the clinic's threshold the account locks
    for a while."""
    count_failure(session, seat, user, counter="failed_login_attempts", what="failed log-ins")


def count_failure(
    session: Session, seat: Seat, user: User, *, counter: str, what: str,
    at: datetime | None = None,
) -> None:
    """Add one to ``user.<counter>`` (wrong passwords, wrong second-factor codes); at the
    clinic's threshold reset it and lock the account for the clinic's lockout time, audited."""
    clinic = session.get_one(Clinic, seat.clinic_id)
    setattr(user, counter, getattr(user, counter) + 1)
    if getattr(user, counter) < clinic.lockout_threshold:
        return
    setattr(user, counter, 0)
    user.locked_until = (at or utcnow()) + timedelta(minutes=clinic.lockout_minutes)
    trail.record(
        session, seat=seat, actor=None, username=user.username, action="account.lock",
        resource_type="user", resource_id=str(user.id),
        reason=f"{clinic.lockout_threshold} {what}",
        changes={"locked_until": user.locked_until.isoformat()},
    )


def sign_out(session: Session, actor: Actor, *, reason: str = "user") -> None:
    """Record the end of a user's session at this seat (sign-out, switch user, shutdown)."""
    trail.record(
        session, seat=actor.seat, actor=actor, action="logout", resource_type="user",
        resource_id=str(actor.user_id) if actor.user_id else None, reason=reason,
    )


def change_password(
    session: Session, actor: Actor, *, current_password: str, new_password: str
) -> None:
    """The signed-in user changes their own password (the current one is asked again)."""
    if actor.user_id is None:
        raise AccountError("Only a user can change their own password.")
    user = session.get_one(User, actor.user_id)
    if not verify_password(user.password_hash, current_password):
        raise AccountError("Current password: it is not correct.")
    if verify_password(user.password_hash, new_password):
        raise AccountError("New password: it must differ from the current one.")
    password_policy(session, actor.seat.clinic_id).check(new_password, username=user.username)
    bind_actor(session, actor.user_id)
    user.password_hash = hash_password(new_password)
    user.last_password_change = utcnow()
    user.must_change_password = False
    trail.record(session, seat=actor.seat, actor=actor, action="user.password_change",
                 resource_type="user", resource_id=str(user.id))


def reset_password(session: Session, actor: Actor, *, username: str, new_password: str) -> None:
    """An administrator sets a temporary password; the user must change it at next log-in."""
    require(actor, "user.admin")
    user = _user(session, actor, username)
    password_policy(session, actor.seat.clinic_id).check(new_password, username=user.username)
    bind_actor(session, actor.user_id)
    user.password_hash = hash_password(new_password)
    user.last_password_change = utcnow()
    user.must_change_password = True
    user.failed_login_attempts = 0
    user.locked_until = None
    trail.record(session, seat=actor.seat, actor=actor, action="user.password_reset",
                 resource_type="user", resource_id=str(user.id))


def unlock_user(session: Session, actor: Actor, *, username: str) -> None:
    require(actor, "user.admin")
    user = _user(session, actor, username)
    bind_actor(session, actor.user_id)
    user.failed_login_attempts = 0
    user.locked_until = None
    trail.record(session, seat=actor.seat, actor=actor, action="user.unlock",
                 resource_type="user", resource_id=str(user.id))


def set_active(session: Session, actor: Actor, *, username: str, active: bool) -> None:
    """Disable (or re-enable) a user. Users are never deleted: the audit trail names them."""
    require(actor, "user.admin")
    user = _user(session, actor, username)
    if not active and user.id == actor.user_id:
        raise AccountError("You cannot disable your own account.")
    bind_actor(session, actor.user_id)
    user.is_active = active
    trail.record(session, seat=actor.seat, actor=actor,
                 action="user.enable" if active else "user.disable",
                 resource_type="user", resource_id=str(user.id))


def set_roles(session: Session, actor: Actor, *, username: str, roles: tuple[str, ...]) -> UserInfo:
    """Replace a user's roles (removed links are tombstoned, kept for the record)."""
    require(actor, "user.admin")
    user = _user(session, actor, username)
    wanted = _role_rows(session, actor.seat.clinic_id, roles)
    before = _roles_of(session, user.id)
    bind_actor(session, actor.user_id)
    links = session.scalars(select(UserRole).where(UserRole.user_id == user.id)).all()
    by_role = {link.role_id: link for link in links}
    now = utcnow()
    for link in links:
        keep = link.role_id in {row.id for row in wanted.values()}
        link.deleted_at = None if keep else (link.deleted_at or now)
    for row in wanted.values():
        if row.id not in by_role:
            session.add(UserRole(clinic_id=actor.seat.clinic_id, user_id=user.id, role_id=row.id))
    session.flush()
    after = _roles_of(session, user.id)
    trail.record(session, seat=actor.seat, actor=actor, action="user.roles",
                 resource_type="user", resource_id=str(user.id),
                 changes={"roles": {"old": list(before), "new": list(after)}})
    return _info(session, user)


def list_users(session: Session, actor: Actor) -> list[UserInfo]:
    """Every user of the actor's clinic (staff data, not PHI), by user name."""
    require(actor, "user.admin")
    users = session.scalars(
        select(User).where(User.clinic_id == actor.seat.clinic_id).order_by(User.username)
    )
    return [_info(session, user) for user in users]
