"""The calendar page as the front desk uses it, over the demo clinic and the real services:
the providers' day side by side and one provider's week; booking by keyboard and by double
click; moving by drag and resizing by the lower edge (and a refused move put back); checking
in and cancelling with a reason; date navigation by keys."""

from __future__ import annotations

from datetime import timedelta

from calendar_ui import block_of, choose_patient, column_of, reloaded, wait_loaded
from demo_users import sign_in
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from schedule_setup import DAY, TIMEOUT, Schedule
from sqlalchemy import select
from ui_support import make_workspace

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.scheduling.models import Appointment, WaitlistEntry
from medtrack_desktop.domain.scheduling.waitlist import add_to_waitlist
from medtrack_desktop.ui.calendar.booking_dialog import BookingDialog
from medtrack_desktop.ui.calendar.page import CalendarPage
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.front_desk.waitlist_offer import WaitlistOfferDialog
from medtrack_desktop.ui.widgets.choices import select_data


def _row(context: AppContext, appointment_id: object) -> Appointment:
    with context.store.read_session() as session:
        row = session.scalars(select(Appointment).where(Appointment.id == appointment_id)).one()
        session.expunge(row)
        return row


def _drag(qtbot: QtBot, page: CalendarPage, start: QPoint, end: QPoint) -> None:
    viewport = page.grid.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    middle = QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2)
    for point in (middle, end):
        QTest.mouseMove(viewport, point)
        qtbot.wait(10)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def test_the_day_shows_each_provider_side_by_side_with_sessions_and_appointments(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    first = schedule.book(context, 9, reason="Knee pain")
    schedule.book(context, 13, provider=1, patient=1, category=schedule.new_patient)
    page.reload()
    reloaded(qtbot, page)
    quinn, ruiz = (column_of(page, schedule.providers[n]) for n in (0, 1))
    assert page.grid.columns[quinn].title == "Harper Quinn"
    assert page.grid.columns[quinn].windows == ((8 * 60, 12 * 60), (13 * 60, 17 * 60))
    assert page.grid.columns[quinn].subtitle == "08:00\u201312:00, 13:00\u201317:00"
    assert page.grid.columns[ruiz].windows == ((9 * 60, 13 * 60),)
    block = block_of(page, first.id)
    assert (block.column, block.start, block.minutes) == (quinn, 9 * 60, 20)
    assert block.appointment.patient_name == "CalendarAda, Ada"
    assert block.appointment.category == "Cal follow-up"
    assert block.appointment.status_text == "Scheduled"
    assert page.heading.text() == "Monday, September 13, 2027"
    assert page.grid.now == (DAY, 8 * 60 + 30)

    page.grid.setFocus()
    qtbot.keyClick(page.grid, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: page.day == DAY + timedelta(days=1), timeout=TIMEOUT)
    wait_loaded(qtbot, page)
    assert page.grid.block_by_id(first.id) is None
    assert page.heading.text() == "Tuesday, September 14, 2027"
    qtbot.keyClick(page.grid, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.day == DAY, timeout=TIMEOUT)
    qtbot.keyClick(page.grid, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: page.day == DAY - timedelta(days=1), timeout=TIMEOUT)


def test_the_week_view_shows_one_providers_week(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    monday = schedule.book(context, 9)
    thursday = schedule.book(context, 10, patient=1, day=DAY + timedelta(days=3))
    schedule.book(context, 10, provider=1, patient=2)  # another provider: not in the week
    page.reload()
    reloaded(qtbot, page)
    page.grid.set_cursor(column_of(page, schedule.providers[0]), 9 * 60)
    qtbot.mouseClick(page.week_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.grid.columns) == 7 and not page.loading, timeout=TIMEOUT)
    assert page.grid.cursor_column == 0  # Monday, the day the cursor was on
    assert [c.day for c in page.grid.columns] == [DAY + timedelta(days=n) for n in range(7)]
    assert {c.provider_id for c in page.grid.columns} == {schedule.providers[0]}
    assert page.grid.columns[0].title == "Monday"
    assert page.grid.columns[5].windows == ()  # no sessions on Saturday
    assert {b.id: b.column for b in page.grid.blocks} == {monday.id: 0, thursday.id: 3}
    assert page.heading.text().startswith("Harper Quinn \u2014 week of September 13")
    qtbot.keyClick(page.grid, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: page.days()[0] == DAY + timedelta(days=7), timeout=TIMEOUT)
    wait_loaded(qtbot, page)
    assert page.grid.blocks == []
    page.grid.set_cursor(3, 10 * 60)  # next week's Thursday: back to the day view there
    qtbot.mouseClick(page.day_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.grid.columns) >= 3 and not page.loading, timeout=TIMEOUT)
    assert page.day == DAY + timedelta(days=10)
    assert page.grid.columns[page.grid.cursor_column].provider_id == schedule.providers[0]


