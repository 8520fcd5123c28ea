"""Appointment reminders: queued ahead of each appointment, sent by email (SMTP) or text
message (an SMS gateway), retried when sending fails, never lost.

``queue_reminders`` puts a reminder on the queue for every appointment still to come in the
next days, on each channel the patient has (an email address, a mobile phone) and allows
(``ReminderPreference``: a patient who opted out gets none), ``OFFSETS`` before its start
(48 h and 2 h). ``send_due`` then sends what is due, one reminder per transaction, so a crash
loses at most the bookkeeping of the one being sent (it is sent again: at least once, not
exactly once). A failed send is tried again later (5 min, 10 min, 20 min …) and marked failed
after ``MAX_ATTEMPTS``, where the front desk sees it; a reminder of an appointment cancelled
or moved meanwhile is cancelled, not sent. The text comes from the clinic's templates
(``resources/seed/reminders.toml``) and says when and where, never why: no clinical detail
leaves the clinic. Every sent reminder is audited (``reminder.sent``) with its patient.
"""

from __future__ import annotations

import smtplib
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import cache
from string import Template
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import Clinic, User
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.access import live_patient
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.scheduling.models import (
    Appointment,
    Facility,
    Reminder,
    ReminderPreference,
)
from medtrack_desktop.paths import resource
from medtrack_desktop.store.base import bind_actor, utcnow
from medtrack_desktop.store.engine import Store

OFFSETS = (48 * 60, 2 * 60)  # minutes before the appointment
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=5)
_WAITING = ("scheduled", "confirmed")


class SendFailed(RuntimeError):
    """A reminder could not be handed over; the message says why, without its content."""


class SmsGateway(Protocol):
    def send(self, to: str, text: str) -> None:
        """Hand a text message over, or raise ``SendFailed``."""


@dataclass(frozen=True)
class SmtpSender:
    """Email through an SMTP server (STARTTLS and a login when given)."""

    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 20.0

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as server:
                if self.starttls:
                    server.starttls()
                if self.username:
                    server.login(self.username, self.password or "")
                server.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise SendFailed(f"SMTP: {type(error).__name__}") from None


@dataclass(frozen=True)
class Senders:
    email: SmtpSender | None = None
    sms: SmsGateway | None = None


@cache
def templates() -> dict[str, dict[str, str]]:
    """The reminder texts by channel (``subject`` and ``body`` for email, ``text`` for SMS)."""
    return tomllib.loads(resource("seed", "reminders.toml").read_text(encoding="utf-8"))


def set_reminder_preference(session: Session, actor: Actor, *, patient_id: uuid.UUID,
                            email: bool, sms: bool, opted_out: bool,
                            now: datetime | None = None) -> None:
    """Record how the patient wants reminders (``opted_out``: none at all)."""
    require(actor, "patient.write", patient_id=patient_id)
    patient = live_patient(session, actor, patient_id)
    row = session.scalar(select(ReminderPreference).where(
        ReminderPreference.patient_id == patient.id))
    bind_actor(session, actor.user_id)
    if row is None:
        row = ReminderPreference(clinic_id=patient.clinic_id, patient_id=patient.id)
        session.add(row)
    row.email, row.sms = email, sms
    row.opted_out_at = (row.opted_out_at or now or utcnow()) if opted_out else None
    session.flush()
    trail.record(session, seat=actor.seat, actor=actor, action="reminder.preference",
                 resource_type="patient", resource_id=str(patient.id), patient_id=patient.id,
                 changes={"email": email, "sms": sms, "opted_out": opted_out})


def _channels(patient: Patient, preference: ReminderPreference | None) -> list[str]:
    if preference is not None and preference.opted_out_at is not None:
        return []
    channels = []
    if patient.email and (preference is None or preference.email):
        channels.append("email")
    if patient.phone_mobile and (preference is None or preference.sms):
        channels.append("sms")
    return channels


