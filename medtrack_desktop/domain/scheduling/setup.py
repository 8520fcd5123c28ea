"""What a clinic sets up once to schedule: facilities, their rooms and equipment, and the
appointment categories (default length, colour, whether overbooking is allowed).

Changes need ``clinic.admin`` and are audited as ``schedule.setup`` (old -> new); anyone who
reads the schedule reads the active lists (``categories``, the calendar's setup), the
administrator reads them all, retired ones included (``facility_setup``, ``category_setup``).

Nothing here is ever deleted: a facility, room or category is *retired* (``set_active``).
Appointments point at them (``ON DELETE RESTRICT``), past ones as the record of where and as
what a patient was seen, future ones as booked; a retired one is no longer offered for new
bookings while every appointment keeps it, and it can be taken back into use. Names stay
unique among retired ones too (a name means one thing in the history).

Every edit names the ``version`` the screen showed; a row someone changed since is refused
with ``SetupStale`` (nothing written), as the registry's ``StaleRecord``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.demographics import clean_text
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.domain.scheduling.models import (
    HOLDING_STATUSES,
    MAX_MINUTES,
    ROOM_KINDS,
    Appointment,
    AppointmentCategory,
    AvailabilityException,
    Facility,
    Room,
    WeeklyAvailability,
)
from medtrack_desktop.store.base import bind_actor, utcnow

MIN_MINUTES = 5
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
SetupKind = Literal["facility", "room", "category"]
_MODELS: dict[str, Any] = {"facility": Facility, "room": Room,
                           "category": AppointmentCategory}
_RESOURCE = {"facility": "facility", "room": "room", "category": "appointment_category"}


class SetupInvalid(FieldsInvalid):
    """A facility, room or category that cannot be saved as entered."""


class SetupStale(StaleRecord):
    """Someone changed (or retired) the row since the screen read it; safe to show."""

    def __init__(self) -> None:
        RuntimeError.__init__(self, "Someone else changed this since the list was loaded. "
                                    "Look at it again, then make your change.")


@dataclass(frozen=True)
class CategoryInput:
    name: str
    default_minutes: int = 30
    color: str = "#4a7fb5"
    allows_overbooking: bool = False
    is_active: bool = True


def _audit(session: Session, actor: Actor, kind: str, row_id: uuid.UUID,
           changes: dict[str, Any]) -> None:
    trail.record(session, seat=actor.seat, actor=actor, action="schedule.setup",
                 resource_type=kind, resource_id=str(row_id), changes=changes)


def _changes(row: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Set ``values`` on ``row``; what changed, old -> new (for the audit entry)."""
    changed: dict[str, Any] = {}
    for name, value in values.items():
        old = getattr(row, name)
        if old != value:
            changed[name] = {"old": old, "new": value}
            setattr(row, name, value)
    return changed


def _unique(session: Session, model: Any, errors: dict[str, str], field: str, name: str | None,
            *, ignore: uuid.UUID | None = None, **scope: Any) -> None:
    """A message at ``field`` when another row in ``scope`` has ``name`` (in any case:
    "Follow-up" and "follow-up" would read as one in a list)."""
    if name is None:
        return
    statement = select(model.id).where(func.lower(model.name) == name.lower(),
                                       *(getattr(model, column) == value
                                         for column, value in scope.items()))
    if ignore is not None:
        statement = statement.where(model.id != ignore)
    if session.scalar(statement.limit(1)):
        errors[field] = f"{field.capitalize()}: that name is taken already."


def _required(value: str, label: str, limit: int, errors: dict[str, str], field: str
              ) -> str | None:
    cleaned = clean_text(value, label, limit, errors, field)
    if cleaned is None and field not in errors:
        errors[field] = f"{label}: required."
    return cleaned


def _clinic_row(session: Session, actor: Actor, kind: str, row_id: uuid.UUID,
                version: int | None) -> Any:
    """The live row of ``kind``; ``SetupStale`` when it is gone or at another version."""
    row = session.get(_MODELS[kind], row_id)
    if row is None or row.clinic_id != actor.seat.clinic_id or row.deleted_at is not None:
        raise SetupStale()
    if version is not None and row.version != version:
        raise SetupStale()
    return row


