"""Reminders delivered to a real local SMTP server (aiosmtpd) and to a recording text-message
gateway (the world outside the clinic); preferences and opt-out respected; a failed send
retried, never lost; a cancelled appointment's reminders cancelled."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from outside_world import Inbox, free_port, smtp_server
from schedule_data import MONDAY, ScheduleClinic, local
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.patients.registry import get_patient, update_demographics
from medtrack_desktop.domain.scheduling.appointments import book_appointment, set_status
from medtrack_desktop.domain.scheduling.models import Reminder
from medtrack_desktop.domain.scheduling.reminder_senders import Senders, SendFailed, SmtpSender
from medtrack_desktop.domain.scheduling.reminders import (
    MAX_ATTEMPTS,
    SendReport,
    queue_reminders,
    send_due,
    set_reminder_preference,
)

THREE_DAYS_BEFORE = local(MONDAY, 9) - timedelta(days=3)


@dataclasses.dataclass
class RecordingSms:
    """The text-message gateway's stand-in: records what it is asked to send."""

    sent: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    down: bool = False

    def send(self, to: str, text: str) -> None:
        if self.down:
            raise SendFailed("gateway: 503")
        self.sent.append((to, text))


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Inbox]]:
    with smtp_server() as running:
        yield running


def give_contacts(clinic: ScheduleClinic, patient: int, *, email: str | None,
                  mobile: str | None) -> uuid.UUID:
    patient_id = clinic.patients[patient]
    record = perform(clinic.store, clinic.desk, get_patient, patient_id=patient_id)
    perform(clinic.store, clinic.desk, update_demographics, patient_id=patient_id,
            version=record.version, today=MONDAY, demographics=dataclasses.replace(
                record.demographics, email=email or "", phone_mobile=mobile or ""))
    return patient_id


def book(clinic: ScheduleClinic, patient: int, hour: int = 9) -> Any:
    return perform(clinic.store, clinic.desk, book_appointment, booking=clinic.booking(
        local(MONDAY, hour), patient=patient, reason="Chest pain follow-up"))


def send(clinic: ScheduleClinic, senders: Senders, at: datetime) -> SendReport:
    return send_due(clinic.store, clinic.desk, senders, now=lambda: at)


def reminders(clinic: ScheduleClinic) -> list[Reminder]:
    with clinic.store.read_session() as session:
        rows = list(session.scalars(select(Reminder).order_by(Reminder.next_attempt_at,
                                                              Reminder.channel)))
        session.expunge_all()
    return rows


def test_reminders_go_out_on_the_patients_channels_with_when_and_where_only(
    clinic: ScheduleClinic, smtp: tuple[Controller, Inbox],
) -> None:
    controller, inbox = smtp
    give_contacts(clinic, 0, email="ada@example.org", mobile="(512) 555-0101")
    give_contacts(clinic, 1, email="ben@example.org", mobile="(512) 555-0102")
    give_contacts(clinic, 2, email="cleo@example.org", mobile="(512) 555-0103")
    perform(clinic.store, clinic.desk, set_reminder_preference, patient_id=clinic.patients[1],
            email=True, sms=True, opted_out=True)
    perform(clinic.store, clinic.desk, set_reminder_preference, patient_id=clinic.patients[2],
            email=False, sms=True, opted_out=False)
    for patient, hour in ((0, 9), (1, 10), (2, 11)):
        book(clinic, patient, hour)
    queued = perform(clinic.store, clinic.desk, queue_reminders, now=THREE_DAYS_BEFORE,
                     days_ahead=4)
    assert queued == 6  # Ada: email and text, twice; Ben: none; Cleo: text, twice
    assert perform(clinic.store, clinic.desk, queue_reminders, now=THREE_DAYS_BEFORE,
                   days_ahead=4) == 0

    gateway = RecordingSms()
    senders = Senders(email=SmtpSender("127.0.0.1", controller.port, "desk@riverside.test",
                                       security="none"),
                      sms=gateway)
    assert send(clinic, senders, THREE_DAYS_BEFORE) == SendReport()  # nothing due yet
    report = send(clinic, senders, local(MONDAY, 11) - timedelta(hours=48))
    assert (report.sent, report.retrying, report.failed) == (3, 0, 0)
    (mail,) = inbox.messages
    assert (mail["To"], mail["Subject"]) == (
        "ada@example.org", "Your appointment at Schedule Test Clinic on Monday 08 March 2027")
    body = mail.get_payload(decode=True).decode()
    assert "Hello Ada," in body and "Drlee Staff on Monday 08 March 2027 at 09:00" in body
    assert "Main Street" in body and "Chest pain" not in body
    assert "please call us so that" in body, "no phone number set up: no blank left"
    assert [to for to, _text in gateway.sent] == ["(512) 555-0101", "(512) 555-0103"]
    assert all("Chest pain" not in text for _to, text in gateway.sent)
    with clinic.store.read_session() as session:
        logged = session.scalars(select(AuditEntry.patient_id).where(
            AuditEntry.action == "reminder.sent")).all()
    assert sorted(map(str, logged)) == sorted(map(str, [clinic.patients[0]] * 2
                                                  + [clinic.patients[2]]))


