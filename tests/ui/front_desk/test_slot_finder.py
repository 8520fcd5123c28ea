"""The front desk's Next available tab over the demo clinic and the real services: slots checked
by hand (mornings only, an appointment and time off respected, nothing in the past); any
provider merged by time; chosen weekdays only; an empty search saying to widen it; problems
said at their field; booking a slot in the calendar's dialog, filled in, by keyboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from schedule_setup import DAY, TIMEOUT, Schedule
from sqlalchemy import select

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.scheduling.availability import add_exception
from medtrack_desktop.domain.scheduling.models import Appointment
from medtrack_desktop.paths import resource
from medtrack_desktop.ui.calendar.booking_dialog import BookingDialog
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.front_desk.slot_finder import SlotFinder, day_runs
from medtrack_desktop.ui.widgets.choices import select_data
from medtrack_desktop.ui.workspace import Changed, Workspace


@pytest.fixture
def finder(qtbot: QtBot, context: AppContext, schedule: Schedule, workspace: Workspace,
           clock: Callable[[], datetime]) -> SlotFinder:
    shown = SlotFinder(context, schedule.desk, workspace, today=clock)
    shown.setStyleSheet(resource("styles", "app.qss").read_text(encoding="utf-8"))
    shown.resize(1156, 640)
    qtbot.addWidget(shown)
    shown.show()
    shown.activateWindow()
    qtbot.waitUntil(shown.isActiveWindow)
    qtbot.waitUntil(lambda: shown.setup is not None, timeout=TIMEOUT)
    return shown


def ask(qtbot: QtBot, finder: SlotFinder, *, provider: object = None, minutes: int = 30,
        first: date = DAY, days: int = 1, window: tuple[time | None, time | None] = (None, None),
        weekdays: range | tuple[int, ...] = range(7)) -> list[str]:
    """Search by keyboard (Enter in the days box) and read "Mon 09/13 08:30 Harper Quinn"."""
    select_data(finder.provider, provider)
    select_data(finder.category, None)
    finder.minutes.setValue(minutes)
    finder.first_day.set_value(first)
    finder.days.setValue(days)
    finder.time_of_day.set_window(*window)
    for n, box in enumerate(finder.weekday_boxes):
        box.setChecked(n in weekdays)
    before = finder._searches
    finder.days.setFocus()
    qtbot.keyClick(finder.days, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: finder._searches > before and not finder.searching,
                    timeout=TIMEOUT)
    return [f"{finder.model.index(n, 0).data()[:9]} {finder.model.index(n, 1).data()[:5]} "
            f"{finder.model.index(n, 2).data()}" for n in range(finder.model.rowCount())]


def test_mornings_with_one_provider_respect_appointments_time_off_and_the_time_now(
    qtbot: QtBot, context: AppContext, schedule: Schedule, finder: SlotFinder,
) -> None:
    quinn = schedule.providers[0]  # 08-12 and 13-17 on weekdays
    schedule.book(context, 9)  # 09:00-09:20
    perform(context.store, schedule.desk, add_exception, provider_id=quinn, kind="time_off",
            starts_at=schedule.at(10), ends_at=schedule.at(11), reason="Meeting")
    # the clock says 08:30: 08:00 and 08:15 are past; 09:15 would overlap the visit, 09:45
    # the meeting; the afternoon is not a morning
    assert ask(qtbot, finder, provider=quinn, window=(None, time(12))) == [
        f"Mon 09/13 {start} Harper Quinn"
        for start in ("08:30", "09:30", "11:00", "11:15", "11:30")]
    assert finder.heading.text() == ("Free 30-minute slots with Harper Quinn, mornings, "
                                     "Mon 09/13 \u2013 Mon 09/13/2027")
    assert finder.model.index(0, 3).data() == "Calendar Test Street"
    assert finder.status.text() == "5 free slots \u00b7 Enter books the selected one"
    assert finder.table.hasFocus()


def test_any_provider_is_merged_by_time_and_only_the_chosen_weekdays_are_searched(
    qtbot: QtBot, schedule: Schedule, finder: SlotFinder,
) -> None:
    found = ask(qtbot, finder, minutes=60, window=(time(12), None))  # afternoons
    # Ruiz's 09-13 session leaves 12:00-13:00; Dr Márquez (the demo's physician, 13-18) and
    # Quinn (13-17) from 13:00 on, a tie in the list's order (by last name)
    assert found[:5] == ["Mon 09/13 12:00 Mateo Ruiz", "Mon 09/13 13:00 Elena Márquez",
                         "Mon 09/13 13:00 Harper Quinn", "Mon 09/13 13:15 Elena Márquez",
                         "Mon 09/13 13:15 Harper Quinn"]
    assert finder.heading.text().startswith("Free 60-minute slots with any provider, "
                                            "afternoons")
    wednesdays = ask(qtbot, finder, provider=schedule.providers[1], days=14, weekdays=(2,),
                     window=(None, time(12)))
    # 09:00-11:30 on two Wednesdays (the first search over all days filled up before Thursday,
    # so each Wednesday was searched on its own)
    assert len(wednesdays) == 22
    assert {line[:9] for line in wednesdays} == {"Wed 09/15", "Wed 09/22"}
    assert finder.heading.text().endswith("(Wed)")
    assert day_runs(DAY, DAY + timedelta(days=13), frozenset(range(5))) == [
        (DAY, DAY + timedelta(days=4)), (DAY + timedelta(days=7), DAY + timedelta(days=11))]


def test_an_empty_search_says_to_widen_it_and_bad_input_is_said_at_its_field(
    qtbot: QtBot, schedule: Schedule, finder: SlotFinder,
) -> None:
    assert ask(qtbot, finder, provider=schedule.providers[0], days=3, weekdays=(6,)) == []
    assert finder.status.text() == ("No free slot in these 3 days \u2014 widen the search: "
                                    "more days, another provider, any time of day.")
    searches = finder._searches
    finder.days.setValue(0)
    finder.first_day.setText("13/45/2027")
    finder.time_of_day.set_window(time(12), time(9))
    for box in finder.weekday_boxes:
        box.setChecked(False)
    qtbot.mouseClick(finder.search_button, Qt.MouseButton.LeftButton)
    assert finder.errors.shown() == {
        "first_day": "From: not a date; type it as 03/04/1970 or 1970-03-04.",
        "days": "Days: search 1 to 92 days.",
        "day_until": "Time of day: the end after the start.",
        "weekdays": "Weekdays: tick at least one day."}
    assert finder.first_day.hasFocus() and finder._searches == searches  # nothing asked


def test_a_slot_is_booked_in_the_calendars_dialog_filled_in(
    qtbot: QtBot, context: AppContext, schedule: Schedule, finder: SlotFinder,
    workspace: Workspace,
) -> None:
    ruiz = schedule.providers[1]
    select_data(finder.category, schedule.new_patient)
    assert finder.minutes.value() == 40
    finder.first_day.set_value(DAY)
    finder.days.setValue(1)
    select_data(finder.provider, ruiz)
    qtbot.mouseClick(finder.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: finder.model.rowCount() > 0 and not finder.searching,
                    timeout=TIMEOUT)
    assert [slot.starts_at for slot in finder.model.rows[:2]] == [schedule.at(9),
                                                                  schedule.at(9, 15)]
    finder.table.selectRow(1)  # 09:15-09:55
    with qtbot.waitSignal(workspace.sig_changed, timeout=TIMEOUT) as changed:
        qtbot.keyClick(finder.table, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: isinstance(finder.dialog, BookingDialog), timeout=TIMEOUT)
        dialog = finder.dialog
        assert (dialog.provider.currentData(), dialog.start.time().toString("HH:mm"),
                dialog.category.currentData(), dialog.minutes.value(),
                dialog.facility.currentData()) == (ruiz, "09:15", schedule.new_patient, 40,
                                                   schedule.facility)
        qtbot.keyClicks(dialog.query, "calendarcleo")
        qtbot.waitUntil(lambda: dialog.patient_id is not None, timeout=TIMEOUT)
        qtbot.keyClick(dialog.query, Qt.Key.Key_Return)
        qtbot.keyClicks(dialog.reason, "New to the clinic")
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: finder.dialog is None, timeout=TIMEOUT)
    assert changed.args == [Changed.SCHEDULE]
    with context.store.read_session() as session:
        booked = session.scalars(select(Appointment).where(
            Appointment.patient_id == schedule.patients[2])).one()
        assert (booked.provider_id, booked.starts_at, booked.ends_at, booked.reason) == (
            ruiz, schedule.at(9, 15), schedule.at(9, 55), "New to the clinic")
    # the list is searched again: 09:00 and 09:15 overlap the visit, 10:00 is the first free
    qtbot.waitUntil(lambda: not finder.searching and finder.model.rowCount() > 0
                    and finder.model.rows[0].starts_at == schedule.at(10), timeout=TIMEOUT)
