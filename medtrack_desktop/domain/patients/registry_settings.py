"""The registry's clinic settings: the MRN format (prefix, digits) and the retention rule's two
numbers. Changed by a clinic administrator, range-checked and audited old → new like the
security settings (``clinic_policy``).

A new MRN format applies to the next registration; MRNs already given keep their form (a
typed MRN of the old form is still accepted when unique).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.clinic_policy import (
    change_clinic_settings,
    check_range,
    clinic_settings,
)
from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.mrn import MrnError, next_mrn

# The sane range of each number; the prefix is up to 8 letters and digits (its column's width).
LIMITS = {
    "mrn_digits": (5, 12),
    "retention_years": (6, 30),
    "retention_minor_until_age": (18, 30),
}
SETTINGS = ("mrn_prefix", *LIMITS)
_PREFIX = re.compile(r"[A-Za-z0-9]{0,8}")


@dataclass(frozen=True)
class RegistrySettings:
    mrn_prefix: str
    mrn_digits: int
    retention_years: int
    retention_minor_until_age: int
    next_mrn: str | None  # what the next registration gets; None: this format is used up


def _settings(session: Session, actor: Actor, values: dict[str, Any]) -> RegistrySettings:
    try:
        upcoming: str | None = next_mrn(session, session.get_one(Clinic, actor.seat.clinic_id))
    except MrnError:
        upcoming = None
    return RegistrySettings(**values, next_mrn=upcoming)


def registry_settings(session: Session, actor: Actor) -> RegistrySettings:
    """The actor's clinic's registry settings."""
    return _settings(session, actor, clinic_settings(session, actor, SETTINGS))


def set_registry_settings(
    session: Session, actor: Actor, *, changes: dict[str, Any]
) -> RegistrySettings:
    """Change some settings; a format whose numbers are already used up is refused (the
    caller's transaction rolls back, as on every refusal)."""
    require(actor, "clinic.admin")
    for name, value in changes.items():
        if name == "mrn_prefix":
            if not isinstance(value, str) or not _PREFIX.fullmatch(value):
                raise ValueError("mrn_prefix: letters and digits only, at most 8.")
        elif name in LIMITS:
            check_range(name, value, LIMITS)
        else:
            raise ValueError(f"{name}: not a registry setting.")
    settings = _settings(session, actor, change_clinic_settings(
        session, actor, names=SETTINGS, changes=changes, action="clinic.registry_settings"))
    if settings.next_mrn is None:
        raise ValueError(f"mrn_digits: every {settings.mrn_digits}-digit MRN with this prefix "
                         "is used already; choose more digits or another prefix.")
    return settings
