"""Moving and cancelling appointments of a recurring series from the calendar: the question
"this appointment, this and the following, or all", by keyboard; cancelling the third and
the following leaves the first two; moving all leaves what is past and completed; a block of
a series dragged asks too, and "Go back" puts it back."""

from __future__ import annotations

from datetime import date, timedelta

from calendar_ui import block_of, column_of, reloaded
from PySide6.QtCore import QPoint, Qt, QTime
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from schedule_setup import DAY, TIMEOUT, Schedule

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.scheduling.appointments import Booking, set_status
from medtrack_desktop.domain.scheduling.models import Appointment
from medtrack_desktop.domain.scheduling.recurrence import (
    SERIES_CHANGED,
    SeriesOutcome,
    book_series,
    series_appointments,
)
from medtrack_desktop.ui.calendar.appointment_dialogs import CancelDialog, MoveDialog
from medtrack_desktop.ui.calendar.page import CalendarPage
from medtrack_desktop.ui.calendar.series_question import SeriesQuestion
from medtrack_desktop.ui.context import AppContext


def weekly(context: AppContext, schedule: Schedule, first: date, count: int = 5
           ) -> SeriesOutcome:
    """Mondays at 10:00 with Dr Quinn for Ada, from ``first``."""
    return perform(context.store, schedule.desk, book_series, booking=Booking(
        patient_id=schedule.patients[0], provider_id=schedule.providers[0],
        facility_id=schedule.facility, category_id=schedule.follow_up,
        starts_at=schedule.at(10, day=first), reason="Physiotherapy"),
        rule=f"FREQ=WEEKLY;COUNT={count}")


def listed(context: AppContext, schedule: Schedule, series_id: object
           ) -> list[tuple[str, str, str | None]]:
    rows: list[Appointment] = perform(context.store, schedule.desk, series_appointments,
                                      series_id=series_id)
    return [(f"{row.starts_at.astimezone(schedule.zone):%d %b %H:%M}", row.status,
             row.cancel_reason) for row in rows]


def question(qtbot: QtBot, page: CalendarPage) -> SeriesQuestion:
    qtbot.waitUntil(lambda: isinstance(page.dialog, SeriesQuestion), timeout=TIMEOUT)
    return page.dialog


