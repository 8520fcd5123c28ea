"""The month view: six weeks of one provider or all, each day with its count and first
appointments, days without sessions greyed, today marked; Alt+M opens it, the arrows move
the cursor day, Enter (or a double-click) opens the day, Alt+Left/Right a month."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from calendar_ui import column_of, reloaded, wait_loaded
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from schedule_setup import DAY, TIMEOUT, Schedule

from medtrack_desktop.domain.scheduling.calendar import MonthAppointment, MonthRange
from medtrack_desktop.ui.calendar.month_view import (
    LISTED,
    MonthLine,
    add_months,
    day_description,
    month_days,
    month_range,
)
from medtrack_desktop.ui.calendar.page import CalendarPage
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.widgets.choices import select_data


def shown_month(qtbot: QtBot, page: CalendarPage) -> None:
    qtbot.waitUntil(lambda: page.view == "month" and page.shown is not None
                    and not page.loading, timeout=TIMEOUT)


def test_month_helpers() -> None:
    assert month_range(DAY) == (date(2027, 8, 30), date(2027, 10, 10))
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 1, 15), -2) == date(2026, 11, 15)


def _appointment(starts: datetime, number: int) -> MonthAppointment:
    return MonthAppointment(starts.astimezone(UTC), "scheduled", f"Patient{number:02d}",
                            "#4a7fb5")


def test_a_busy_day_is_counted_whole_and_lists_its_first() -> None:
    zone = ZoneInfo("America/Chicago")
    first, last = month_range(DAY)
    busy = [_appointment(datetime.combine(DAY, time(8), zone) + timedelta(minutes=10 * n), n)
            for n in range(25)]
    late = _appointment(datetime.combine(DAY, time(23, 50), zone), 99)  # 04:50 UTC next day
    shown = MonthRange(first, last, {}, (*busy, late))
    cells = {cell.day: cell for cell in month_days(shown, month=DAY, zone=zone)}
    assert (cells[DAY].count, len(cells[DAY].lines)) == (26, LISTED)
    assert cells[DAY].lines[1] == MonthLine("08:10", "Patient01", "#4a7fb5", False)
    assert cells[DAY + timedelta(days=1)].count == 0
    assert day_description(cells[DAY]).endswith("\u2026 and 6 more")


def test_the_month_shows_counts_and_enter_opens_the_day(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    schedule.book(context, 9)
    schedule.book(context, 8, minute=20, patient=1, provider=1)
    schedule.book(context, 10, patient=2, day=DAY + timedelta(days=2))
    page.reload()
    reloaded(qtbot, page)
    page.grid.setFocus()
    qtbot.keyClick(page.grid, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    shown_month(qtbot, page)
    month = page.month
    assert page.provider.currentText() == "All providers"
    assert page.heading.text() == "September 2027"
    assert (month.days[0].day, month.days[-1].day) == (date(2027, 8, 30), date(2027, 10, 10))
    monday = month.cell(DAY)
    assert monday is not None and monday.open and month.today == DAY
    assert monday.lines == (MonthLine("08:20", "CalendarBen", "#4a7fb5", False),
                            MonthLine("09:00", "CalendarAda", "#4a7fb5", False))
    assert month.cell(DAY + timedelta(days=2)).count == 1  # type: ignore[union-attr]
    saturday = month.cell(DAY + timedelta(days=5))
    assert saturday is not None and not saturday.open and saturday.count == 0
    assert not month.cell(date(2027, 8, 30)).in_month  # type: ignore[union-attr]
    assert month.cursor == DAY and month.hasFocus()
    assert month.accessibleDescription().startswith("Monday 13 September 2027: 2 appointments")
    assert page.status.text().startswith("3 appointments in September")

    qtbot.keyClick(month, Qt.Key.Key_Right)
    qtbot.keyClick(month, Qt.Key.Key_Right)
    assert month.cursor == DAY + timedelta(days=2) and page.day == DAY + timedelta(days=2)
    qtbot.keyClick(month, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.view == "day" and not page.loading
                    and page.shown is not None and page.shown.first_day == page.day,
                    timeout=TIMEOUT)
    assert page.day == DAY + timedelta(days=2)
    assert page.heading.text() == "Wednesday, September 15, 2027"
    assert [b.appointment.patient_name for b in page.grid.blocks] == ["CalendarCleo, Cleo"]


def test_one_providers_month_and_moving_by_month(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    schedule.book(context, 9)
    schedule.book(context, 9, patient=1, provider=1)
    october = schedule.book(context, 9, patient=2, provider=1, day=date(2027, 10, 19))
    page.grid.set_cursor(column_of(page, schedule.providers[1]), 9 * 60)
    qtbot.mouseClick(page.week_button, Qt.MouseButton.LeftButton)  # Dr Ruiz's week
    qtbot.waitUntil(lambda: page.view == "week" and not page.loading, timeout=TIMEOUT)
    qtbot.mouseClick(page.month_button, Qt.MouseButton.LeftButton)  # and his month
    shown_month(qtbot, page)
    assert page.provider.currentData() == schedule.providers[1]
    assert page.heading.text() == "Mateo Ruiz \u2014 September 2027"
    assert page.month.cell(DAY).count == 1  # type: ignore[union-attr]
    select_data(page.provider, None)  # all providers
    qtbot.waitUntil(lambda: page.month.cell(DAY).count == 2,  # type: ignore[union-attr]
                    timeout=TIMEOUT)

    page.month.setFocus()
    qtbot.keyClick(page.month, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: page.day == date(2027, 10, 13) and not page.loading,
                    timeout=TIMEOUT)
    wait_loaded(qtbot, page)
    assert page.heading.text() == "October 2027"
    tuesday = date(2027, 10, 19)
    assert [line.surname for line in page.month.cell(tuesday).lines] == [  # type: ignore[union-attr]
        "CalendarCleo"]
    QTest.mouseDClick(page.month, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                      page.month.day_point(tuesday))
    qtbot.waitUntil(lambda: page.view == "day" and not page.loading
                    and page.grid.block_by_id(october.id) is not None, timeout=TIMEOUT)
    assert page.day == tuesday
