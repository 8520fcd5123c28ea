"""When a provider can be booked: weekly sessions, their exceptions, and the open slots.

A weekly session is wall-clock time in the clinic's zone ("Mondays 08:00-12:00"), made into
instants day by day with the zone's rules, so a session keeps its 08:00 across a DST change.
Time off removes time from the sessions; an extra session adds some. An open slot is time in
a session, on a 15-minute grid from the session's start, that no appointment holding its
slot overlaps (overbooked ones included: a slot offered is free).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.permissions import PermissionDenied, require
from medtrack_desktop.domain.scheduling.models import (
    EXCEPTION_KINDS,
    HOLDING_STATUSES,
    MAX_MINUTES,
    Appointment,
    AvailabilityException,
    Facility,
    WeeklyAvailability,
)
from medtrack_desktop.store.base import bind_actor, utcnow

GRID_MINUTES = 15
MAX_SEARCH_DAYS = 92
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SHOWN_DAY = "%m/%d/%Y"
# Who sets providers' hours: the front desk that books them, or the clinic's administrator.
HOURS_PERMISSIONS = ("schedule.write", "clinic.admin")


def may_change_hours(actor: Actor) -> bool:
    """Whether ``actor`` may add, end or remove providers' sessions and exceptions."""
    return any(actor.can(permission) for permission in HOURS_PERMISSIONS)


def require_hours(actor: Actor) -> None:
    if not may_change_hours(actor):
        raise PermissionDenied("schedule.write")


class AvailabilityInvalid(FieldsInvalid):
    """A session, exception or slot search that cannot be used as entered."""


@dataclass(frozen=True, order=True)
class Window:
    """Bookable time of a provider, as instants (UTC)."""

    starts_at: datetime
    ends_at: datetime
    facility_id: uuid.UUID | None = None


def _provider(session: Session, actor: Actor, provider_id: uuid.UUID,
              errors: dict[str, str]) -> None:
    user = session.get(User, provider_id)
    if user is None or user.clinic_id != actor.seat.clinic_id or not user.is_active:
        errors["provider"] = "Provider: choose an active provider of the clinic."


def _audit(session: Session, actor: Actor, kind: str, row_id: uuid.UUID,
           changes: dict[str, object]) -> None:
    trail.record(session, seat=actor.seat, actor=actor, action="schedule.availability",
                 resource_type=kind, resource_id=str(row_id), changes=changes)


def _facility_in_use(session: Session, actor: Actor, facility_id: uuid.UUID,
                     errors: dict[str, str]) -> None:
    facility = session.get(Facility, facility_id)
    if facility is None or facility.clinic_id != actor.seat.clinic_id \
            or facility.deleted_at is not None:
        errors["facility"] = "Facility: choose one of the clinic's facilities."
    elif not facility.is_active:
        errors["facility"] = "Facility: it is retired; choose one in use."


def _overlaps(first: tuple[date, date | None], second: tuple[date, date | None]) -> bool:
    """Two periods of days (an open end: for good) share a day."""
    far = date.max
    return first[0] <= (second[1] or far) and second[0] <= (first[1] or far)


def _refuse_overlap(session: Session, provider_id: uuid.UUID, weekday: int, starts: time,
                    ends: time, period: tuple[date, date | None],
                    errors: dict[str, str]) -> None:
    for other in session.scalars(select(WeeklyAvailability).where(
            WeeklyAvailability.provider_id == provider_id,
            WeeklyAvailability.weekday == weekday, WeeklyAvailability.deleted_at.is_(None),
            WeeklyAvailability.starts < ends, WeeklyAvailability.ends > starts)):
        if _overlaps(period, (other.valid_from, other.valid_until)):
            since = (f"from {other.valid_from:{SHOWN_DAY}}" if other.valid_until is None
                     else f"until {other.valid_until:{SHOWN_DAY}}")
            errors["starts"] = (f"Hours: overlap the {WEEKDAYS[other.weekday]} session "
                                f"{other.starts:%H:%M}\u2013{other.ends:%H:%M} ({since}); "
                                "end that one first or choose other hours.")
            return