# -- facilities and rooms -------------------------------------------------------------------------


def _facility_values(name: str, address: str, phone: str, errors: dict[str, str]
                     ) -> dict[str, Any]:
    return {"name": _required(name, "Name", 120, errors, "name"),
            "address": clean_text(address, "Address", 300, errors, "address") or "",
            "phone": clean_text(phone, "Phone", 30, errors, "phone") or ""}


def add_facility(session: Session, actor: Actor, *, name: str, address: str = "",
                 phone: str = "") -> uuid.UUID:
    """A new facility of the clinic."""
    require(actor, "clinic.admin")
    errors: dict[str, str] = {}
    values = _facility_values(name, address, phone, errors)
    _unique(session, Facility, errors, "name", values["name"], clinic_id=actor.seat.clinic_id)
    if errors:
        raise SetupInvalid(errors)
    bind_actor(session, actor.user_id)
    row = Facility(clinic_id=actor.seat.clinic_id, **values)
    session.add(row)
    session.flush()
    _audit(session, actor, "facility", row.id, {"name": values["name"]})
    return row.id


def edit_facility(session: Session, actor: Actor, *, facility_id: uuid.UUID, version: int,
                  name: str, address: str = "", phone: str = "") -> None:
    """Change a facility's name, address or phone."""
    require(actor, "clinic.admin")
    row = _clinic_row(session, actor, "facility", facility_id, version)
    errors: dict[str, str] = {}
    values = _facility_values(name, address, phone, errors)
    _unique(session, Facility, errors, "name", values["name"], ignore=row.id,
            clinic_id=actor.seat.clinic_id)
    if errors:
        raise SetupInvalid(errors)
    bind_actor(session, actor.user_id)
    if changed := _changes(row, values):
        session.flush()
        _audit(session, actor, "facility", row.id, changed)


def _room_values(name: str, kind: str, errors: dict[str, str]) -> dict[str, Any]:
    if kind not in ROOM_KINDS:
        errors["kind"] = "Kind: a room or equipment."
    return {"name": _required(name, "Name", 80, errors, "name"), "kind": kind}


def add_room(session: Session, actor: Actor, *, facility_id: uuid.UUID, name: str,
             kind: str = "room") -> uuid.UUID:
    """A new room (or piece of equipment) of a facility."""
    require(actor, "clinic.admin")
    errors: dict[str, str] = {}
    facility = session.get(Facility, facility_id)
    if facility is None or facility.clinic_id != actor.seat.clinic_id:
        errors["facility"] = "Facility: choose one of the clinic's facilities."
    elif not facility.is_active:
        errors["facility"] = "Facility: it is retired; take it back into use first."
    values = _room_values(name, kind, errors)
    _unique(session, Room, errors, "name", values["name"], facility_id=facility_id)
    if errors:
        raise SetupInvalid(errors)
    bind_actor(session, actor.user_id)
    row = Room(clinic_id=actor.seat.clinic_id, facility_id=facility_id, **values)
    session.add(row)
    session.flush()
    _audit(session, actor, "room", row.id, {"name": values["name"], "kind": kind})
    return row.id


def edit_room(session: Session, actor: Actor, *, room_id: uuid.UUID, version: int, name: str,
              kind: str = "room") -> None:
    """Rename a room, or say whether it is a room or equipment (its facility stays)."""
    require(actor, "clinic.admin")
    row = _clinic_row(session, actor, "room", room_id, version)
    errors: dict[str, str] = {}
    values = _room_values(name, kind, errors)
    _unique(session, Room, errors, "name", values["name"], ignore=row.id,
            facility_id=row.facility_id)
    if errors:
        raise SetupInvalid(errors)
    bind_actor(session, actor.user_id)
    if changed := _changes(row, values):
        session.flush()
        _audit(session, actor, "room", row.id, changed)


@dataclass(frozen=True)
class RoomSetup:
    id: uuid.UUID
    version: int
    facility_id: uuid.UUID
    name: str
    kind: str  # "room" or "equipment"
    is_active: bool
    booked_ahead: int  # appointments holding it from now on


