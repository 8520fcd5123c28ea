"""Setting up a workstation database: its clinic, its roles, and which seat it is."""

from __future__ import annotations

import socket
import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.field_keys import clinic_cipher
from medtrack_desktop.domain.identity.models import Clinic, LocalSetting, Role, Workstation
from medtrack_desktop.domain.identity.permissions import role_matrix
from medtrack_desktop.store.base import bind_actor

_CLINIC_KEY = "clinic_id"
_WORKSTATION_KEY = "workstation_id"


class SetupError(ValueError):
    """The workstation cannot be set up as asked; the message says why."""


def current_seat(session: Session) -> Seat | None:
    """Which clinic and workstation this database belongs to (None before ``init``)."""
    rows = session.execute(select(LocalSetting.key, LocalSetting.value)).all()
    settings = {key: value for key, value in rows}
    if _CLINIC_KEY not in settings or _WORKSTATION_KEY not in settings:
        return None
    clinic = session.get_one(Clinic, uuid.UUID(settings[_CLINIC_KEY]))
    workstation = session.get_one(Workstation, uuid.UUID(settings[_WORKSTATION_KEY]))
    return Seat(clinic.id, clinic.name, workstation.id, workstation.name, clinic.timezone)


def initialize_workstation(
    session: Session,
    *,
    clinic_name: str,
    workstation_name: str | None = None,
    timezone: str = "America/Chicago",
    clinic_type: str = "primary_care",
    npi: str | None = None,
) -> Seat:
    """Create the clinic, its roles and this workstation in a new database (once)."""
    clinic_name = clinic_name.strip()
    if not clinic_name:
        raise SetupError("The clinic needs a name.")
    if len(clinic_name) > 200:
        raise SetupError("The clinic name may have at most 200 characters.")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SetupError(f"Unknown time zone {timezone!r}; use an IANA name.") from None
    if current_seat(session) is not None:
        raise SetupError("This database is already set up for a clinic.")

    clinic = Clinic(name=clinic_name, timezone=timezone, clinic_type=clinic_type, npi=npi)
    session.add(clinic)
    session.flush()
    workstation = Workstation(
        clinic_id=clinic.id,
        name=(workstation_name or socket.gethostname()).strip()[:100],
        hostname=socket.gethostname()[:255],
    )
    session.add(workstation)
    session.flush()
    for name, (description, _permissions) in role_matrix().items():
        session.add(Role(clinic_id=clinic.id, name=name, description=description))
    session.add_all(
        [
            LocalSetting(key=_CLINIC_KEY, value=str(clinic.id)),
            LocalSetting(key=_WORKSTATION_KEY, value=str(workstation.id)),
        ]
    )
    session.flush()
    clinic_cipher(session, clinic.id)  # the clinic's field key is born with the clinic
    seat = Seat(clinic.id, clinic.name, workstation.id, workstation.name, clinic.timezone)
    bind_actor(session, None)
    trail.record(
        session,
        seat=seat,
        actor=Actor.system(seat),
        action="workstation.initialize",
        resource_type="workstation",
        resource_id=str(workstation.id),
    )
    return seat