def test_booking_by_keyboard(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    quinn = column_of(page, schedule.providers[0])
    page.grid.setFocus()
    page.grid.set_cursor(quinn, 8 * 60)
    for _step in range(4):  # 09:00
        qtbot.keyClick(page.grid, Qt.Key.Key_Down)
    qtbot.keyClick(page.grid, Qt.Key.Key_Return)
    dialog = page.dialog
    assert isinstance(dialog, BookingDialog)
    assert dialog.start.time().toString("HH:mm") == "09:00"
    assert dialog.provider.currentData() == schedule.providers[0]
    choose_patient(qtbot, dialog, "calendarben")
    qtbot.keyClick(dialog.query, Qt.Key.Key_Return)  # the match chosen: on to the category
    select_data(dialog.category, schedule.new_patient)
    assert dialog.minutes.value() == 40
    assert not dialog.overbook.isEnabled()
    qtbot.keyClicks(dialog.reason, "Shortness of breath")
    shown = page.shown  # the read may be done as the dialog closes
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # the default button books
    qtbot.waitUntil(lambda: page.dialog is None, timeout=TIMEOUT)
    reloaded(qtbot, page, before=shown)
    (block,) = page.grid.blocks
    assert (block.column, block.start, block.minutes) == (quinn, 9 * 60, 40)
    assert block.appointment.patient_name == "CalendarBen, Ben"
    assert _row(context, block.id).reason == "Shortness of breath"


def test_booking_by_double_click_says_a_taken_slot_in_the_dialog_and_keeps_the_entry(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    taken = schedule.book(context, 10)
    page.reload()
    reloaded(qtbot, page)
    quinn = column_of(page, schedule.providers[0])
    QTest.mouseDClick(page.grid.viewport(), Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier, page.grid.cell_point(quinn, 10 * 60 + 15))
    qtbot.waitUntil(lambda: isinstance(page.dialog, BookingDialog), timeout=TIMEOUT)
    dialog = page.dialog
    assert dialog.start.time().toString("HH:mm") == "10:15"
    dialog.start.setTime(dialog.start.time().addSecs(-10 * 60))  # 10:05: Ada is in
    choose_patient(qtbot, dialog, "calendarcleo")
    select_data(dialog.category, schedule.follow_up)
    dialog.reason.setText("Rash")
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=TIMEOUT)
    assert dialog.message.text() == ("The provider is already booked 10:00\u201310:20 that "
                                     "day. Pick another time.")
    assert dialog.isVisible() and dialog.reason.text() == "Rash"
    assert dialog.book_button.isEnabled()

    dialog.start.setTime(dialog.start.time().addSecs(15 * 60))  # 10:20, right after
    shown = page.shown  # the read may be done as the dialog closes
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is None, timeout=TIMEOUT)
    reloaded(qtbot, page, before=shown)
    booked = next(b for b in page.grid.blocks if b.id != taken.id)
    assert (booked.column, booked.start, booked.appointment.patient_name) == (
        quinn, 10 * 60 + 20, "CalendarCleo, Cleo")


def test_booking_says_at_the_field_what_is_missing_and_overbooks_only_when_asked(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    schedule.book(context, 11)
    page.reload()
    reloaded(qtbot, page)
    page.book(column_of(page, schedule.providers[0]), 11 * 60)
    dialog = page.dialog
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    assert dialog.errors.shown() == {
        "patient": "Patient: search and choose who the appointment is for."}
    choose_patient(qtbot, dialog, "calendardov")
    select_data(dialog.category, schedule.urgent)
    assert dialog.minutes.value() == 15 and dialog.overbook.isEnabled()
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=TIMEOUT)
    assert "or book it as an overbooking" in dialog.message.text()
    dialog.overbook.setChecked(True)
    shown = page.shown  # the read may be done as the dialog closes
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.dialog is None, timeout=TIMEOUT)
    reloaded(qtbot, page, before=shown)
    lanes = sorted((b.lane, b.lanes, b.appointment.entry.overbooked) for b in page.grid.blocks)
    assert lanes == [(0, 2, False), (1, 2, True)]  # side by side