def test_a_failed_send_is_retried_later_and_never_lost(
    clinic: ScheduleClinic, smtp: tuple[Controller, Inbox],
) -> None:
    controller, inbox = smtp
    give_contacts(clinic, 0, email="ada@example.org", mobile=None)
    book(clinic, 0)
    perform(clinic.store, clinic.desk, queue_reminders, now=THREE_DAYS_BEFORE)
    senders = Senders(email=SmtpSender("127.0.0.1", free_port(), "desk@riverside.test",
                                       security="none", timeout=2))  # nobody listens there
    due = local(MONDAY, 9) - timedelta(hours=48)
    assert send(clinic, senders, due).retrying == 1
    (first, _later) = reminders(clinic)
    assert (first.status, first.attempts, first.last_error) == (
        "pending", 1, "SMTP: ConnectionRefusedError")
    assert first.next_attempt_at == due + timedelta(minutes=5)
    assert send(clinic, senders, due + timedelta(minutes=1)) == SendReport()  # not yet
    working = Senders(email=SmtpSender("127.0.0.1", controller.port, "desk@riverside.test",
                                       security="none"))
    assert send(clinic, working, due + timedelta(minutes=5)).sent == 1
    assert len(inbox.messages) == 1 and reminders(clinic)[0].status == "sent"


def test_the_last_attempt_marks_it_failed_and_a_cancelled_visit_cancels_its_reminders(
    clinic: ScheduleClinic,
) -> None:
    give_contacts(clinic, 0, email=None, mobile="(512) 555-0101")
    give_contacts(clinic, 1, email=None, mobile="(512) 555-0102")
    failing, cancelled = book(clinic, 0, 9), book(clinic, 1, 10)
    perform(clinic.store, clinic.desk, queue_reminders, now=THREE_DAYS_BEFORE, days_ahead=4)
    perform(clinic.store, clinic.desk, set_status, appointment_id=cancelled.id,
            version=cancelled.version, status="cancelled", cancel_reason="Moved away")
    gateway = RecordingSms(down=True)
    at = local(MONDAY, 10) - timedelta(hours=48)
    outcomes = [send(clinic, Senders(sms=gateway), at + timedelta(hours=hour))
                for hour in range(MAX_ATTEMPTS)]
    assert outcomes[0].cancelled == 1 and outcomes[-1].failed == 1
    first = next(r for r in reminders(clinic) if r.appointment_id == failing.id
                 and r.minutes_before == 48 * 60)
    assert (first.status, first.attempts, first.last_error) == (
        "failed", MAX_ATTEMPTS, "gateway: 503")
    assert gateway.sent == []
