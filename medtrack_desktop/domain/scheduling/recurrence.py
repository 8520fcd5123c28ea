"""Recurring appointments: a series booked from an RFC 5545 rule, and changing or cancelling
one occurrence, this and the following ones, or all that are still to come.

The rule (python-dateutil's ``rrulestr``) runs in clinic wall-clock time from the first day at
the start time, and each occurrence is then placed in the clinic's zone: a weekly 08:00 stays
08:00 across a DST change. A rule must end (COUNT or UNTIL) within ``MAX_OCCURRENCES`` and
``MAX_YEARS`` of its first day.

"This and following" splits the series: the old one ends the day before (its rule gets an
UNTIL), a new series starts at that occurrence with the new time or rule, and the old series'
later occurrences are cancelled ("series changed") and booked again under the new one — past
occurrences and exceptions before the split are kept as they are; after it, a day whose
occurrence was cancelled (or has begun) on its own stays without one. "All" is "this and
following" from the first occurrence still to come. What is past (by ``now``) or has begun is
never changed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.access import readable_patient
from medtrack_desktop.domain.scheduling.appointments import (
    AppointmentEntry,
    Booking,
    SlotTaken,
    appointment_entry,
    book_appointment,
    clashes,
    set_status,
)
from medtrack_desktop.domain.scheduling.models import (
    Appointment,
    AppointmentCategory,
    AppointmentSeries,
)
from medtrack_desktop.store.base import bind_actor, utcnow

MAX_OCCURRENCES = 100
MAX_YEARS = 2  # a series reaches no further than this from its first day
SERIES_CHANGED = "Series changed"
_ENDS = re.compile(r"(^|;)(COUNT|UNTIL)=", re.IGNORECASE)


class SeriesInvalid(FieldsInvalid):
    """A rule or series change that cannot be used as entered."""


class SeriesSlotsTaken(SlotTaken):
    """Some occurrences' time is taken (``taken``, of ``total``); nothing was booked."""

    def __init__(self, message: str, *, taken: tuple[datetime, ...], total: int) -> None:
        super().__init__(message)
        self.taken, self.total = taken, total


@dataclass(frozen=True)
class SeriesOutcome:
    series_id: uuid.UUID
    booked: tuple[AppointmentEntry, ...]
    skipped: tuple[datetime, ...]  # occurrences left out because their slot was taken


def day_text(day: date) -> str:
    """ "Mon 13 Sep", "Tue 2 Mar": a day as the series' messages name it."""
    return f"{day:%a} {day.day} {day:%b}"


def last_day_for(first_day: date) -> date:
    """The last day a series starting on ``first_day`` may reach (``MAX_YEARS`` on)."""
    try:
        return first_day.replace(year=first_day.year + MAX_YEARS)
    except ValueError:  # 29 February
        return first_day.replace(year=first_day.year + MAX_YEARS, day=28)


def occurrences(rule: str, *, first_day: date, start_time: time, zone: ZoneInfo
                ) -> list[datetime]:
    """The instants (UTC) of a rule's occurrences, or ``SeriesInvalid``. Pure: the booking
    dialog previews a rule with it as it is typed."""
    text = rule.strip().removeprefix("RRULE:")
    if not _ENDS.search(text):
        raise SeriesInvalid({"rule": "Repeat: say until when, or how many times."})
    try:
        parsed = rrulestr(text, dtstart=datetime.combine(first_day, start_time))
    except (ValueError, TypeError):
        raise SeriesInvalid({"rule": "Repeat: this rule cannot be read."}) from None
    latest = last_day_for(first_day)
    local: list[datetime] = []
    for moment in parsed:
        if moment.date() > latest:
            raise SeriesInvalid({"rule": f"Repeat: at most {MAX_YEARS} years ahead (until "
                                         f"{day_text(latest)} {latest.year} at the "
                                         "latest)."})
        local.append(moment)
        if len(local) > MAX_OCCURRENCES:
            raise SeriesInvalid({"rule": f"Repeat: at most {MAX_OCCURRENCES} appointments."})
    return [moment.replace(tzinfo=zone).astimezone(UTC) for moment in local]


def _zone(actor: Actor) -> ZoneInfo:
    return ZoneInfo(actor.seat.clinic_timezone)


def book_series(session: Session, actor: Actor, *, booking: Booking, rule: str,
                skip_taken: bool = False) -> SeriesOutcome:
    """Book ``booking`` again and again by ``rule`` (from its start). If a slot is taken:
    ``SlotTaken`` naming the days, nothing booked — or, with ``skip_taken``, the others."""
    require(actor, "schedule.write", patient_id=booking.patient_id)
    if booking.starts_at.tzinfo is None:
        raise SeriesInvalid({"starts_at": "Start: a date and time in the clinic's time zone."})
    start = booking.starts_at.astimezone(_zone(actor)).replace(second=0, microsecond=0)
    category = session.get(AppointmentCategory, booking.category_id)
    minutes = booking.minutes or (category.default_minutes if category else 30)
    series = AppointmentSeries(
        clinic_id=actor.seat.clinic_id, patient_id=booking.patient_id,
        provider_id=booking.provider_id, facility_id=booking.facility_id,
        category_id=booking.category_id, room_id=booking.room_id, rule=rule.strip(),
        first_day=start.date(), start_time=start.time(), minutes=minutes,
        reason=booking.reason)
    return _book(session, actor, series, replace(booking, minutes=minutes),
                 skip_taken=skip_taken)


