"""Booking a recurring series from the calendar's booking dialog, over the real services:
weekly on two weekdays by keyboard, monthly on "the 2nd Tuesday", a taken day left out when
the clerk agrees, and choices that cannot be booked refused at their field."""

from __future__ import annotations

import uuid
from datetime import timedelta

from calendar_ui import block_of, choose_patient, column_of, reloaded
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from schedule_setup import DAY, TIMEOUT, Schedule
from sqlalchemy import select

from medtrack_desktop.domain.scheduling.models import Appointment, AppointmentSeries
from medtrack_desktop.ui.calendar.booking_dialog import BookingDialog
from medtrack_desktop.ui.calendar.page import CalendarPage
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.widgets.choices import select_data


def booked_for(context: AppContext, schedule: Schedule, patient: uuid.UUID
               ) -> list[tuple[str, uuid.UUID | None]]:
    """(local start, series) of the patient's appointments that hold their time."""
    with context.store.read_session() as session:
        rows = session.execute(select(Appointment.starts_at, Appointment.series_id).where(
            Appointment.patient_id == patient, Appointment.status == "scheduled")
            .order_by(Appointment.starts_at)).all()
    return [(f"{row.starts_at.astimezone(schedule.zone):%a %d %b %H:%M}", row.series_id)
            for row in rows]


def open_booking(qtbot: QtBot, page: CalendarPage, schedule: Schedule, hour: int,
                 patient: str) -> BookingDialog:
    page.grid.setFocus()
    page.grid.set_cursor(column_of(page, schedule.providers[0], page.day), hour * 60)
    qtbot.keyClick(page.grid, Qt.Key.Key_Insert)
    dialog = page.dialog
    assert isinstance(dialog, BookingDialog)
    choose_patient(qtbot, dialog, patient)
    return dialog


