"""The clinic's security settings: password length and age, lockout, idle lock (DESIGN §4)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.identity.policy import DEFAULT_MIN_LENGTH
from medtrack_desktop.store.base import bind_actor

# The sane range of each setting: a value outside it is refused with the field's name.
LIMITS = {
    "password_min_length": (DEFAULT_MIN_LENGTH, 128),
    "password_max_age_days": (1, 3650),
    "lockout_threshold": (3, 20),
    "lockout_minutes": (1, 24 * 60),
    "idle_lock_minutes": (1, 60),
}


@dataclass(frozen=True)
class SecurityPolicy:
    password_min_length: int
    password_max_age_days: int | None  # None: passwords do not expire
    lockout_threshold: int
    lockout_minutes: int
    idle_lock_minutes: int


def security_policy(session: Session, actor: Actor) -> SecurityPolicy:
    """The actor's clinic's settings."""
    require(actor, "clinic.admin")
    clinic = session.get_one(Clinic, actor.seat.clinic_id)
    return SecurityPolicy(**{name: getattr(clinic, name) for name in LIMITS})


def set_security_policy(
    session: Session, actor: Actor, *, changes: dict[str, int | None]
) -> SecurityPolicy:
    """Change some settings (``password_max_age_days`` None: no expiry); audited old → new."""
    require(actor, "clinic.admin")
    for name, value in changes.items():
        if name not in LIMITS:
            raise ValueError(f"{name}: not a security setting.")
        low, high = LIMITS[name]
        if value is None and name != "password_max_age_days":
            raise ValueError(f"{name}: a value is needed.")
        if value is not None and not low <= value <= high:
            raise ValueError(f"{name}: must be from {low} to {high}.")
    clinic = session.get_one(Clinic, actor.seat.clinic_id)
    before = asdict(security_policy(session, actor))
    bind_actor(session, actor.user_id)
    for name, value in changes.items():
        setattr(clinic, name, value)
    after = asdict(security_policy(session, actor))
    trail.record(session, seat=actor.seat, actor=actor, action="clinic.security_policy",
                 resource_type="clinic", resource_id=str(clinic.id),
                 changes={name: {"old": before[name], "new": after[name]}
                          for name in changes if before[name] != after[name]})
    return SecurityPolicy(**after)