def _book(session: Session, actor: Actor, series: AppointmentSeries, booking: Booking, *,
          skip_taken: bool, leave_out: frozenset[date] = frozenset()) -> SeriesOutcome:
    """Save ``series`` and book its occurrences (``booking`` with each one's start) but on
    the clinic days ``leave_out``."""
    zone = _zone(actor)
    moments = [moment for moment in occurrences(
        series.rule, first_day=series.first_day, start_time=series.start_time, zone=zone)
        if moment.astimezone(zone).date() not in leave_out]
    if not moments:
        raise SeriesInvalid({"rule": "Repeat: the rule gives no appointment."})
    length = timedelta(minutes=series.minutes)
    taken = [moment for moment in moments if _taken(session, booking, moment, length)]
    if taken and (not skip_taken or len(taken) == len(moments)):
        days = ", ".join(day_text(moment.astimezone(zone)) for moment in taken[:6])
        raise SeriesSlotsTaken(
            f"Taken on {days}{' …' if len(taken) > 6 else ''}. Pick another time"
            + ("." if len(taken) == len(moments)
               else ", or book the others and leave these out."),
            taken=tuple(taken), total=len(moments))
    bind_actor(session, actor.user_id)
    session.add(series)
    session.flush()
    rows: list[Appointment] = []
    for moment in moments:
        if moment in taken:
            continue
        entry = book_appointment(session, actor, booking=replace(booking, starts_at=moment))
        rows.append(session.get_one(Appointment, entry.id))
        rows[-1].series_id, rows[-1].occurrence_at = series.id, moment
    session.flush()
    return SeriesOutcome(series.id, tuple(appointment_entry(row) for row in rows),
                         tuple(taken))


def _taken(session: Session, booking: Booking, moment: datetime, length: timedelta) -> bool:
    if booking.overbook:
        return False
    return any(not row.overbooked for row in clashes(
        session, provider_id=booking.provider_id, room_id=booking.room_id, starts_at=moment,
        ends_at=moment + length))


def _series_of(session: Session, actor: Actor, appointment_id: uuid.UUID
               ) -> tuple[Appointment, AppointmentSeries]:
    row = session.get(Appointment, appointment_id)
    if row is None or row.clinic_id != actor.seat.clinic_id or row.series_id is None:
        raise SeriesInvalid({"appointment": "This appointment is not part of a series."})
    return row, session.get_one(AppointmentSeries, row.series_id)


def _to_come(session: Session, series: AppointmentSeries, since: datetime) -> list[Appointment]:
    """The series' appointments from ``since`` (by where the rule put them) that still hold
    their slot and have not begun."""
    return list(session.scalars(select(Appointment).where(
        Appointment.series_id == series.id, Appointment.deleted_at.is_(None),
        Appointment.occurrence_at >= since, Appointment.status.in_(("scheduled", "confirmed")))
        .order_by(Appointment.occurrence_at)))


def _rule_parts(rule: str) -> list[str]:
    """The parts of a rule but its end (COUNT, UNTIL)."""
    return [part for part in rule.removeprefix("RRULE:").split(";")
            if part and part.split("=", 1)[0].upper() not in ("COUNT", "UNTIL")]


def _cut(series: AppointmentSeries, before: datetime, zone: ZoneInfo) -> None:
    """End the series the day before ``before`` (clinic day)."""
    last_day = before.astimezone(zone).date() - timedelta(days=1)
    series.rule = ";".join([*_rule_parts(series.rule), f"UNTIL={last_day:%Y%m%d}T235959"])


def _since(row: Appointment, *, whole_series: bool, now: datetime | None) -> datetime:
    """Where "this and following" (or "all") begins: never before ``now``."""
    moment = now or utcnow()
    return moment if whole_series else max(row.occurrence_at or row.starts_at, moment)


def cancel_following(session: Session, actor: Actor, *, appointment_id: uuid.UUID,
                     reason: str, whole_series: bool = False,
                     now: datetime | None = None) -> int:
    """Cancel this occurrence and the following ones (or, ``whole_series``, every one still
    to come); the series ends before them. Returns how many were cancelled."""
    require(actor, "schedule.write")
    row, series = _series_of(session, actor, appointment_id)
    since = _since(row, whole_series=whole_series, now=now)
    cancelled = 0
    for later in _to_come(session, series, since):
        set_status(session, actor, appointment_id=later.id, version=later.version,
                   status="cancelled", cancel_reason=reason)
        cancelled += 1
    _cut(series, since, _zone(actor))
    session.flush()
    return cancelled