@dataclass(frozen=True)
class FacilitySetup:
    id: uuid.UUID
    version: int
    name: str
    address: str
    phone: str
    is_active: bool
    rooms: tuple[RoomSetup, ...]
    booked_ahead: int  # appointments there from now on
    sessions_ahead: int  # providers' weekly sessions there still in force or to come


def _today(actor: Actor) -> date:
    return utcnow().astimezone(ZoneInfo(actor.seat.clinic_timezone)).date()


def facility_setup(session: Session, actor: Actor) -> list[FacilitySetup]:
    """Every facility of the clinic with its rooms, retired ones too, by name; with what
    still depends on each (so the screen can say it before retiring one)."""
    require(actor, "clinic.admin")
    clinic, now = actor.seat.clinic_id, utcnow()
    ahead = (Appointment.deleted_at.is_(None), Appointment.status.in_(HOLDING_STATUSES),
             Appointment.ends_at > now, Appointment.clinic_id == clinic)
    by_room = dict(session.execute(select(Appointment.room_id, func.count())
                                   .where(*ahead, Appointment.room_id.is_not(None))
                                   .group_by(Appointment.room_id)).all())
    by_facility = dict(session.execute(select(Appointment.facility_id, func.count())
                                       .where(*ahead).group_by(Appointment.facility_id))
                       .all())
    sessions = dict(session.execute(
        select(WeeklyAvailability.facility_id, func.count())
        .where(WeeklyAvailability.clinic_id == clinic, WeeklyAvailability.deleted_at.is_(None),
               or_(WeeklyAvailability.valid_until.is_(None),
                   WeeklyAvailability.valid_until >= _today(actor)))
        .group_by(WeeklyAvailability.facility_id)).all())
    rooms: dict[uuid.UUID, list[RoomSetup]] = {}
    for room in session.scalars(select(Room).where(Room.clinic_id == clinic,
                                                   Room.deleted_at.is_(None))
                                .order_by(Room.name)):
        rooms.setdefault(room.facility_id, []).append(RoomSetup(
            room.id, room.version, room.facility_id, room.name, room.kind, room.is_active,
            by_room.get(room.id, 0)))
    return [FacilitySetup(row.id, row.version, row.name, row.address, row.phone,
                          row.is_active, tuple(rooms.get(row.id, ())),
                          by_facility.get(row.id, 0), sessions.get(row.id, 0))
            for row in session.scalars(select(Facility).where(
                Facility.clinic_id == clinic, Facility.deleted_at.is_(None))
                .order_by(Facility.name))]


# -- categories ---------------------------------------------------------------------------------


def save_category(session: Session, actor: Actor, *, category: CategoryInput,
                  category_id: uuid.UUID | None = None, version: int | None = None
                  ) -> uuid.UUID:
    """Add an appointment category, or change ``category_id`` (as read at ``version``, when
    given). A length outside ``MIN_MINUTES``..``MAX_MINUTES``, a colour not ``#rrggbb`` or a
    name another category has are refused at their field."""
    require(actor, "clinic.admin")
    row = (_clinic_row(session, actor, "category", category_id, version)
           if category_id is not None else None)
    errors: dict[str, str] = {}
    name = _required(category.name, "Name", 60, errors, "name")
    if isinstance(category.default_minutes, bool) or not (
            MIN_MINUTES <= category.default_minutes <= MAX_MINUTES):
        errors["default_minutes"] = f"Length: between {MIN_MINUTES} and {MAX_MINUTES} minutes."
    if not _COLOR.fullmatch(category.color):
        errors["color"] = "Colour: a colour like #4a7fb5."
    _unique(session, AppointmentCategory, errors, "name", name,
            ignore=row.id if row is not None else None, clinic_id=actor.seat.clinic_id)
    if errors:
        raise SetupInvalid(errors)
    values = {"name": name, "default_minutes": category.default_minutes,
              "color": category.color.lower(), "allows_overbooking": category.allows_overbooking,
              "is_active": category.is_active}
    bind_actor(session, actor.user_id)
    if row is None:
        row = AppointmentCategory(clinic_id=actor.seat.clinic_id, **values)
        session.add(row)
        session.flush()
        _audit(session, actor, "appointment_category", row.id,
               {key: values[key] for key in ("name", "default_minutes", "allows_overbooking")})
    elif changed := _changes(row, values):
        session.flush()
        _audit(session, actor, "appointment_category", row.id, changed)
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


