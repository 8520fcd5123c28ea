"""What a clinic sets up once to schedule: facilities, their rooms and equipment, and the
appointment categories (default length, colour, whether overbooking is allowed).

Changes need ``clinic.admin`` and are audited as ``schedule.setup``; anyone who reads the
schedule reads these lists. No patient data here.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.demographics import clean_text
from medtrack_desktop.domain.scheduling.models import (
    MAX_MINUTES,
    ROOM_KINDS,
    AppointmentCategory,
    Facility,
    Room,
)
from medtrack_desktop.store.base import bind_actor

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


class SetupInvalid(FieldsInvalid):
    """A facility, room or category that cannot be saved as entered."""


@dataclass(frozen=True)
class CategoryInput:
    name: str
    default_minutes: int = 30
    color: str = "#4a7fb5"
    allows_overbooking: bool = False


def _audit(session: Session, actor: Actor, kind: str, row_id: uuid.UUID,
           changes: dict[str, Any]) -> None:
    trail.record(session, seat=actor.seat, actor=actor, action="schedule.setup",
                 resource_type=kind, resource_id=str(row_id), changes=changes)


def _unique(session: Session, model: Any, errors: dict[str, str], field: str,
            **key: Any) -> None:
    if session.scalar(select(model.id).where(*(getattr(model, column) == value
                                               for column, value in key.items()))):
        errors[field] = f"{field.capitalize()}: that name is taken already."


def add_facility(session: Session, actor: Actor, *, name: str, address: str = "",
                 phone: str = "") -> uuid.UUID:
    """A new facility of the clinic."""
    require(actor, "clinic.admin")
    errors: dict[str, str] = {}
    cleaned = clean_text(name, "Name", 120, errors, "name")
    if cleaned is None and not errors:
        errors["name"] = "Name: required."
    _unique(session, Facility, errors, "name", clinic_id=actor.seat.clinic_id, name=cleaned)
    if errors:
        raise SetupInvalid(errors)
    bind_actor(session, actor.user_id)
    row = Facility(clinic_id=actor.seat.clinic_id, name=cleaned, address=address.strip(),
                   phone=phone.strip())
    session.add(row)
    session.flush()
    _audit(session, actor, "facility", row.id, {"name": cleaned})
    return row.id


def add_room(session: Session, actor: Actor, *, facility_id: uuid.UUID, name: str,
             kind: str = "room") -> uuid.UUID:
    """A new room (or piece of equipment) of a facility."""
    require(actor, "clinic.admin")
    errors: dict[str, str] = {}
    facility = session.get(Facility, facility_id)
    if facility is None or facility.clinic_id != actor.seat.clinic_id:
        errors["facility"] = "Facility: choose one of the clinic's facilities."
    cleaned = clean_text(name, "Name", 80, errors, "name")
    if cleaned is None and not errors:
        errors["name"] = "Name: required."
    if kind not in ROOM_KINDS:
        errors["kind"] = "Kind: a room or equipment."
    _unique(session, Room, errors, "name", facility_id=facility_id, name=cleaned)
    if errors:
        raise SetupInvalid(errors)
    bind_actor(session, actor.user_id)
    row = Room(clinic_id=actor.seat.clinic_id, facility_id=facility_id, name=cleaned, kind=kind)
    session.add(row)
    session.flush()
    _audit(session, actor, "room", row.id, {"name": cleaned, "kind": kind})
    return row.id


def save_category(session: Session, actor: Actor, *, category: CategoryInput,
                  category_id: uuid.UUID | None = None) -> uuid.UUID:
    """Add an appointment category, or change ``category_id``."""
    require(actor, "clinic.admin")
    errors: dict[str, str] = {}
    name = clean_text(category.name, "Name", 60, errors, "name")
    if name is None and not errors:
        errors["name"] = "Name: required."
    if not 5 <= category.default_minutes <= MAX_MINUTES:
        errors["default_minutes"] = f"Length: between 5 and {MAX_MINUTES} minutes."
    if not _COLOR.fullmatch(category.color):
        errors["color"] = "Colour: a colour like #4a7fb5."
    row = session.get(AppointmentCategory, category_id) if category_id else None
    if category_id is not None and (row is None or row.clinic_id != actor.seat.clinic_id):
        errors["category"] = "This category no longer exists."
    if row is None or row.name != name:
        _unique(session, AppointmentCategory, errors, "name",
                clinic_id=actor.seat.clinic_id, name=name)
    if errors:
        raise SetupInvalid(errors)
    bind_actor(session, actor.user_id)
    if row is None:
        row = AppointmentCategory(clinic_id=actor.seat.clinic_id)
        session.add(row)
    row.name, row.default_minutes = name, category.default_minutes
    row.color, row.allows_overbooking = category.color.lower(), category.allows_overbooking
    session.flush()
    _audit(session, actor, "appointment_category", row.id,
           {"name": name, "default_minutes": category.default_minutes,
            "allows_overbooking": category.allows_overbooking})
    return row.id


@dataclass(frozen=True)
class CategoryEntry:
    id: uuid.UUID
    name: str
    default_minutes: int
    color: str
    allows_overbooking: bool


def categories(session: Session, actor: Actor) -> list[CategoryEntry]:
    """The clinic's active appointment categories, by name."""
    require(actor, "schedule.read")
    rows = session.scalars(select(AppointmentCategory).where(
        AppointmentCategory.clinic_id == actor.seat.clinic_id,
        AppointmentCategory.is_active.is_(True), AppointmentCategory.deleted_at.is_(None))
        .order_by(AppointmentCategory.name))
    return [CategoryEntry(r.id, r.name, r.default_minutes, r.color, r.allows_overbooking)
            for r in rows]