def add_weekly_session(session: Session, actor: Actor, *, provider_id: uuid.UUID,
                       facility_id: uuid.UUID, weekday: int, starts: time, ends: time,
                       valid_from: date, valid_until: date | None = None) -> uuid.UUID:
    """A recurring session of a provider (``weekday`` 0 = Monday), at a facility in use, never
    over another session of the provider in force on some of the same days (a provider is in
    one place at a time)."""
    require_hours(actor)
    errors: dict[str, str] = {}
    _provider(session, actor, provider_id, errors)
    _facility_in_use(session, actor, facility_id, errors)
    if not 0 <= weekday <= 6:
        errors["weekday"] = "Day: Monday to Sunday."
    if starts >= ends:
        errors["ends"] = "End: after the start."
    if valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = "Until: on or after the first day."
    if not errors:
        _refuse_overlap(session, provider_id, weekday, starts, ends, (valid_from, valid_until),
                        errors)
    if errors:
        raise AvailabilityInvalid(errors)
    bind_actor(session, actor.user_id)
    row = WeeklyAvailability(clinic_id=actor.seat.clinic_id, provider_id=provider_id,
                             facility_id=facility_id, weekday=weekday, starts=starts, ends=ends,
                             valid_from=valid_from, valid_until=valid_until)
    session.add(row)
    session.flush()
    _audit(session, actor, "weekly_availability", row.id,
           {"weekday": weekday, "starts": starts.isoformat(), "ends": ends.isoformat()})
    return row.id


def add_exception(session: Session, actor: Actor, *, provider_id: uuid.UUID, kind: str,
                  starts_at: datetime, ends_at: datetime, facility_id: uuid.UUID | None = None,
                  reason: str = "") -> uuid.UUID:
    """Time off, or an extra session (which needs its facility, one in use)."""
    require_hours(actor)
    errors: dict[str, str] = {}
    _provider(session, actor, provider_id, errors)
    if kind not in EXCEPTION_KINDS:
        errors["kind"] = "Kind: time off or an extra session."
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        errors["starts_at"] = "Start and end: dates and times in the clinic's time zone."
    elif starts_at >= ends_at:
        errors["ends_at"] = "End: after the start."
    if kind == "extra" and facility_id is None:
        errors["facility"] = "Facility: where the extra session is."
    elif facility_id is not None:
        _facility_in_use(session, actor, facility_id, errors)
    if len(reason) > 200:
        errors["reason"] = "Reason: keep it under 200 characters."
    if errors:
        raise AvailabilityInvalid(errors)
    bind_actor(session, actor.user_id)
    row = AvailabilityException(clinic_id=actor.seat.clinic_id, provider_id=provider_id,
                                kind=kind, starts_at=starts_at, ends_at=ends_at,
                                facility_id=facility_id, reason=reason.strip())
    session.add(row)
    session.flush()
    _audit(session, actor, "availability_exception", row.id,
           {"kind": kind, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()})
    return row.id


def _merged(windows: Iterable[Window]) -> list[Window]:
    """Windows sorted, overlapping or touching ones joined (the first one's facility)."""
    joined: list[Window] = []
    for window in sorted(windows):
        if joined and window.starts_at <= joined[-1].ends_at:
            last = joined[-1]
            if window.ends_at > last.ends_at:
                joined[-1] = Window(last.starts_at, window.ends_at, last.facility_id)
        else:
            joined.append(window)
    return joined


def _without(windows: list[Window], gaps: Iterable[tuple[datetime, datetime]]) -> list[Window]:
    """``windows`` with the ``gaps`` cut out."""
    for gap_start, gap_end in gaps:
        kept: list[Window] = []
        for window in windows:
            if gap_end <= window.starts_at or gap_start >= window.ends_at:
                kept.append(window)
                continue
            if window.starts_at < gap_start:
                kept.append(Window(window.starts_at, gap_start, window.facility_id))
            if gap_end < window.ends_at:
                kept.append(Window(gap_end, window.ends_at, window.facility_id))
        windows = kept
    return windows


def availability(session: Session, *, provider_id: uuid.UUID, first_day: date,
                 last_day: date, zone: ZoneInfo) -> list[Window]:
    """The provider's bookable time from ``first_day`` to ``last_day`` (clinic days): the
    weekly sessions in force, plus extra sessions, minus time off; sorted, joined."""
    return availability_of(session, provider_ids=[provider_id], first_day=first_day,
                           last_day=last_day, zone=zone)[provider_id]


def availability_of(session: Session, *, provider_ids: list[uuid.UUID], first_day: date,
                    last_day: date, zone: ZoneInfo) -> dict[uuid.UUID, list[Window]]:
    """``availability`` of several providers, read in two queries (a calendar's columns) of
    just the columns needed, as tuples: a day of twenty providers reads two hundred sessions."""
    sessions: dict[uuid.UUID, list[Row[Any]]] = {p: [] for p in provider_ids}
    for row in session.execute(select(*_SESSION_COLUMNS).where(
            WeeklyAvailability.provider_id.in_(provider_ids),
            WeeklyAvailability.deleted_at.is_(None), WeeklyAvailability.valid_from <= last_day,
            or_(WeeklyAvailability.valid_until.is_(None),
                WeeklyAvailability.valid_until >= first_day))):
        sessions[row.provider_id].append(row)
    starts = datetime.combine(first_day, time(), zone).astimezone(UTC)
    ends = datetime.combine(last_day + timedelta(days=1), time(), zone).astimezone(UTC)
    exceptions: dict[uuid.UUID, list[Row[Any]]] = {p: [] for p in provider_ids}
    for row in session.execute(select(*_EXCEPTION_COLUMNS).where(
            AvailabilityException.provider_id.in_(provider_ids),
            AvailabilityException.deleted_at.is_(None),
            AvailabilityException.starts_at < ends, AvailabilityException.ends_at > starts)):
        exceptions[row.provider_id].append(row)
    return {provider_id: _windows(sessions[provider_id], exceptions[provider_id], first_day,
                                  last_day, zone) for provider_id in provider_ids}