@dataclass(frozen=True)
class CategorySetup:
    """A category as the administrator edits it."""

    id: uuid.UUID
    version: int
    name: str
    default_minutes: int
    color: str
    allows_overbooking: bool
    is_active: bool
    booked_ahead: int  # appointments of it from now on

    def as_input(self, **changes: Any) -> CategoryInput:
        values = {"name": self.name, "default_minutes": self.default_minutes,
                  "color": self.color, "allows_overbooking": self.allows_overbooking,
                  "is_active": self.is_active}
        return CategoryInput(**(values | changes))


def category_setup(session: Session, actor: Actor) -> list[CategorySetup]:
    """Every category of the clinic, retired ones too, by name."""
    require(actor, "clinic.admin")
    booked = dict(session.execute(
        select(Appointment.category_id, func.count()).where(
            Appointment.clinic_id == actor.seat.clinic_id, Appointment.deleted_at.is_(None),
            Appointment.status.in_(HOLDING_STATUSES), Appointment.ends_at > utcnow())
        .group_by(Appointment.category_id)).all())
    return [CategorySetup(r.id, r.version, r.name, r.default_minutes, r.color,
                          r.allows_overbooking, r.is_active, booked.get(r.id, 0))
            for r in session.scalars(select(AppointmentCategory).where(
                AppointmentCategory.clinic_id == actor.seat.clinic_id,
                AppointmentCategory.deleted_at.is_(None))
                .order_by(func.lower(AppointmentCategory.name)))]


# -- retiring and taking back ---------------------------------------------------------------------


def _facility_in_use(session: Session, actor: Actor, facility_id: uuid.UUID) -> str | None:
    """Why a facility cannot be retired now: providers' sessions still held there."""
    today = _today(actor)
    weekly = session.scalar(select(func.count()).select_from(WeeklyAvailability).where(
        WeeklyAvailability.facility_id == facility_id, WeeklyAvailability.deleted_at.is_(None),
        or_(WeeklyAvailability.valid_until.is_(None),
            WeeklyAvailability.valid_until >= today))) or 0
    extra = session.scalar(select(func.count()).select_from(AvailabilityException).where(
        AvailabilityException.facility_id == facility_id,
        AvailabilityException.deleted_at.is_(None), AvailabilityException.kind == "extra",
        AvailabilityException.ends_at > utcnow())) or 0
    if weekly or extra:
        held = " and ".join(part for part in (
            f"{weekly} weekly session{'s' if weekly != 1 else ''}" if weekly else "",
            f"{extra} extra session{'s' if extra != 1 else ''}" if extra else "") if part)
        return (f"Providers still have {held} here: end them under Provider availability "
                "first, so that no one is offered time at a closed facility.")
    return None


def set_active(session: Session, actor: Actor, *, kind: SetupKind, row_id: uuid.UUID,
               version: int, active: bool) -> None:
    """Retire a facility, room or category (no longer offered for booking; every
    appointment keeps it), or take it back into use. A facility where providers still have
    sessions is refused (``SetupInvalid`` under ``active``), as is a room of a retired
    facility taken back."""
    require(actor, "clinic.admin")
    row = _clinic_row(session, actor, kind, row_id, version)
    if row.is_active == active:
        return
    errors: dict[str, str] = {}
    if kind == "facility" and not active:
        reason = _facility_in_use(session, actor, row.id)
        if reason:
            errors["active"] = reason
    if kind == "room" and active:
        facility = session.get(Facility, row.facility_id)
        if facility is None or not facility.is_active:
            errors["active"] = "Its facility is retired: take the facility back into use first."
    if errors:
        raise SetupInvalid(errors)
    bind_actor(session, actor.user_id)
    changed = _changes(row, {"is_active": active})
    session.flush()
    _audit(session, actor, _RESOURCE[kind], row.id, changed)
