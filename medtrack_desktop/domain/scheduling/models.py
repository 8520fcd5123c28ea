"""Scheduling tables: facilities, rooms, appointment categories, providers' weekly availability
and its exceptions, appointments and the history of their status.

Times are UTC instants (``UtcDateTime``); a weekly template is wall-clock time in the clinic's
zone (``time`` columns), turned into instants day by day so that a DST change keeps "08:00".
The database refuses two overlapping live appointments of one provider or one room (triggers,
``store.triggers.create_no_double_booking``) unless both were booked as deliberate overbooking.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from medtrack_desktop.store.base import Base, ClinicScoped, one_of

ROOM_KINDS = ("room", "equipment")
EXCEPTION_KINDS = ("time_off", "extra")
# The flow of a visit; "cancelled" and "no_show" end it without the patient seen.
APPOINTMENT_STATUSES = ("scheduled", "confirmed", "arrived", "in_room", "completed",
                        "cancelled", "no_show")
WAITLIST_STATUSES = ("waiting", "booked", "removed")
REMINDER_CHANNELS = ("email", "sms")
REMINDER_STATUSES = ("pending", "sent", "failed", "cancelled")
# Statuses that hold the slot (the others free it for someone else).
HOLDING_STATUSES = ("scheduled", "confirmed", "arrived", "in_room", "completed")
MAX_MINUTES = 480  # the longest appointment: bounds the overlap search


def _user(**kwargs: Any) -> Any:
    return mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), **kwargs)


class Facility(ClinicScoped, Base):
    """A place the clinic sees patients."""

    __tablename__ = "facilities"
    __table_args__ = (UniqueConstraint("clinic_id", "name"),)

    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Room(ClinicScoped, Base):
    """A bookable room or piece of equipment of a facility."""

    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("facility_id", "name"), one_of("kind", ROOM_KINDS))

    facility_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("facilities.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(12), default="room")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class AppointmentCategory(ClinicScoped, Base):
    """A kind of appointment with its default length and colour; ``allows_overbooking``: an
    appointment of it may deliberately share a provider's or room's time."""

    __tablename__ = "appointment_categories"
    __table_args__ = (
        UniqueConstraint("clinic_id", "name"),
        CheckConstraint(f"default_minutes BETWEEN 5 AND {MAX_MINUTES}",
                        name="default_minutes_range"),
    )

    name: Mapped[str] = mapped_column(String(60))
    default_minutes: Mapped[int] = mapped_column(SmallInteger, default=30)
    color: Mapped[str] = mapped_column(String(7), default="#4a7fb5")
    allows_overbooking: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class WeeklyAvailability(ClinicScoped, Base):
    """A provider's recurring session: on ``weekday`` (0 = Monday) from ``starts`` to ``ends``
    (clinic wall-clock time) at a facility, from ``valid_from`` until ``valid_until``."""

    __tablename__ = "weekly_availability"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("starts < ends", name="starts_before_ends"),
    )

    provider_id: Mapped[uuid.UUID] = _user(index=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("facilities.id", ondelete="RESTRICT"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    starts: Mapped[time]
    ends: Mapped[time]
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]


class AvailabilityException(ClinicScoped, Base):
    """Time off (the provider cannot be booked then) or an extra session, as instants."""

    __tablename__ = "availability_exceptions"
    __table_args__ = (
        Index("ix_availability_exceptions_provider_id_starts_at", "provider_id", "starts_at"),
        one_of("kind", EXCEPTION_KINDS),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
    )

    provider_id: Mapped[uuid.UUID] = _user()
    kind: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    facility_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("facilities.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(String(200), default="")


class AppointmentSeries(ClinicScoped, Base):
    """Appointments that recur by an RFC 5545 rule (``rule``: an RRULE with COUNT or UNTIL)
    from ``first_day`` at ``start_time``, clinic wall-clock time. Its appointments point at it;
    one moved on its own keeps ``occurrence_at`` (where the rule put it): an exception."""

    __tablename__ = "appointment_series"
    __table_args__ = (
        CheckConstraint(f"minutes BETWEEN 5 AND {MAX_MINUTES}", name="minutes_range"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"),
                                                  index=True)
    provider_id: Mapped[uuid.UUID] = _user()
    facility_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("facilities.id", ondelete="RESTRICT"))
    category_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appointment_categories.id", ondelete="RESTRICT"))
    room_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rooms.id", ondelete="RESTRICT"))
    rule: Mapped[str] = mapped_column(String(300))
    first_day: Mapped[date]
    start_time: Mapped[time]
    minutes: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str] = mapped_column(String(300), default="")


class Appointment(ClinicScoped, Base):
    """A patient's booked time with a provider (and a room). ``overbooked``: booked on purpose
    over another appointment (its category allows it); the database lets only such pairs
    overlap."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_provider_id_starts_at", "provider_id", "starts_at"),
        Index("ix_appointments_room_id_starts_at", "room_id", "starts_at"),
        Index("ix_appointments_patient_id_starts_at", "patient_id", "starts_at"),
        Index("ix_appointments_starts_at", "starts_at"),
        one_of("status", APPOINTMENT_STATUSES),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    provider_id: Mapped[uuid.UUID] = _user()
    room_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rooms.id", ondelete="RESTRICT"))
    facility_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("facilities.id", ondelete="RESTRICT"))
    category_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appointment_categories.id", ondelete="RESTRICT"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    overbooked: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    series_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointment_series.id", ondelete="RESTRICT"), index=True)
    occurrence_at: Mapped[datetime | None]  # where the series' rule put it
    # check-in: what the desk confirmed with the patient, and the copay taken
    demographics_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    insurance_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    copay_collected: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))


