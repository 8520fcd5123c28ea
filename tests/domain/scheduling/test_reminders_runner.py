"""The reminder runner's promises: two runners at once never send one reminder twice (real
SQLCipher file, and PostgreSQL), no database lock is held while a server thinks, a failed send
is retried with growing delays and then given up visibly, a runner dying mid-send loses
nothing, a channel without a sender waits and is reported, moved appointments move their
reminders."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from outside_world import smtp_server
from schedule_data import MONDAY, ScheduleClinic, local, make_schedule_clinic
from sqlalchemy import select
from test_reminders import (
    THREE_DAYS_BEFORE,
    RecordingSms,
    book,
    give_contacts,
    reminders,
    send,
)

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.scheduling.appointments import book_appointment, move_appointment
from medtrack_desktop.domain.scheduling.models import Reminder
from medtrack_desktop.domain.scheduling.reminder_senders import Senders, SmtpSender
from medtrack_desktop.domain.scheduling.reminders import (
    CLAIM_LEASE,
    FIRST_RETRY,
    MAX_ATTEMPTS,
    NO_SENDER,
    TOO_LATE,
    SendReport,
    queue_reminders,
    reminder_status,
    run_reminders,
    send_due,
    set_reminder_preference,
)


def smtp_at(port: int) -> SmtpSender:
    return SmtpSender("127.0.0.1", port, "desk@riverside.test", security="none", timeout=5)


def the(clinic: ScheduleClinic, channel: str, minutes_before: int) -> Reminder:
    return next(r for r in reminders(clinic)
                if (r.channel, r.minutes_before) == (channel, minutes_before))


def audited(clinic: ScheduleClinic, action: str) -> list[AuditEntry]:
    with clinic.store.read_session() as session:
        rows = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        session.expunge_all()
    return rows


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def test_two_runners_at_once_never_send_the_same_reminder_twice(
    engine: str, request: pytest.FixtureRequest,
) -> None:
    clinic: ScheduleClinic = (request.getfixturevalue("clinic") if engine == "sqlite"
                              else make_schedule_clinic(request.getfixturevalue("pg_store")))
    starts = [local(MONDAY, 9), local(MONDAY, 9, 30), local(MONDAY, 10), local(MONDAY, 10, 30)]
    for patient, at in enumerate(starts):
        give_contacts(clinic, patient, email=f"patient{patient}@example.org", mobile=None)
        perform(clinic.store, clinic.desk, book_appointment,
                booking=clinic.booking(at, patient=patient))
    assert perform(clinic.store, clinic.desk, queue_reminders, now=THREE_DAYS_BEFORE,
                   days_ahead=4) == 8
    moment = starts[-1] - timedelta(hours=48)  # every 48-hour reminder is due
    start, reports = threading.Barrier(2), []
    with smtp_server(delay=0.05) as (controller, inbox):
        senders = Senders(email=smtp_at(controller.port))

        def runner() -> None:
            start.wait(10)
            reports.append(send_due(clinic.store, clinic.desk, senders, now=lambda: moment))

        threads = [threading.Thread(target=runner) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sorted(mail["To"] for mail in inbox.messages) == [
        f"patient{n}@example.org" for n in range(4)]
    assert sum(report.sent for report in reports) == 4 and len(reports) == 2
    assert sorted(r.status for r in reminders(clinic)) == ["pending"] * 4 + ["sent"] * 4
    assert all(r.attempts == 1 for r in reminders(clinic) if r.status == "sent")
    assert len(audited(clinic, "reminder.sent")) == 4


def test_no_database_lock_is_held_while_a_mail_server_thinks(clinic: ScheduleClinic) -> None:
    give_contacts(clinic, 0, email="ada@example.org", mobile=None)
    book(clinic, 0)
    perform(clinic.store, clinic.desk, queue_reminders, now=THREE_DAYS_BEFORE)
    entered, release, outcome = threading.Event(), threading.Event(), {}

    class SlowServer:
        def send(self, to: str, subject: str, body: str) -> None:
            entered.set()
            release.wait(20)

    sending = threading.Thread(target=lambda: outcome.setdefault("report", send(
        clinic, Senders(email=SlowServer()), local(MONDAY, 9) - timedelta(hours=48))))
    sending.start()
    assert entered.wait(10)
    began = time.monotonic()
    perform(clinic.store, clinic.desk, set_reminder_preference, patient_id=clinic.patients[1],
            email=True, sms=False, opted_out=False)  # the front desk goes on writing
    waited = time.monotonic() - began
    release.set()
    sending.join(20)
    assert waited < 2, f"a write waited {waited:.1f} s for the send"
    assert outcome["report"].sent == 1


def test_a_gateway_down_is_retried_with_growing_delays_then_given_up_and_shown(
    clinic: ScheduleClinic,
) -> None:
    give_contacts(clinic, 0, email=None, mobile="(512) 555-0101")
    book(clinic, 0)
    assert perform(clinic.store, clinic.desk, queue_reminders, now=THREE_DAYS_BEFORE) == 2
    gateway = RecordingSms(down=True)
    at = local(MONDAY, 9) - timedelta(hours=48)
    for attempt in range(1, MAX_ATTEMPTS):
        assert send(clinic, Senders(sms=gateway), at).retrying == 1
        reminder = the(clinic, "sms", 48 * 60)
        delay = FIRST_RETRY * 2 ** (attempt - 1)  # 5, 10, 20, 40 minutes
        assert (reminder.status, reminder.attempts, reminder.last_error) == (
            "pending", attempt, "gateway: 503")
        assert reminder.next_attempt_at == at + delay
        assert send(clinic, Senders(sms=gateway), at + delay - timedelta(seconds=1)) == (
            SendReport()), "not tried again before its time"
        at += delay
    assert send(clinic, Senders(sms=gateway), at).failed == 1
    reminder = the(clinic, "sms", 48 * 60)
    assert (reminder.status, reminder.attempts) == ("failed", MAX_ATTEMPTS)
    status = perform(clinic.store, clinic.desk, reminder_status, now=at)
    assert (status.queued, status.retrying, status.sent, status.gave_up) == (1, 0, 0, 1)
    assert status.last_errors == ("gateway: 503",)
    (given_up,) = audited(clinic, "reminder.given_up")
    assert (given_up.patient_id, given_up.outcome) == (clinic.patients[0], "failure")
    assert gateway.sent == []


def test_without_a_gateway_text_reminders_wait_and_are_reported_never_dropped(
    clinic: ScheduleClinic,
) -> None:
    give_contacts(clinic, 0, email="ada@example.org", mobile="(512) 555-0101")
    book(clinic, 0)
    assert perform(clinic.store, clinic.desk, queue_reminders, now=THREE_DAYS_BEFORE) == 4
    at = local(MONDAY, 9) - timedelta(hours=48)
    with smtp_server() as (controller, inbox):
        email_only = Senders(email=smtp_at(controller.port))
        report = send(clinic, email_only, at)
        assert (report.sent, report.no_sms_gateway, report.no_smtp) == (1, 1, 0)
        waiting = the(clinic, "sms", 48 * 60)
        assert (waiting.status, waiting.attempts, waiting.last_error) == ("pending", 0, None)
        status = perform(clinic.store, clinic.desk, reminder_status, now=at)
        assert (status.waiting_sms, status.waiting_email, status.due_now) == (2, 1, 1)

        assert send(clinic, Senders(sms=RecordingSms()), at).sent == 1, (
            "a gateway set up later sends what waited")
        assert the(clinic, "sms", 48 * 60).status == "sent"

        began = local(MONDAY, 9, 5)  # the appointment has begun: what never went out shows
        send(clinic, email_only, began)
    assert len(inbox.messages) == 1
    given_up = {(r.channel, r.minutes_before): r.last_error for r in reminders(clinic)
                if r.status == "failed"}
    assert given_up == {("sms", 120): NO_SENDER["sms"], ("email", 120): TOO_LATE}


def test_a_runner_dying_mid_send_leaves_the_reminder_to_the_next_after_its_lease(
    clinic: ScheduleClinic,
) -> None:
    give_contacts(clinic, 0, email="ada@example.org", mobile=None)
    book(clinic, 0)
    perform(clinic.store, clinic.desk, queue_reminders, now=THREE_DAYS_BEFORE)
    at = local(MONDAY, 9) - timedelta(hours=48)

    class PowerCut:
        def send(self, to: str, subject: str, body: str) -> None:
            raise RuntimeError("the runner's process ends here")

    with pytest.raises(RuntimeError):
        send(clinic, Senders(email=PowerCut()), at)
    claimed = the(clinic, "email", 48 * 60)
    assert (claimed.status, claimed.attempts, claimed.next_attempt_at) == (
        "pending", 1, at + CLAIM_LEASE)
    with smtp_server() as (controller, inbox):
        working = Senders(email=smtp_at(controller.port))
        assert send(clinic, working, at + timedelta(minutes=1)) == SendReport(), "still claimed"
        assert send(clinic, working, at + CLAIM_LEASE).sent == 1
    assert len(inbox.messages) == 1
    assert (the(clinic, "email", 48 * 60).status, the(clinic, "email", 48 * 60).attempts) == (
        "sent", 2)


def test_an_appointment_moved_earlier_takes_its_queued_reminders_along(
    clinic: ScheduleClinic,
) -> None:
    give_contacts(clinic, 0, email="ada@example.org", mobile=None)
    visit = book(clinic, 0, 11)
    perform(clinic.store, clinic.desk, queue_reminders, now=THREE_DAYS_BEFORE, days_ahead=4)
    perform(clinic.store, clinic.desk, move_appointment, appointment_id=visit.id,
            version=visit.version, starts_at=local(MONDAY, 9))
    later = THREE_DAYS_BEFORE + timedelta(hours=1)
    assert perform(clinic.store, clinic.desk, queue_reminders, now=later, days_ahead=4) == 0
    assert the(clinic, "email", 48 * 60).next_attempt_at == local(MONDAY, 9) - timedelta(
        hours=48)
    assert the(clinic, "email", 120).next_attempt_at == local(MONDAY, 7)


def test_a_reminder_that_could_not_go_out_in_time_is_given_up_visibly(
    clinic: ScheduleClinic,
) -> None:
    give_contacts(clinic, 0, email="ada@example.org", mobile=None)
    book(clinic, 0)
    perform(clinic.store, clinic.desk, queue_reminders, now=THREE_DAYS_BEFORE)
    with smtp_server() as (controller, inbox):
        working = Senders(email=smtp_at(controller.port))
        morning = local(MONDAY, 6, 30)  # the runner was down all weekend
        report = send(clinic, working, morning)
        assert (report.sent, report.failed) == (0, 1)
        assert send(clinic, working, local(MONDAY, 7)).sent == 1
    assert len(inbox.messages) == 1
    status = perform(clinic.store, clinic.desk, reminder_status, now=local(MONDAY, 7))
    assert (status.sent, status.gave_up, status.last_errors) == (1, 1, (TOO_LATE,))


def test_a_run_queues_then_sends_and_the_status_counts_it(clinic: ScheduleClinic) -> None:
    give_contacts(clinic, 0, email="ada@example.org", mobile=None)
    give_contacts(clinic, 1, email="ben@example.org", mobile=None)
    book(clinic, 0, 9)
    book(clinic, 1, 10)
    at: datetime = local(MONDAY, 9) - timedelta(hours=48)
    with smtp_server() as (controller, inbox):
        senders = Senders(email=smtp_at(controller.port))
        first = run_reminders(clinic.store, clinic.desk, senders, now=lambda: at)
        assert (first.queued, first.sending.sent) == (4, 1)
        again = run_reminders(clinic.store, clinic.desk, senders, now=lambda: at)
        assert (again.queued, again.sending) == (0, SendReport())
    assert [mail["To"] for mail in inbox.messages] == ["ada@example.org"]
    status = perform(clinic.store, clinic.desk, reminder_status, now=at)
    assert (status.queued, status.retrying, status.sent, status.gave_up, status.due_now) == (
        3, 0, 1, 0, 0)
    assert status.next_due == local(MONDAY, 10) - timedelta(hours=48)
    assert status.last_sent_at == at