def change_following(session: Session, actor: Actor, *, appointment_id: uuid.UUID,
                     start_time: time | None = None, rule: str | None = None,
                     minutes: int | None = None, whole_series: bool = False,
                     skip_taken: bool = False, now: datetime | None = None) -> SeriesOutcome:
    """Change the time, rule or length of this occurrence and the following ones (or every
    one still to come): the series is split there (see module doc). With the rule kept, the
    new series holds the days the old one held from there on, no others."""
    require(actor, "schedule.write")
    row, old = _series_of(session, actor, appointment_id)
    zone = _zone(actor)
    following = _to_come(session, old, _since(row, whole_series=whole_series, now=now))
    if not following:
        raise SeriesInvalid({"appointment": "No appointment of this series is still to come."})
    first = following[0].occurrence_at or following[0].starts_at
    new_start = datetime.combine(first.astimezone(zone).date(), start_time or old.start_time,
                                 zone)
    leave_out: frozenset[date] = frozenset()
    if rule:
        new_rule = rule.strip()
    else:
        days = [moment.astimezone(zone).date() for moment in occurrences(
            old.rule, first_day=old.first_day, start_time=old.start_time, zone=zone)
            if moment >= first]
        held = {(later.occurrence_at or later.starts_at).astimezone(zone).date()
                for later in following}
        new_rule = _remaining_rule(old, len(days))
        leave_out = frozenset(day for day in days if day not in held)
    for later in following:
        set_status(session, actor, appointment_id=later.id, version=later.version,
                   status="cancelled", cancel_reason=SERIES_CHANGED)
    _cut(old, first, zone)
    booking = Booking(patient_id=old.patient_id, provider_id=old.provider_id,
                      facility_id=old.facility_id, category_id=old.category_id,
                      starts_at=new_start, minutes=minutes or old.minutes, room_id=old.room_id,
                      reason=old.reason)
    series = AppointmentSeries(
        clinic_id=old.clinic_id, patient_id=old.patient_id, provider_id=old.provider_id,
        facility_id=old.facility_id, category_id=old.category_id, room_id=old.room_id,
        rule=new_rule, first_day=new_start.date(), start_time=new_start.time(),
        minutes=minutes or old.minutes, reason=old.reason)
    return _book(session, actor, series, booking, skip_taken=skip_taken, leave_out=leave_out)


def _remaining_rule(series: AppointmentSeries, remaining: int) -> str:
    """The series' rule for what is left of it: its UNTIL kept, a COUNT made the count left."""
    ends = [part for part in series.rule.removeprefix("RRULE:").split(";")
            if part.upper().startswith("UNTIL=")] or [f"COUNT={remaining}"]
    return ";".join([*_rule_parts(series.rule), *ends])


def series_appointments(session: Session, actor: Actor, *, series_id: uuid.UUID
                        ) -> list[Appointment]:
    """Every live appointment of a series, by where the rule put it (for tests and views)."""
    require(actor, "schedule.read")
    return list(session.scalars(select(Appointment).where(
        Appointment.series_id == series_id, Appointment.clinic_id == actor.seat.clinic_id,
        Appointment.deleted_at.is_(None)).order_by(Appointment.occurrence_at)))



@dataclass(frozen=True)
class SeriesPlace:
    """An appointment's place in its series, for the question "this one, this and following,
    or all?": the rule, and the starts of the appointments that "this and following"
    (``following``: itself first while it is still to come) and "all" (``to_come``) would
    change — those still holding their slot and not yet begun."""

    series_id: uuid.UUID
    rule: str
    first_day: date
    following: tuple[datetime, ...]
    to_come: tuple[datetime, ...]


def series_place(session: Session, actor: Actor, *, appointment_id: uuid.UUID,
                 now: datetime | None = None) -> SeriesPlace:
    """Where ``appointment_id`` stands in its series (``SeriesInvalid`` if in none);
    audited as a schedule read of the patient's series."""
    require(actor, "schedule.read")
    row, series = _series_of(session, actor, appointment_id)
    readable_patient(session, actor, row.patient_id)
    following = _to_come(session, series, _since(row, whole_series=False, now=now))
    to_come = _to_come(session, series, _since(row, whole_series=True, now=now))
    trail.record(session, seat=actor.seat, actor=actor, action="schedule.read",
                 resource_type="appointment_series", resource_id=str(series.id),
                 patient_id=row.patient_id, reason="series",
                 changes={"following": len(following), "to_come": len(to_come)})
    return SeriesPlace(series.id, series.rule, series.first_day,
                       tuple(later.starts_at for later in following),
                       tuple(later.starts_at for later in to_come))