class AppointmentStatusChange(ClinicScoped, Base):
    """Each status an appointment went through, when and by whom (append-only)."""

    __tablename__ = "appointment_status_changes"

    appointment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appointments.id", ondelete="RESTRICT"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(12))
    changed_at: Mapped[datetime]
    changed_by: Mapped[uuid.UUID | None] = _user()
    sequence: Mapped[int] = mapped_column(Integer)


class WaitlistEntry(ClinicScoped, Base):
    """A patient waiting for an earlier slot: with a provider and/or of a category, between
    two days, in part of the day (clinic time) if they said so."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        Index("ix_waitlist_entries_status_latest_day", "status", "latest_day"),
        one_of("status", WAITLIST_STATUSES),
        CheckConstraint("earliest_day <= latest_day", name="days_in_order"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"),
                                                  index=True)
    provider_id: Mapped[uuid.UUID | None] = _user()
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointment_categories.id", ondelete="RESTRICT"))
    earliest_day: Mapped[date]
    latest_day: Mapped[date]
    day_from: Mapped[time | None]
    day_until: Mapped[time | None]
    notes: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(8), default="waiting")
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="RESTRICT"))


class ReminderPreference(ClinicScoped, Base):
    """How a patient wants appointment reminders: by email, by text message, or none
    (``opted_out_at``: when they said stop; no reminder goes out after it)."""

    __tablename__ = "reminder_preferences"
    __table_args__ = (UniqueConstraint("patient_id"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    sms: Mapped[bool] = mapped_column(Boolean, default=True)
    opted_out_at: Mapped[datetime | None]


class Reminder(ClinicScoped, Base):
    """One reminder of one appointment on one channel, due ``minutes_before`` its start: queued,
    then sent (or failed after its last attempt, or cancelled with the appointment). A failed
    attempt is retried at ``next_attempt_at``; ``last_error`` says what went wrong, never
    what the message said."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("appointment_id", "channel", "minutes_before"),
        Index("ix_reminders_status_next_attempt_at", "status", "next_attempt_at"),
        one_of("channel", REMINDER_CHANNELS),
        one_of("status", REMINDER_STATUSES),
    )

    appointment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appointments.id", ondelete="RESTRICT"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"),
                                                  index=True)
    channel: Mapped[str] = mapped_column(String(5))
    minutes_before: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(9), default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None]
