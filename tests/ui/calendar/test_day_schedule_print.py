"""Printing a provider's day from the calendar: the PDF is read and built on the task runner,
shown in the shared preview, and holds the day's appointments (read back with pypdf); the
print is audited; text prints as typed."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from calendar_ui import column_of, reloaded
from pypdf import PdfReader
from pytestqt.qtbot import QtBot
from schedule_setup import DAY, TIMEOUT, Schedule
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.scheduling.appointments import set_status
from medtrack_desktop.domain.scheduling.calendar import DaySchedule, ScheduleLine
from medtrack_desktop.printing.day_schedule import DOCUMENT_TITLE, day_schedule_pdf
from medtrack_desktop.ui.calendar.day_schedule_dialog import PREVIEW_TITLE, DayScheduleDialog
from medtrack_desktop.ui.calendar.page import CalendarPage
from medtrack_desktop.ui.context import AppContext


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_print_day_previews_the_providers_appointments(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    first = schedule.book(context, 9, reason="Knee pain")
    schedule.book(context, 10, patient=1, category=schedule.new_patient)
    cancelled = schedule.book(context, 11, patient=2)
    perform(context.store, schedule.desk, set_status, appointment_id=cancelled.id,
            version=cancelled.version, status="cancelled", cancel_reason="Called")
    perform(context.store, schedule.desk, set_status, appointment_id=first.id,
            version=first.version, status="arrived")
    schedule.book(context, 9, provider=1, patient=3)  # another provider's
    page.reload()
    reloaded(qtbot, page)
    page.grid.set_cursor(column_of(page, schedule.providers[0]), 9 * 60)
    page.print_day()
    dialog = page.dialog
    assert isinstance(dialog, DayScheduleDialog)
    assert dialog.windowTitle() == PREVIEW_TITLE
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=TIMEOUT)
    assert dialog.pdf is not None
    text = _text(dialog.pdf)
    for expected in ("Day schedule", "Harper Quinn", "Monday, September 13, 2027",
                     "09:00\u201309:20", "CalendarAda, Ada", "Knee pain", "Checked in",
                     "10:00\u201310:40", "CalendarBen, Ben", "Cal new patient", "Scheduled",
                     "2 appointments", "Page 1 of 1"):
        assert expected in text, expected
    assert "CalendarCleo" not in text and "CalendarDov" not in text
    assert PdfReader(io.BytesIO(dialog.pdf)).metadata.title == DOCUMENT_TITLE
    with context.store.read_session() as session:
        printed = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "schedule.print")).all()
    assert [entry.changes["results"] for entry in printed] == [2]
    assert printed[0].changes["day"] == DAY.isoformat()
    dialog.reject()


def test_the_day_schedule_prints_text_as_typed_and_an_empty_day_says_so() -> None:
    when = datetime(2027, 9, 13, 14, 0, tzinfo=UTC)
    line = ScheduleLine(starts_at=when, ends_at=when, patient_name="O'Brien <b>&</b>, Siobhán",
                        mrn="M-1", category="Follow-up", reason="Pain\u202e reversed",
                        status="Scheduled")
    full = DaySchedule(clinic_name="Clinic & Co", provider_name="Dr Ñ", day=when.date(),
                       printed_at=when, lines=(line,) * 60)
    pdf = day_schedule_pdf(full)
    text = _text(pdf)
    assert "O'Brien <b>&</b>," in text and "Siobhán" in text and "Clinic & Co" in text
    assert "\u202e" not in text and "Pain reversed" in text and "60 appointments" in text
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert pages > 1 and f"Page {pages} of {pages}" in text
    assert text.count("Time Patient MRN".replace(" ", "\n")) == pages  # the header repeats
    empty = DaySchedule(clinic_name="Clinic", provider_name="Dr A", day=when.date(),
                        printed_at=when, lines=())
    assert "No appointments this day." in _text(day_schedule_pdf(empty))
