"""The clinic's security settings: password length and age, lockout, idle lock (DESIGN §4).

``clinic_settings`` and ``change_clinic_settings`` are how every group of clinic settings
(these, the registry's) is read and changed: by a clinic administrator, audited old → new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

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


def clinic_settings(session: Session, actor: Actor, names: Iterable[str]) -> dict[str, Any]:
    """The actor's clinic's values of the settings ``names``."""
    require(actor, "clinic.admin")
    clinic = session.get_one(Clinic, actor.seat.clinic_id)
    return {name: getattr(clinic, name) for name in names}


def check_range(name: str, value: int, limits: Mapping[str, tuple[int, int]]) -> None:
    """ValueError naming the setting when ``value`` is outside its sane range."""
    low, high = limits[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name}: must be from {low} to {high}.")


def change_clinic_settings(
    session: Session, actor: Actor, *, names: Iterable[str], changes: Mapping[str, Any],
    action: str,
) -> dict[str, Any]:
    """Set ``changes`` (already checked) on the actor's clinic, audited as ``action`` with
    each changed setting old → new; the values of ``names`` afterwards."""
    names = tuple(names)
    before = clinic_settings(session, actor, names)
    clinic = session.get_one(Clinic, actor.seat.clinic_id)
    bind_actor(session, actor.user_id)
    for name, value in changes.items():
        setattr(clinic, name, value)
    after = clinic_settings(session, actor, names)
    trail.record(session, seat=actor.seat, actor=actor, action=action,
                 resource_type="clinic", resource_id=str(clinic.id),
                 changes={name: {"old": before[name], "new": after[name]}
                          for name in changes if before[name] != after[name]})
    return after


def security_policy(session: Session, actor: Actor) -> SecurityPolicy:
    """The actor's clinic's settings."""
    return SecurityPolicy(**clinic_settings(session, actor, LIMITS))


def set_security_policy(
    session: Session, actor: Actor, *, changes: dict[str, int | None]
) -> SecurityPolicy:
    """Change some settings (``password_max_age_days`` None: no expiry); audited old → new."""
    require(actor, "clinic.admin")
    for name, value in changes.items():
        if name not in LIMITS:
            raise ValueError(f"{name}: not a security setting.")
        if value is None and name != "password_max_age_days":
            raise ValueError(f"{name}: a value is needed.")
        if value is not None:
            check_range(name, value, LIMITS)
    return SecurityPolicy(**change_clinic_settings(
        session, actor, names=LIMITS, changes=changes, action="clinic.security_policy"))