def test_cancelling_the_third_and_the_following_leaves_the_first_two(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    outcome = weekly(context, schedule, DAY)
    asked: list[str] = []
    page.confirm = lambda _parent, _title, text: asked.append(text) or True
    page.go_to(DAY + timedelta(days=14))
    reloaded(qtbot, page)
    third = block_of(page, outcome.booked[2].id)
    assert third.appointment.series_id == outcome.series_id
    page.grid.setFocus()
    page.grid.select_block(third)
    qtbot.keyClick(page.grid, Qt.Key.Key_Delete)
    asking = question(qtbot, page)
    assert asking.windowTitle() == "Cancel a recurring appointment"
    assert asking.following.accessibleDescription() == (
        "3 appointments, Mon 27 Sep to Mon 11 Oct")
    assert asking.all.accessibleDescription() == "5 appointments, Mon 13 Sep to Mon 11 Oct"
    assert asking.choice() == "this"
    qtbot.keyClick(asking.this, Qt.Key.Key_Down)  # the arrows choose
    assert asking.choice() == "following"
    qtbot.keyClick(asking.following, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(page.dialog, CancelDialog), timeout=TIMEOUT)
    reason = page.dialog
    qtbot.keyClicks(reason.reason, "Moved away")
    qtbot.keyClick(reason.reason, Qt.Key.Key_Return)
    reloaded(qtbot, page)
    assert asked == ["Cancel 3 appointments of CalendarAda, Ada (Mon 27 Sep to Mon 11 Oct)? "
                     "Their time is given back for someone else."]
    assert listed(context, schedule, outcome.series_id) == [
        ("13 Sep 10:00", "scheduled", None), ("20 Sep 10:00", "scheduled", None),
        ("27 Sep 10:00", "cancelled", "Moved away"), ("04 Oct 10:00", "cancelled", "Moved away"),
        ("11 Oct 10:00", "cancelled", "Moved away")]
    assert page.notice.text() == "Cancelled 3 appointments of the series."
    assert page.grid.block_by_id(outcome.booked[2].id) is None


def test_saying_no_to_cancelling_many_keeps_them_all(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
    answers: list[bool],
) -> None:
    outcome = weekly(context, schedule, DAY, count=3)
    page.reload()
    reloaded(qtbot, page)
    page.grid.setFocus()
    page.grid.select_block(block_of(page, outcome.booked[0].id))
    qtbot.keyClick(page.grid, Qt.Key.Key_Delete)
    asking = question(qtbot, page)
    asking.choose("all")
    asking.accept()
    qtbot.waitUntil(lambda: isinstance(page.dialog, CancelDialog), timeout=TIMEOUT)
    page.dialog.reason.setText("Moved away")
    answers.append(False)
    page.dialog.accept()
    qtbot.wait(200)
    assert [status for _when, status, _why in listed(context, schedule, outcome.series_id)] == [
        "scheduled"] * 3


def test_moving_all_keeps_the_past_and_the_completed_ones(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    outcome = weekly(context, schedule, DAY - timedelta(days=14))  # 30 Aug .. 27 Sep
    first = outcome.booked[0]
    for version, status in ((first.version, "arrived"), (first.version + 1, "completed")):
        perform(context.store, schedule.desk, set_status, appointment_id=first.id,
                version=version, status=status)
    page.reload()
    reloaded(qtbot, page)  # the page's clock: DAY 08:30, so the first two are past
    page.grid.setFocus()
    page.grid.select_block(block_of(page, outcome.booked[2].id))
    qtbot.keyClick(page.grid, Qt.Key.Key_M)
    asking = question(qtbot, page)
    assert asking.all.accessibleDescription() == "3 appointments, Mon 13 Sep to Mon 27 Sep"
    asking.choose("all")
    qtbot.keyClick(asking.all, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(page.dialog, MoveDialog), timeout=TIMEOUT)
    move = page.dialog
    assert not move.day.isEnabled()  # each keeps its day
    move.start.setTime(QTime(11, 15))
    qtbot.keyClick(move.start, Qt.Key.Key_Return)
    reloaded(qtbot, page)
    assert listed(context, schedule, outcome.series_id) == [
        ("30 Aug 10:00", "completed", None), ("06 Sep 10:00", "scheduled", None),
        ("13 Sep 10:00", "cancelled", SERIES_CHANGED),
        ("20 Sep 10:00", "cancelled", SERIES_CHANGED),
        ("27 Sep 10:00", "cancelled", SERIES_CHANGED)]
    (moved,) = page.grid.blocks
    assert moved.start == 11 * 60 + 15 and moved.appointment.series_id != outcome.series_id
    assert listed(context, schedule, moved.appointment.series_id) == [
        ("13 Sep 11:15", "scheduled", None), ("20 Sep 11:15", "scheduled", None),
        ("27 Sep 11:15", "scheduled", None)]
    assert page.notice.text() == ("Moved 3 appointments, Mon 13 Sep to Mon 27 Sep, to 11:15 "
                                  "(20 min).")


def _drag(qtbot: QtBot, page: CalendarPage, start: QPoint, end: QPoint) -> None:
    viewport = page.grid.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for point in (QPoint(start.x(), (start.y() + end.y()) // 2), end):
        QTest.mouseMove(viewport, point)
        qtbot.wait(10)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def test_a_dragged_block_of_a_series_asks_and_go_back_puts_it_back(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    outcome = weekly(context, schedule, DAY, count=3)
    page.reload()
    reloaded(qtbot, page)
    block = block_of(page, outcome.booked[0].id)
    start = page.grid.block_point(block)
    an_hour_later = QPoint(start.x(), start.y() + 4 * 26)
    _drag(qtbot, page, start, an_hour_later)
    asking = question(qtbot, page)
    assert asking.following.isEnabled() and asking.all.isEnabled()
    asking.reject()  # go back
    qtbot.waitUntil(lambda: outcome.booked[0].id not in page.grid.pending, timeout=TIMEOUT)
    assert page.grid.placed(block)[1] == 10 * 60

    _drag(qtbot, page, start, an_hour_later)
    asking = question(qtbot, page)
    asking.choose("following")
    asking.accept()
    reloaded(qtbot, page)
    assert [when for when, status, _why in listed(context, schedule, outcome.series_id)
            if status == "scheduled"] == []
    (moved,) = page.grid.blocks
    assert listed(context, schedule, moved.appointment.series_id) == [
        ("13 Sep 11:00", "scheduled", None), ("20 Sep 11:00", "scheduled", None),
        ("27 Sep 11:00", "scheduled", None)]


def test_a_block_of_a_series_dragged_to_another_provider_moves_alone(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    outcome = weekly(context, schedule, DAY, count=3)
    page.reload()
    reloaded(qtbot, page)
    block = block_of(page, outcome.booked[0].id)
    start = page.grid.block_point(block)
    ruiz = column_of(page, schedule.providers[1])
    _drag(qtbot, page, start, QPoint(page.grid.cell_point(ruiz, 10 * 60).x(), start.y()))
    asking = question(qtbot, page)
    assert not asking.following.isEnabled() and not asking.all.isEnabled()
    asking.accept()  # this appointment
    reloaded(qtbot, page)
    rows = perform(context.store, schedule.desk, series_appointments,
                   series_id=outcome.series_id)
    assert [row.provider_id for row in rows] == [schedule.providers[1],
                                                 schedule.providers[0], schedule.providers[0]]
    assert rows[0].series_id == outcome.series_id  # an exception of the series