_SESSION_COLUMNS = (WeeklyAvailability.provider_id, WeeklyAvailability.facility_id,
                    WeeklyAvailability.weekday, WeeklyAvailability.starts,
                    WeeklyAvailability.ends, WeeklyAvailability.valid_from,
                    WeeklyAvailability.valid_until)
_EXCEPTION_COLUMNS = (AvailabilityException.provider_id, AvailabilityException.facility_id,
                      AvailabilityException.kind, AvailabilityException.starts_at,
                      AvailabilityException.ends_at)


def _windows(sessions: list[Row[Any]], exceptions: list[Row[Any]], first_day: date,
             last_day: date, zone: ZoneInfo) -> list[Window]:
    windows: list[Window] = []
    day = first_day
    while day <= last_day:
        for row in sessions:
            if row.weekday == day.weekday() and row.valid_from <= day and (
                    row.valid_until is None or day <= row.valid_until):
                windows.append(Window(datetime.combine(day, row.starts, zone).astimezone(UTC),
                                      datetime.combine(day, row.ends, zone).astimezone(UTC),
                                      row.facility_id))
        day += timedelta(days=1)
    windows += [Window(e.starts_at, e.ends_at, e.facility_id) for e in exceptions
                if e.kind == "extra"]
    return _without(_merged(windows), [(e.starts_at, e.ends_at) for e in exceptions
                                       if e.kind == "time_off"])


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    facility_id: uuid.UUID | None


def open_slots(session: Session, actor: Actor, *, provider_id: uuid.UUID, minutes: int,
               first_day: date, last_day: date, day_from: time | None = None,
               day_until: time | None = None, limit: int = 20,
               now: datetime | None = None) -> list[Slot]:
    """The first ``limit`` free slots of ``minutes`` with the provider between two clinic
    days, starting from ``day_from`` and ending by ``day_until`` (clinic time) when given —
    e.g. mornings only — and not in the past."""
    require(actor, "schedule.read")
    errors: dict[str, str] = {}
    if not 5 <= minutes <= MAX_MINUTES:
        errors["minutes"] = f"Length: between 5 and {MAX_MINUTES} minutes."
    if last_day < first_day:
        errors["last_day"] = "To: on or after the first day."
    elif (last_day - first_day).days >= MAX_SEARCH_DAYS:
        errors["last_day"] = f"To: search at most {MAX_SEARCH_DAYS} days at a time."
    if errors:
        raise AvailabilityInvalid(errors)
    zone = ZoneInfo(actor.seat.clinic_timezone)
    windows = availability(session, provider_id=provider_id, first_day=first_day,
                           last_day=last_day, zone=zone)
    if not windows:
        return []
    busy = session.execute(select(Appointment.starts_at, Appointment.ends_at).where(
        Appointment.provider_id == provider_id, Appointment.deleted_at.is_(None),
        Appointment.status.in_(HOLDING_STATUSES),
        Appointment.starts_at > windows[0].starts_at - timedelta(minutes=MAX_MINUTES),
        Appointment.starts_at < windows[-1].ends_at)
        .order_by(Appointment.starts_at)).all()
    free = _without(windows, [(row.starts_at, row.ends_at) for row in busy])
    earliest = now or utcnow()
    length, grid = timedelta(minutes=minutes), timedelta(minutes=GRID_MINUTES)
    found: list[Slot] = []
    for window in windows:
        start = window.starts_at
        while start + length <= window.ends_at and len(found) < limit:
            end = start + length
            local_start, local_end = start.astimezone(zone), end.astimezone(zone)
            if (start >= earliest
                    and (day_from is None or local_start.time() >= day_from)
                    and (day_until is None or (local_end.date() == local_start.date()
                                               and local_end.time() <= day_until))
                    and any(f.starts_at <= start and end <= f.ends_at for f in free)):
                found.append(Slot(start, end, window.facility_id))
            start += grid
    return found