def queue_reminders(session: Session, actor: Actor, *, now: datetime | None = None,
                    days_ahead: int = 3) -> int:
    """Queue the reminders of the appointments starting in the next ``days_ahead`` days that
    have none yet; returns how many were queued."""
    require(actor, "schedule.write")
    moment = now or utcnow()
    rows = session.execute(
        select(Appointment, Patient, ReminderPreference)
        .join(Patient, Patient.id == Appointment.patient_id)
        .outerjoin(ReminderPreference, ReminderPreference.patient_id == Patient.id)
        .where(Appointment.clinic_id == actor.seat.clinic_id,
               Appointment.deleted_at.is_(None), Appointment.status.in_(_WAITING),
               Appointment.starts_at > moment,
               Appointment.starts_at <= moment + timedelta(days=days_ahead))).all()
    queued = set(session.execute(select(Reminder.appointment_id, Reminder.channel,
                                        Reminder.minutes_before).where(
        Reminder.appointment_id.in_([appointment.id for appointment, _p, _r in rows])))
) if rows else set()
    added = 0
    for appointment, patient, preference in rows:
        for channel in _channels(patient, preference):
            for minutes in OFFSETS:
                due = appointment.starts_at - timedelta(minutes=minutes)
                if (appointment.id, channel, minutes) in queued or due < moment - timedelta(
                        minutes=minutes // 2):
                    continue  # queued already, or booked too late for this one
                session.add(Reminder(clinic_id=appointment.clinic_id,
                                     appointment_id=appointment.id, patient_id=patient.id,
                                     channel=channel, minutes_before=minutes,
                                     next_attempt_at=max(due, moment)))
                added += 1
    session.flush()
    return added


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    deferred: int = 0  # the appointment moved later: the reminder waits for its new time


def _text(session: Session, appointment: Appointment, patient: Patient, channel: str,
          zone: ZoneInfo) -> tuple[str, str]:
    provider = session.get_one(User, appointment.provider_id)
    facility = session.get_one(Facility, appointment.facility_id)
    clinic = session.get_one(Clinic, appointment.clinic_id)
    when = appointment.starts_at.astimezone(zone)
    values = {"first_name": patient.preferred_name or patient.first_name,
              "date": f"{when:%A %d %B %Y}", "time": f"{when:%H:%M}",
              "provider": f"{provider.first_name} {provider.last_name}",
              "facility": facility.name, "address": facility.address,
              "clinic": clinic.name,
              "contact": f"us at {facility.phone}" if facility.phone else "us"}
    chosen = templates()[channel]
    if channel == "email":
        return (Template(chosen["subject"]).safe_substitute(values),
                Template(chosen["body"]).safe_substitute(values))
    return "", Template(chosen["text"]).safe_substitute(values)


def _send_one(session: Session, actor: Actor, reminder: Reminder, senders: Senders,
              moment: datetime) -> str:
    """Send one reminder; what became of it (sent, retrying, failed, cancelled, deferred)."""
    appointment = session.get_one(Appointment, reminder.appointment_id)
    if (appointment.status not in _WAITING or appointment.deleted_at is not None
            or appointment.starts_at <= moment):
        reminder.status = "cancelled"
        return "cancelled"
    due = appointment.starts_at - timedelta(minutes=reminder.minutes_before)
    if due > moment + timedelta(minutes=1):  # the appointment was moved later
        reminder.next_attempt_at = due
        return "deferred"
    patient = session.get_one(Patient, reminder.patient_id)
    preference = session.scalar(select(ReminderPreference).where(
        ReminderPreference.patient_id == patient.id))
    if reminder.channel not in _channels(patient, preference):
        reminder.status = "cancelled"
        return "cancelled"
    subject, body = _text(session, appointment, patient, reminder.channel,
                          ZoneInfo(actor.seat.clinic_timezone))
    reminder.attempts += 1
    try:
        if reminder.channel == "email":
            if senders.email is None:
                raise SendFailed("no SMTP server is set up")
            senders.email.send(patient.email or "", subject, body)
        else:
            if senders.sms is None:
                raise SendFailed("no text message gateway is set up")
            senders.sms.send(patient.phone_mobile or "", body)
    except SendFailed as failed:
        reminder.last_error = str(failed)[:200]
        if reminder.attempts >= MAX_ATTEMPTS:
            reminder.status = "failed"
            return "failed"
        reminder.next_attempt_at = moment + FIRST_RETRY * 2 ** (reminder.attempts - 1)
        return "retrying"
    reminder.status, reminder.sent_at, reminder.last_error = "sent", moment, None
    trail.record(session, seat=actor.seat, actor=actor, action="reminder.sent",
                 resource_type="reminder", resource_id=str(reminder.id),
                 patient_id=patient.id, changes={"channel": reminder.channel,
                                                 "minutes_before": reminder.minutes_before})
    return "sent"


def send_due(store: Store, actor: Actor, senders: Senders, *,
             now: Callable[[], datetime] = utcnow, limit: int = 500) -> SendReport:
    """Send the reminders that are due, each in its own transaction."""
    require(actor, "schedule.write")
    with store.read_session() as session:
        due = list(session.scalars(select(Reminder.id).where(
            Reminder.clinic_id == actor.seat.clinic_id, Reminder.status == "pending",
            Reminder.next_attempt_at <= now()).order_by(Reminder.next_attempt_at).limit(limit)))
    counts = dict.fromkeys(SendReport.__dataclass_fields__, 0)
    for reminder_id in due:
        with store.session() as session:
            reminder = session.get_one(Reminder, reminder_id)
            if reminder.status != "pending":
                continue  # another workstation took it meanwhile
            counts[_send_one(session, actor, reminder, senders, now())] += 1
    return SendReport(**counts)
