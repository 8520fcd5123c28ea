"""Appointment reminders: queued ahead of each appointment, sent by email (SMTP) or text
message (an SMS gateway, see ``reminder_senders``), retried when sending fails, never lost.

``queue_reminders`` puts a reminder on the queue for every appointment still to come in the
next days, on each channel the patient has (an email address, a mobile phone) and allows
(``ReminderPreference``: a patient who opted out gets none), ``OFFSETS`` before its start
(48 h and 2 h). ``send_due`` then sends what is due; ``run_reminders`` does both (what the
``medtrack-admin reminders run`` runner calls every few minutes).

Sending one reminder takes three steps, so that no database lock is held while a mail server
thinks and two runners never send the same reminder:

1. **Claim**, in a short transaction: the row is read locked (``FOR UPDATE`` on PostgreSQL;
   SQLite's write transactions are serialised) and taken only if it is still pending and due;
   its attempt is counted and ``next_attempt_at`` moved ``CLAIM_LEASE`` ahead, so that any other
   runner now finds it not due. The version-checked update refuses a row changed meanwhile.
2. **Send**, outside any transaction.
3. **Settle**, in a second transaction: sent (audited as ``reminder.sent`` by the acting system
   user, with the patient), or failed — tried again later (5 min, 10 min, 20 min …) and given
   up after ``MAX_ATTEMPTS``, where ``reminder_status`` shows it to the front desk.

A runner that dies between 1 and 3 leaves the row claimed: it is tried again once the lease is
over — the reminder may then arrive twice, never not at all (at least once, not exactly once).
A reminder of an appointment cancelled meanwhile is cancelled; one whose appointment moved
later waits for its new time; one that could not go out in time (more than half its lead late:
a day for the 48 h one, an hour for the 2 h one) is given up, visibly, never silently dropped.
A channel this workstation cannot send on (no SMTP server or no gateway set up) is left queued.

The text comes from the clinic's templates (``resources/seed/reminders.toml``) and says when
and where, never why: no clinical detail leaves the clinic.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache
from string import Template
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import Clinic, User
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.access import live_patient
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.scheduling.models import (
    REMINDER_CHANNELS,
    Appointment,
    Facility,
    Reminder,
    ReminderPreference,
)
from medtrack_desktop.domain.scheduling.reminder_senders import Senders, SendFailed
from medtrack_desktop.paths import resource
from medtrack_desktop.store.base import bind_actor, utcnow
from medtrack_desktop.store.engine import Store

OFFSETS = (48 * 60, 2 * 60)  # minutes before the appointment
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=5)
CLAIM_LEASE = timedelta(minutes=10)  # longer than any sender's timeout
TOO_LATE = "too late: not sent in time"
NO_SENDER = {"email": "not sent: no SMTP server configured",
             "sms": "not sent: no SMS gateway configured"}
_WAITING = ("scheduled", "confirmed")


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
    have none yet; returns how many were queued. A queued reminder not tried yet of an
    appointment moved meanwhile takes the new time."""
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
    queued = {(row.appointment_id, row.channel, row.minutes_before): row
              for row in session.scalars(select(Reminder).where(Reminder.appointment_id.in_(
                  [appointment.id for appointment, _p, _r in rows])))} if rows else {}
    bind_actor(session, actor.user_id)
    added = 0
    for appointment, patient, preference in rows:
        for channel in _channels(patient, preference):
            for minutes in OFFSETS:
                due = appointment.starts_at - timedelta(minutes=minutes)
                known = queued.get((appointment.id, channel, minutes))
                if known is not None:
                    if (known.status == "pending" and known.attempts == 0
                            and moment < known.next_attempt_at != max(due, moment)):
                        known.next_attempt_at = max(due, moment)  # the appointment moved
                    continue
                if due < moment - timedelta(minutes=minutes // 2):
                    continue  # booked too late for this one
                session.add(Reminder(clinic_id=appointment.clinic_id,
                                     appointment_id=appointment.id, patient_id=patient.id,
                                     channel=channel, minutes_before=minutes,
                                     next_attempt_at=max(due, moment)))
                added += 1
    session.flush()
    return added


@dataclass(frozen=True)
class SendReport:
    """What one ``send_due`` did. ``retrying``: failed, tried again later; ``failed``: given
    up (its last attempt failed, or too late); ``no_smtp``/``no_sms_gateway``: due but left
    queued, this workstation having no sender for their channel."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    deferred: int = 0  # the appointment moved later: the reminder waits for its new time
    no_smtp: int = 0
    no_sms_gateway: int = 0


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


@dataclass(frozen=True)
class _Claim:
    """A reminder this runner has taken, with the message to hand over."""

    reminder_id: uuid.UUID
    attempt: int
    channel: str
    to: str
    subject: str
    body: str


def _claim(session: Session, actor: Actor, reminder_id: uuid.UUID, moment: datetime, *,
           can_send: bool = True) -> _Claim | str | None:
    """Take a due reminder (step 1); None when another runner has it or settled it (or, when
    this runner cannot send on its channel, when it may still wait), else what became of it
    without sending (cancelled, deferred, failed)."""
    reminder = session.get(Reminder, reminder_id, with_for_update=True, populate_existing=True)
    if reminder is None or reminder.status != "pending" or reminder.next_attempt_at > moment:
        return None
    bind_actor(session, actor.user_id)
    appointment = session.get_one(Appointment, reminder.appointment_id)
    patient = session.get_one(Patient, reminder.patient_id)
    preference = session.scalar(select(ReminderPreference).where(
        ReminderPreference.patient_id == patient.id))
    due = appointment.starts_at - timedelta(minutes=reminder.minutes_before)
    if (appointment.status not in _WAITING or appointment.deleted_at is not None
            or reminder.channel not in _channels(patient, preference)):
        reminder.status = "cancelled"  # cancelled or opted out meanwhile
        return "cancelled"
    if due > moment + timedelta(minutes=1):  # the appointment was moved later
        reminder.next_attempt_at = due
        return "deferred"
    if moment >= min(appointment.starts_at,
                     due + timedelta(minutes=reminder.minutes_before // 2)):
        reminder.status = "failed"
        reminder.last_error = TOO_LATE if can_send else NO_SENDER[reminder.channel]
        _audit_given_up(session, actor, reminder)
        return "failed"
    if not can_send:
        return None  # it waits for a sender to be set up
    subject, body = _text(session, appointment, patient, reminder.channel,
                          ZoneInfo(actor.seat.clinic_timezone))
    reminder.attempts += 1
    reminder.next_attempt_at = moment + CLAIM_LEASE
    session.flush()  # version-checked: a row changed meanwhile is not ours
    return _Claim(reminder.id, reminder.attempts, reminder.channel,
                  (patient.email if reminder.channel == "email" else patient.phone_mobile) or "",
                  subject, body)


def _deliver(claim: _Claim, senders: Senders) -> str | None:
    """Hand the message over (step 2); the reason it failed, or None."""
    try:
        if claim.channel == "email" and senders.email is not None:
            senders.email.send(claim.to, claim.subject, claim.body)
        elif claim.channel == "sms" and senders.sms is not None:
            senders.sms.send(claim.to, claim.body)
        else:
            raise SendFailed(f"no sender for {claim.channel}")
    except SendFailed as failed:
        return str(failed)[:200]
    return None


def _audit_given_up(session: Session, actor: Actor, reminder: Reminder) -> None:
    trail.record(session, seat=actor.seat, actor=actor, action="reminder.given_up",
                 outcome="failure", resource_type="reminder", resource_id=str(reminder.id),
                 patient_id=reminder.patient_id,
                 changes={"channel": reminder.channel, "attempts": reminder.attempts,
                          "error": reminder.last_error})


def _settle(session: Session, actor: Actor, claim: _Claim, error: str | None,
            moment: datetime) -> str:
    """Record what the attempt came to (step 3): sent, retrying or failed."""
    reminder = session.get_one(Reminder, claim.reminder_id, with_for_update=True,
                               populate_existing=True)
    bind_actor(session, actor.user_id)
    ours = reminder.status == "pending" and reminder.attempts == claim.attempt
    if error is None:
        if ours:
            reminder.status, reminder.sent_at, reminder.last_error = "sent", moment, None
        trail.record(session, seat=actor.seat, actor=actor, action="reminder.sent",
                     resource_type="reminder", resource_id=str(reminder.id),
                     patient_id=reminder.patient_id,
                     changes={"channel": reminder.channel,
                              "minutes_before": reminder.minutes_before,
                              "attempt": claim.attempt})
        return "sent"
    if not ours:  # our lease ran out and another runner took it over: its word counts
        return "retrying"
    reminder.last_error = error
    if reminder.attempts >= MAX_ATTEMPTS:
        reminder.status = "failed"
        _audit_given_up(session, actor, reminder)
        return "failed"
    reminder.next_attempt_at = moment + FIRST_RETRY * 2 ** (reminder.attempts - 1)
    return "retrying"


def send_due(store: Store, actor: Actor, senders: Senders, *,
             now: Callable[[], datetime] = utcnow, limit: int = 500) -> SendReport:
    """Send the reminders that are due on the channels ``senders`` can send on, each claimed,
    sent and settled on its own (see the module's docstring). Due reminders on the other
    channels stay queued and are counted, until their appointment begins: then they are given
    up as not sent (or cancelled with it)."""
    require(actor, "schedule.write")
    sendable = senders.channels()
    idle = tuple(channel for channel in REMINDER_CHANNELS if channel not in sendable)
    with store.read_session() as session:
        moment = now()
        due = _pending_due(actor, moment)
        to_send = list(session.scalars(due.where(Reminder.channel.in_(sendable))
                                       .order_by(Reminder.next_attempt_at).limit(limit)))
        over = list(session.scalars(
            due.join(Appointment, Appointment.id == Reminder.appointment_id)
            .where(Reminder.channel.in_(idle),
                   or_(Appointment.starts_at <= moment, Appointment.deleted_at.is_not(None),
                       Appointment.status.not_in(_WAITING)))))
    counts = dict.fromkeys((item.name for item in fields(SendReport)), 0)
    for reminder_id in over:
        with store.session() as session:
            outcome = _claim(session, actor, reminder_id, now(), can_send=False)
        if isinstance(outcome, str):
            counts[outcome] += 1
    for reminder_id in to_send:
        with store.session() as session:
            claim = _claim(session, actor, reminder_id, now())
        if claim is None:
            continue  # another runner took it meanwhile
        if isinstance(claim, str):
            counts[claim] += 1
            continue
        error = _deliver(claim, senders)
        with store.session() as session:
            counts[_settle(session, actor, claim, error, now())] += 1
    with store.read_session() as session:
        waiting = dict(session.execute(
            _pending_due(actor, moment).with_only_columns(Reminder.channel, func.count())
            .where(Reminder.channel.in_(idle)).group_by(Reminder.channel)).all())
    counts["no_smtp"], counts["no_sms_gateway"] = waiting.get("email", 0), waiting.get("sms", 0)
    return SendReport(**counts)


def _pending_due(actor: Actor, moment: datetime) -> Select[tuple[uuid.UUID]]:
    return select(Reminder.id).where(Reminder.clinic_id == actor.seat.clinic_id,
                                     Reminder.status == "pending",
                                     Reminder.next_attempt_at <= moment)


@dataclass(frozen=True)
class RunReport:
    """One runner pass: how many reminders were queued, and what sending did."""

    queued: int
    sending: SendReport


def run_reminders(store: Store, actor: Actor, senders: Senders, *,
                  now: Callable[[], datetime] = utcnow, days_ahead: int = 3) -> RunReport:
    """Queue the coming appointments' reminders, then send the due ones."""
    for last_try in (False, True):
        try:
            queued = perform(store, actor, queue_reminders, now=now(), days_ahead=days_ahead)
            break
        except IntegrityError:
            # Another runner queued the same reminders at the same time (PostgreSQL; SQLite
            # serialises the two): the second pass finds them queued.
            if last_try:
                raise
    return RunReport(queued=queued, sending=send_due(store, actor, senders, now=now))


@dataclass(frozen=True)
class ReminderStatus:
    """The queue in numbers, for the front desk and the administrator (no patient data).
    ``queued``: not tried yet; ``retrying``: failed, to be tried again; ``gave_up``: failed
    for good (someone should call the patient)."""

    queued: int
    retrying: int
    sent: int
    gave_up: int
    cancelled: int
    due_now: int  # pending and due: a runner should be sending them
    waiting_email: int  # pending, by channel
    waiting_sms: int
    next_due: datetime | None  # the earliest pending reminder's next attempt
    last_sent_at: datetime | None
    last_errors: tuple[str, ...]  # of the pending and given-up reminders, most frequent first


def reminder_status(session: Session, actor: Actor, *,
                    now: datetime | None = None) -> ReminderStatus:
    """Count the clinic's reminders by state."""
    require(actor, "schedule.read")
    moment = now or utcnow()
    state = case((Reminder.status != "pending", Reminder.status),
                 (Reminder.attempts > 0, "retrying"), else_="queued")
    mine = Reminder.clinic_id == actor.seat.clinic_id
    counts = dict(session.execute(select(state, func.count()).where(mine).group_by(state))
                  .all())
    pending = (mine, Reminder.status == "pending")
    by_channel = dict(session.execute(select(Reminder.channel, func.count()).where(*pending)
                                      .group_by(Reminder.channel)).all())
    due_now, next_due = session.execute(select(
        func.count().filter(Reminder.next_attempt_at <= moment),
        func.min(Reminder.next_attempt_at)).where(*pending)).one()
    errors = session.execute(
        select(Reminder.last_error, func.count()).where(
            mine, Reminder.status.in_(("pending", "failed")), Reminder.last_error.is_not(None))
        .group_by(Reminder.last_error).order_by(func.count().desc()).limit(3)).all()
    return ReminderStatus(
        queued=counts.get("queued", 0), retrying=counts.get("retrying", 0),
        sent=counts.get("sent", 0), gave_up=counts.get("failed", 0),
        cancelled=counts.get("cancelled", 0), due_now=due_now,
        waiting_email=by_channel.get("email", 0), waiting_sms=by_channel.get("sms", 0),
        next_due=next_due,
        last_sent_at=session.scalar(select(func.max(Reminder.sent_at)).where(mine)),
        last_errors=tuple(error for error, _count in errors))
