"""A provider's weekly template and its exceptions as the setup screen keeps them: listed,
a session added (never overlapping another of the same provider), ended from a day on, a
session that has not started yet removed, a future exception removed.

``availability.add_weekly_session`` and ``add_exception`` make the rows; this module adds
what a person editing them needs around that. History stays: a session that was in force is
ended (``valid_until``), never deleted, so past days keep the hours they had; only a session
or an exception that never took effect is removed (tombstone). Appointments are never
touched: those booked in hours that are ended or taken off stay on the calendar, outside the
shading, and the result says how many there are.

Reading needs ``schedule.read`` or ``clinic.admin`` (the administrator's setup screen);
changing needs what adding does (``availability.may_change_hours``: the front desk's
``schedule.write`` or the administrator's ``clinic.admin``); sessions are added by
``availability.add_weekly_session``, which refuses overlaps. Audited as ``schedule.availability``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.scheduling.availability import (
    SHOWN_DAY,
    WEEKDAYS,
    AvailabilityInvalid,
    require_hours,
)
from medtrack_desktop.domain.scheduling.calendar import Provider, active_providers
from medtrack_desktop.domain.scheduling.models import (
    HOLDING_STATUSES,
    Appointment,
    AvailabilityException,
    Facility,
    WeeklyAvailability,
)
from medtrack_desktop.domain.scheduling.setup import SetupStale
from medtrack_desktop.store.base import bind_actor, utcnow


def _may_read(actor: Actor) -> None:
    if not (actor.can("schedule.read") or actor.can("clinic.admin")):
        raise PermissionDenied("schedule.read")


def _audit(session: Session, actor: Actor, kind: str, row_id: uuid.UUID,
           changes: dict[str, object]) -> None:
    trail.record(session, seat=actor.seat, actor=actor, action="schedule.availability",
                 resource_type=kind, resource_id=str(row_id), changes=changes)


def _zone(actor: Actor) -> ZoneInfo:
    return ZoneInfo(actor.seat.clinic_timezone)


def _today(actor: Actor, now: datetime | None) -> date:
    return (now or utcnow()).astimezone(_zone(actor)).date()


@dataclass(frozen=True)
class WeeklySession:
    """A recurring session: ``weekday`` 0 = Monday, clinic wall-clock times."""

    id: uuid.UUID
    version: int
    facility_id: uuid.UUID
    facility: str
    weekday: int
    starts: time
    ends: time
    valid_from: date
    valid_until: date | None

    @property
    def hours(self) -> str:
        return f"{self.starts:%H:%M}\u2013{self.ends:%H:%M}"

    @property
    def period(self) -> str:
        """"from 03/01/2027", "03/01/2027 to 06/30/2027"."""
        if self.valid_until is None:
            return f"from {self.valid_from:{SHOWN_DAY}}"
        return f"{self.valid_from:{SHOWN_DAY}} to {self.valid_until:{SHOWN_DAY}}"

    def describe(self) -> str:
        """E.g. "Mon 08:00-12:00 at Main Street" (with an en dash)."""
        return f"{WEEKDAYS[self.weekday][:3]} {self.hours} at {self.facility}"


@dataclass(frozen=True)
class ExceptionEntry:
    """Time off or an extra session; times in the clinic's zone."""

    id: uuid.UUID
    version: int
    kind: str  # "time_off" or "extra"
    starts_at: datetime
    ends_at: datetime
    facility_id: uuid.UUID | None
    facility: str
    reason: str


@dataclass(frozen=True)
class ProviderTemplate:
    provider_id: uuid.UUID
    sessions: tuple[WeeklySession, ...]  # in force today or later, by day and hour
    exceptions: tuple[ExceptionEntry, ...]  # not over yet, by start


def providers(session: Session, actor: Actor) -> list[Provider]:
    """The providers whose hours the clinic keeps (as the calendar shows them)."""
    _may_read(actor)
    return list(active_providers(session, actor))


def provider_template(session: Session, actor: Actor, *, provider_id: uuid.UUID,
                      now: datetime | None = None) -> ProviderTemplate:
    """The provider's sessions still in force or to come, and exceptions not over yet."""
    _may_read(actor)
    now, zone = now or utcnow(), _zone(actor)
    clinic = actor.seat.clinic_id
    names = dict(session.execute(select(Facility.id, Facility.name)
                                 .where(Facility.clinic_id == clinic)).all())
    rows = session.scalars(select(WeeklyAvailability).where(
        WeeklyAvailability.clinic_id == clinic, WeeklyAvailability.provider_id == provider_id,
        WeeklyAvailability.deleted_at.is_(None),
        or_(WeeklyAvailability.valid_until.is_(None),
            WeeklyAvailability.valid_until >= _today(actor, now)))
        .order_by(WeeklyAvailability.weekday, WeeklyAvailability.starts,
                  WeeklyAvailability.valid_from))
    weekly = tuple(WeeklySession(r.id, r.version, r.facility_id, names.get(r.facility_id, ""),
                                 r.weekday, r.starts, r.ends, r.valid_from, r.valid_until)
                   for r in rows)
    exceptions = session.scalars(select(AvailabilityException).where(
        AvailabilityException.clinic_id == clinic,
        AvailabilityException.provider_id == provider_id,
        AvailabilityException.deleted_at.is_(None), AvailabilityException.ends_at > now)
        .order_by(AvailabilityException.starts_at))
    return ProviderTemplate(provider_id, weekly, tuple(
        ExceptionEntry(e.id, e.version, e.kind, e.starts_at.astimezone(zone),
                       e.ends_at.astimezone(zone), e.facility_id,
                       names.get(e.facility_id, "") if e.facility_id else "", e.reason)
        for e in exceptions))