def test_a_weekly_series_on_monday_and_wednesday_booked_by_keyboard(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    dialog = open_booking(qtbot, page, schedule, 9, "calendarben")
    repeat = dialog.repeat
    assert repeat.frequency.currentText() == "Does not repeat" and repeat.details.isHidden()
    qtbot.keyClick(repeat.frequency, Qt.Key.Key_Down)
    qtbot.keyClick(repeat.frequency, Qt.Key.Key_Down)
    assert repeat.frequency.currentText() == "Weekly" and not repeat.details.isHidden()
    assert [box.isChecked() for box in repeat.weekdays] == [True] + [False] * 6  # Monday
    qtbot.keyClick(repeat.weekdays[2], Qt.Key.Key_Space)  # and Wednesday
    assert repeat.count.value() == 6
    assert repeat.summary.text() == "Every week on Monday and Wednesday, 6 times"
    assert repeat.preview.text() == ("Mon 13 Sep, Wed 15 Sep, Mon 20 Sep, Wed 22 Sep \u2026 "
                                     "Wed 29 Sep \u00b7 6 appointments")
    assert dialog.book_button.text() == "&Book 6 appointments"
    qtbot.keyClicks(dialog.reason, "Physiotherapy")
    shown = page.shown
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # the default button books
    qtbot.waitUntil(lambda: page.dialog is None, timeout=TIMEOUT)
    reloaded(qtbot, page, before=shown)  # the read may be done as the dialog closes

    booked = booked_for(context, schedule, schedule.patients[1])
    assert [when for when, _series in booked] == [
        "Mon 13 Sep 09:00", "Wed 15 Sep 09:00", "Mon 20 Sep 09:00", "Wed 22 Sep 09:00",
        "Mon 27 Sep 09:00", "Wed 29 Sep 09:00"]
    (series_id,) = {series for _when, series in booked}
    with context.store.read_session() as session:
        series = session.get_one(AppointmentSeries, series_id)
        assert series.rule == "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6"
        assert series.reason == "Physiotherapy"
    assert page.notice.text() == "Booked 6 appointments, Mon 13 Sep to Wed 29 Sep."
    (block,) = page.grid.blocks
    assert block.appointment.series_id == series_id


def test_a_monthly_series_on_the_second_tuesday(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    page.go_to(DAY + timedelta(days=1))  # Tuesday 14 September, the month's 2nd
    reloaded(qtbot, page)
    dialog = open_booking(qtbot, page, schedule, 10, "calendarcleo")
    repeat = dialog.repeat
    select_data(repeat.frequency, "MONTHLY")
    assert [repeat.month_by.itemText(n) for n in range(repeat.month_by.count())] == [
        "the 14th", "the 2nd Tuesday"]
    select_data(repeat.month_by, "position")
    repeat.count.setValue(3)
    assert repeat.summary.text() == "Every month on the 2nd Tuesday, 3 times"
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is None, timeout=TIMEOUT)
    assert [when for when, _series in booked_for(context, schedule, schedule.patients[2])] == [
        "Tue 14 Sep 10:00", "Tue 12 Oct 10:00", "Tue 09 Nov 10:00"]


def test_a_taken_day_is_left_out_when_the_clerk_agrees_and_reported(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
    answers: list[bool],
) -> None:
    schedule.book(context, 9, patient=3, day=DAY + timedelta(days=2))  # Wednesday 15th
    dialog = open_booking(qtbot, page, schedule, 9, "calendarben")
    select_data(dialog.repeat.frequency, "WEEKLY")
    dialog.repeat.weekdays[2].setChecked(True)
    dialog.reason.setText("Physiotherapy")
    answers.append(False)  # "no": nothing is booked, the entry stays
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=TIMEOUT)
    assert dialog.message.text() == ("Taken on Wed 15 Sep. Pick another time, or book the "
                                     "others and leave these out.")
    assert booked_for(context, schedule, schedule.patients[1]) == []
    assert dialog.isVisible() and dialog.reason.text() == "Physiotherapy"

    shown = page.shown  # the read may be done as the dialog closes
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)  # and "yes"
    qtbot.waitUntil(lambda: page.dialog is None, timeout=TIMEOUT)
    reloaded(qtbot, page, before=shown)
    assert [when for when, _series in booked_for(context, schedule, schedule.patients[1])] == [
        "Mon 13 Sep 09:00", "Mon 20 Sep 09:00", "Wed 22 Sep 09:00", "Mon 27 Sep 09:00",
        "Wed 29 Sep 09:00"]
    assert page.notice.text() == ("Booked 5 appointments, Mon 13 Sep to Wed 29 Sep. Left out, "
                                  "the time was taken: Wed 15 Sep.")
    assert block_of(page, page.grid.blocks[0].id).appointment.patient_name == (
        "CalendarBen, Ben")


def test_repeat_choices_that_cannot_be_booked_are_refused_at_their_field(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    dialog = open_booking(qtbot, page, schedule, 9, "calendarben")
    repeat = dialog.repeat
    dialog.reason.setText("Physiotherapy")
    select_data(repeat.frequency, "WEEKLY")
    repeat.weekdays[0].setChecked(False)
    assert repeat.preview.text() == "On: choose at least one weekday."
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    assert repeat.errors.shown() == {"weekdays": "On: choose at least one weekday."}
    assert repeat.preview.isHidden()  # said once, at the field
    repeat.weekdays[4].setChecked(True)  # Friday: fixed as it is typed
    assert repeat.errors.shown() == {}
    assert repeat.preview.text().startswith("Fri 17 Sep, Fri 24 Sep")
    assert "the first is Fri 17 Sep" in repeat.preview.text()

    select_data(repeat.end, "until")
    repeat.until.setDate(repeat.until.date().addDays(-60))  # before the first day
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    assert repeat.errors.shown() == {
        "until": "Until: a day after the first appointment (Mon 13 Sep 2027)."}

    select_data(repeat.frequency, "MONTHLY")
    select_data(repeat.end, "count")
    repeat.interval.setValue(12)
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    assert repeat.errors.shown() == {
        "count": "Repeat: at most 2 years ahead (until Thu 13 Sep 2029 at the latest)."}
    qtbot.wait(100)
    assert dialog.isVisible() and dialog.reason.text() == "Physiotherapy"
    assert booked_for(context, schedule, schedule.patients[1]) == []