def test_a_block_moves_by_drag_to_another_time_and_provider(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    visit = schedule.book(context, 9)
    page.reload()
    reloaded(qtbot, page)
    ruiz = column_of(page, schedule.providers[1])
    block = block_of(page, visit.id)
    start = page.grid.block_point(block)
    end = QPoint(page.grid.cell_point(ruiz, 10 * 60).x(), start.y() + 4 * 26)  # an hour on
    _drag(qtbot, page, start, end)
    assert page.grid.pending[visit.id] == (ruiz, 10 * 60, 20)  # drawn where it was dropped
    reloaded(qtbot, page)
    moved = block_of(page, visit.id)
    assert (moved.column, moved.start, moved.minutes) == (ruiz, 10 * 60, 20)
    row = _row(context, visit.id)
    assert row.provider_id == schedule.providers[1]
    assert row.starts_at == schedule.at(10)


def test_dragging_the_lower_edge_changes_the_length(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    visit = schedule.book(context, 9)
    page.reload()
    reloaded(qtbot, page)
    block = block_of(page, visit.id)
    edge = page.grid.block_point(block, edge=True)
    _drag(qtbot, page, edge, QPoint(edge.x(), edge.y() + 2 * 26))  # 30 minutes longer
    reloaded(qtbot, page)
    resized = block_of(page, visit.id)
    assert (resized.start, resized.minutes) == (9 * 60, 50)
    assert _row(context, visit.id).ends_at == schedule.at(9, 50)


def test_a_refused_move_puts_the_block_back_and_says_why(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    first = schedule.book(context, 9)
    schedule.book(context, 10, patient=1)
    page.reload()
    reloaded(qtbot, page)
    block = block_of(page, first.id)
    start = page.grid.block_point(block)
    _drag(qtbot, page, start, QPoint(start.x(), start.y() + 4 * 26))  # onto Ben's 10:00
    assert page.grid.pending[first.id][1] == 10 * 60
    qtbot.waitUntil(lambda: page.message.isVisible(), timeout=TIMEOUT)
    assert page.message.text() == ("The provider is already booked 10:00\u201310:20 that day. "
                                   "Pick another time.")
    assert first.id not in page.grid.pending
    back = block_of(page, first.id)
    assert page.grid.placed(back) == (back.column, 9 * 60, 20)
    assert _row(context, first.id).starts_at == schedule.at(9)


def test_moving_by_keyboard_through_the_move_dialog(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    visit = schedule.book(context, 9)
    page.reload()
    reloaded(qtbot, page)
    page.grid.setFocus()
    page.grid.select_block(block_of(page, visit.id))
    qtbot.keyClick(page.grid, Qt.Key.Key_M)
    dialog = page.dialog
    dialog.start.setTime(dialog.start.time().addSecs(2 * 3600 + 15 * 60))
    dialog.accept()
    reloaded(qtbot, page)
    assert block_of(page, visit.id).start == 11 * 60 + 15


def test_checking_in_by_key_and_by_the_menu(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    visit = schedule.book(context, 9)
    page.reload()
    reloaded(qtbot, page)
    page.grid.setFocus()
    page.grid.set_cursor(column_of(page, schedule.providers[0]), 9 * 60)
    assert page.grid.selected is not None and page.grid.selected.id == visit.id
    menu = page.menu_for(page.grid.selected)
    enabled = [a.text() for a in menu.actions() if a.isEnabled() and a.text()]
    assert enabled == ["&Confirm", "Check &in (arrived)", "&No-show", "&Move\u2026",
                       "C&ancel appointment\u2026"]
    qtbot.keyClick(page.grid, Qt.Key.Key_I)
    reloaded(qtbot, page)
    assert block_of(page, visit.id).appointment.status_text == "Checked in"
    assert _row(context, visit.id).status == "arrived"
    page.status_actions["in_room"].trigger()
    reloaded(qtbot, page)
    assert _row(context, visit.id).status == "in_room"
    assert not page.move_action.isEnabled()  # type: ignore[union-attr]


def test_cancelling_asks_a_reason_and_a_confirmation(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
    answers: list[bool],
) -> None:
    visit = schedule.book(context, 9)
    page.reload()
    reloaded(qtbot, page)
    page.grid.setFocus()
    page.grid.select_block(block_of(page, visit.id))
    qtbot.keyClick(page.grid, Qt.Key.Key_Delete)
    dialog = page.dialog
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert dialog.errors.shown() == {
        "cancel_reason": "Reason: say why the appointment is cancelled."}
    answers.append(False)  # "no" keeps it
    qtbot.keyClicks(dialog.reason, "Patient called")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.dialog is None, timeout=TIMEOUT)
    assert _row(context, visit.id).status == "scheduled"

    qtbot.keyClick(page.grid, Qt.Key.Key_Delete)
    dialog = page.dialog
    qtbot.keyClicks(dialog.reason, "Patient called, feeling better")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # and "yes"
    reloaded(qtbot, page)
    assert page.grid.block_by_id(visit.id) is None  # its time is free again
    row = _row(context, visit.id)
    assert (row.status, row.cancel_reason) == ("cancelled", "Patient called, feeling better")


def test_a_cancelled_slot_is_offered_to_the_waitlist_and_booked_by_keyboard(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    visit = schedule.book(context, 9)
    waiting = perform(context.store, schedule.desk, add_to_waitlist,
                      patient_id=schedule.patients[2], earliest_day=DAY, latest_day=DAY,
                      provider_id=schedule.providers[0])
    page.reload()
    reloaded(qtbot, page)
    page.grid.setFocus()
    page.grid.select_block(block_of(page, visit.id))
    qtbot.keyClick(page.grid, Qt.Key.Key_Delete)
    qtbot.keyClicks(page.dialog.reason, "Patient called")
    qtbot.keyClick(page.dialog.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.findChild(WaitlistOfferDialog) is not None, timeout=TIMEOUT)
    offer = page.findChild(WaitlistOfferDialog)
    assert [line.id for line in offer.model.rows] == [waiting.id]
    qtbot.keyClick(offer.table, Qt.Key.Key_Return)  # book the patient into the freed slot
    qtbot.waitUntil(lambda: page.findChild(WaitlistOfferDialog) is None
                    or not offer.isVisible(), timeout=TIMEOUT)
    reloaded(qtbot, page)
    with context.store.read_session() as session:
        booked = session.scalars(select(Appointment).where(
            Appointment.patient_id == schedule.patients[2])).one()
        assert (booked.starts_at, booked.provider_id, booked.status) == (
            schedule.at(9), schedule.providers[0], "scheduled")
        entry = session.get_one(WaitlistEntry, waiting.id)
        assert (entry.status, entry.appointment_id) == ("booked", booked.id)


def test_who_only_reads_the_schedule_cannot_book_or_change_it(
    qtbot: QtBot, context: AppContext, schedule: Schedule,
) -> None:
    visit = schedule.book(context, 9)
    nurse = sign_in(context.store, "nurse")
    page = CalendarPage(context, nurse, make_workspace(qtbot, context, nurse))
    qtbot.addWidget(page)
    page.go_to(DAY)
    wait_loaded(qtbot, page)
    assert page.book_button.isHidden() and page.status_actions == {}
    page.grid.setFocus()
    page.grid.select_block(block_of(page, visit.id))
    qtbot.keyClick(page.grid, Qt.Key.Key_Insert)
    assert page.dialog is None
    menu = page.menu_for(page.grid.selected)  # type: ignore[arg-type]
    assert [a.isEnabled() for a in menu.actions()] == [False]


def test_enter_on_an_appointment_opens_its_actions_and_escape_calls_a_drag_off(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    visit = schedule.book(context, 9)
    page.reload()
    reloaded(qtbot, page)
    page.grid.setFocus()
    page.grid.set_cursor(column_of(page, schedule.providers[0]), 9 * 60)
    qtbot.keyClick(page.grid, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.menu.isVisible(), timeout=TIMEOUT)
    assert page.menu.accessibleName() == "Appointment actions"
    page.menu.close()

    block = block_of(page, visit.id)
    start = page.grid.block_point(block)
    viewport = page.grid.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, QPoint(start.x(), start.y() + 4 * 26))
    assert page.grid.placed(block)[1] == 10 * 60  # drawn where the pointer is
    qtbot.keyClick(page.grid, Qt.Key.Key_Escape)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       QPoint(start.x(), start.y() + 4 * 26))
    assert page.grid.placed(block) == (block.column, 9 * 60, 20) and not page.grid.pending
    assert _row(context, visit.id).starts_at == schedule.at(9)


def test_a_block_dragged_to_the_bottom_edge_scrolls_the_day_along(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: CalendarPage,
) -> None:
    visit = schedule.book(context, 9)
    page.reload()
    reloaded(qtbot, page)
    grid = page.grid
    grid.scroll_to_minute(8 * 60)
    block = block_of(page, visit.id)
    start = grid.block_point(block)
    bottom = QPoint(start.x(), grid.viewport().height() - 5)
    viewport = grid.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, QPoint(start.x(), start.y() + 20))
    QTest.mouseMove(viewport, bottom)
    without_scrolling = grid.placed(block)[1]
    scrolled = grid.verticalScrollBar().value()
    qtbot.waitUntil(lambda: grid.verticalScrollBar().value() >= scrolled + 4 * 26,
                    timeout=TIMEOUT)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       bottom)
    dropped = grid.pending[visit.id][1]
    assert dropped >= without_scrolling + 60
    reloaded(qtbot, page)
    assert block_of(page, visit.id).start == dropped