def _live(session: Session, actor: Actor, model: type[WeeklyAvailability]
          | type[AvailabilityException], row_id: uuid.UUID, version: int
          ) -> WeeklyAvailability | AvailabilityException:
    row = session.get(model, row_id)
    if row is None or row.clinic_id != actor.seat.clinic_id or row.deleted_at is not None \
            or row.version != version:
        raise SetupStale()
    return row


def _booked_in_session(session: Session, row: WeeklyAvailability, zone: ZoneInfo,
                       after: date) -> int:
    """Appointments of the provider still holding time in the session's hours after
    ``after`` (clinic days)."""
    since = datetime.combine(after + timedelta(days=1), time(), zone)
    booked = session.execute(select(Appointment.starts_at).where(
        Appointment.provider_id == row.provider_id, Appointment.deleted_at.is_(None),
        Appointment.status.in_(HOLDING_STATUSES), Appointment.starts_at >= since)).scalars()
    count = 0
    for starts_at in booked:
        local = starts_at.astimezone(zone)
        if local.weekday() == row.weekday and row.starts <= local.time() < row.ends and (
                row.valid_until is None or local.date() <= row.valid_until):
            count += 1
    return count


@dataclass(frozen=True)
class SessionEnded:
    """``booked_after``: appointments already booked in the hours given up (they stay)."""

    booked_after: int


def end_session(session: Session, actor: Actor, *, session_id: uuid.UUID, version: int,
                last_day: date, now: datetime | None = None) -> SessionEnded:
    """The session is held until ``last_day`` and no more. ``last_day`` is on or after its
    first day, no earlier than yesterday (days gone keep the hours they had) and not later
    than an end it has already."""
    require_hours(actor)
    row = _live(session, actor, WeeklyAvailability, session_id, version)
    assert isinstance(row, WeeklyAvailability)
    today = _today(actor, now)
    errors: dict[str, str] = {}
    if last_day < row.valid_from:
        errors["last_day"] = (f"Last day: on or after its first day, "
                              f"{row.valid_from:{SHOWN_DAY}}.")
    elif last_day < today - timedelta(days=1):
        errors["last_day"] = "Last day: yesterday or later; days gone keep the hours they had."
    elif row.valid_until is not None and last_day > row.valid_until:
        errors["last_day"] = (f"Last day: it ends {row.valid_until:{SHOWN_DAY}} already; add "
                              "a session to hold it longer.")
    if errors:
        raise AvailabilityInvalid(errors)
    booked = _booked_in_session(session, row, _zone(actor), last_day)
    bind_actor(session, actor.user_id)
    old = row.valid_until
    row.valid_until = last_day
    session.flush()
    _audit(session, actor, "weekly_availability", row.id, {"valid_until": {
        "old": old.isoformat() if old else None, "new": last_day.isoformat()}})
    return SessionEnded(booked)


def remove_session(session: Session, actor: Actor, *, session_id: uuid.UUID, version: int,
                   now: datetime | None = None) -> None:
    """Remove a session that has not started yet (entered by mistake); one that has been in
    force is ended instead (``end_session``)."""
    require_hours(actor)
    row = _live(session, actor, WeeklyAvailability, session_id, version)
    assert isinstance(row, WeeklyAvailability)
    if row.valid_from <= _today(actor, now):
        raise AvailabilityInvalid({"session": "This session is in force already: end it "
                                              "from a day on instead."})
    bind_actor(session, actor.user_id)
    row.deleted_at = now or utcnow()
    session.flush()
    _audit(session, actor, "weekly_availability", row.id, {"removed": True})


def remove_exception(session: Session, actor: Actor, *, exception_id: uuid.UUID,
                     version: int, now: datetime | None = None) -> None:
    """Remove time off or an extra session that has not begun (one that has is history)."""
    require_hours(actor)
    row = _live(session, actor, AvailabilityException, exception_id, version)
    now = now or utcnow()
    if row.starts_at <= now:
        raise AvailabilityInvalid({"exception": "This one has begun already; only time off "
                                                "or an extra session still to come can be "
                                                "removed."})
    bind_actor(session, actor.user_id)
    row.deleted_at = now
    session.flush()
    _audit(session, actor, "availability_exception", row.id, {"removed": True})
