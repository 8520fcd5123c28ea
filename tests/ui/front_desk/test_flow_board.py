"""The front desk's flow board and check-in over the demo clinic and the real services: the day's
visits in order with their counts; checking in by keyboard and by mouse (demographics and
insurance confirmed, the copay stored); a bad copay or an unticked box refused at its field;
waiting minutes after arrival; in room, completed, no-show and cancel by keys; a visit changed
meanwhile; another day; a user who only reads the schedule; the module in the shell."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from demo_users import sign_in
from front_desk_ui import Clock, reloaded, wait_loaded
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from schedule_setup import DAY, TIMEOUT, Schedule
from sqlalchemy import func, select
from ui_support import make_workspace, settle

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.insurance import PolicyInput, add_payer, save_policy
from medtrack_desktop.domain.patients.registry import get_patient, update_demographics
from medtrack_desktop.domain.scheduling.appointments import set_status
from medtrack_desktop.domain.scheduling.front_desk import check_in
from medtrack_desktop.domain.scheduling.models import (
    Appointment,
    AppointmentStatusChange,
    WaitlistEntry,
)
from medtrack_desktop.domain.scheduling.waitlist import add_to_waitlist
from medtrack_desktop.paths import resource
from medtrack_desktop.ui.calendar.appointment_dialogs import CancelDialog
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.front_desk.check_in_dialog import STALE as DIALOG_STALE
from medtrack_desktop.ui.front_desk.check_in_dialog import CheckInDialog
from medtrack_desktop.ui.front_desk.flow_board import FlowBoard
from medtrack_desktop.ui.front_desk.module import FRONT_DESK
from medtrack_desktop.ui.front_desk.page import FrontDeskPage
from medtrack_desktop.ui.front_desk.room_dialog import RoomDialog
from medtrack_desktop.ui.front_desk.waitlist_offer import WaitlistOfferDialog
from medtrack_desktop.ui.modules import ALL_MODULES, modules_for
from medtrack_desktop.ui.shell.main_window import MainWindow
from medtrack_desktop.ui.workspace import Workspace


def _row(context: AppContext, appointment_id: uuid.UUID) -> Appointment:
    with context.store.read_session() as session:
        row = session.scalars(select(Appointment).where(Appointment.id == appointment_id)).one()
        session.expunge(row)
        return row


def _board_reads(context: AppContext) -> int:
    with context.store.read_session() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "schedule.read", AuditEntry.reason == "flow_board")) or 0


def _cells(board: FlowBoard, column: int) -> list[str]:
    return [board.model.index(n, column).data() for n in range(board.model.rowCount())]


def _dialog(qtbot: QtBot, board: FlowBoard) -> CheckInDialog:
    qtbot.waitUntil(lambda: isinstance(board.dialog, CheckInDialog), timeout=TIMEOUT)
    dialog = board.dialog
    assert isinstance(dialog, CheckInDialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)  # mnemonics need the active window
    qtbot.waitUntil(lambda: dialog.record is not None and dialog.policies is not None,
                    timeout=TIMEOUT)
    return dialog


def _closed(qtbot: QtBot, context: AppContext, board: FlowBoard) -> None:
    qtbot.waitUntil(lambda: board.dialog is None, timeout=TIMEOUT)
    _changed(qtbot, context, board)


def _changed(qtbot: QtBot, context: AppContext, board: FlowBoard) -> None:
    """Wait for a command, the announce of the change and the board's read after it."""
    settle(qtbot, context)
    qtbot.waitUntil(lambda: not board.loading and not board.changing, timeout=TIMEOUT)


def _in_room(qtbot: QtBot, context: AppContext, board: FlowBoard, room: str) -> None:
    """R on the selected visit, then ``room`` chosen in the dialog by keyboard and Enter."""
    _key(qtbot, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: isinstance(board.dialog, RoomDialog), timeout=TIMEOUT)
    dialog = board.dialog
    assert QApplication.focusWidget() is dialog.room
    while dialog.room.currentText() != room:
        _key(qtbot, Qt.Key.Key_Down)
    _key(qtbot, Qt.Key.Key_Return)


def _key(qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
         ) -> None:
    """A key pressed where the focus is (as the user types)."""
    widget = QApplication.focusWidget()
    assert widget is not None
    qtbot.keyClick(widget, key, modifier)


def _close_menu(qtbot: QtBot, board: FlowBoard) -> None:
    """Close the actions menu (if one opened) and give the board's window the keys again."""
    if board.menu is not None and board.menu.isVisible():
        board.menu.close()
    board.window().activateWindow()
    qtbot.waitUntil(board.window().isActiveWindow)
    board.table.setFocus()


def _fill_in_patient(context: AppContext, schedule: Schedule, patient: int) -> None:
    """An address, phones and a primary policy (copay 30.00) for the schedule's patient."""
    patient_id = schedule.patients[patient]
    record = perform(context.store, schedule.desk, get_patient, patient_id=patient_id)
    person = record.demographics
    perform(context.store, schedule.desk, update_demographics, patient_id=patient_id,
            version=record.version, today=DAY, demographics=Demographics(
                last_name=person.last_name, first_name=person.first_name,
                date_of_birth=person.date_of_birth, sex=person.sex,
                address_line1="12 Elm Street", city="Springfield", state="IL",
                postal_code="62701", phone_mobile="(217) 555-0142"))
    payer = perform(context.store, schedule.desk, add_payer, name="Prairie Health Plan")
    perform(context.store, schedule.desk, save_policy, patient_id=patient_id,
            policy=PolicyInput(rank="primary", company_id=payer.id, member_id="PHP-7788-01",
                               copay="30"))


def test_the_board_lists_the_days_visits_in_order_with_counts(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: FrontDeskPage,
) -> None:
    board = page.board
    late = schedule.book(context, 10, patient=2)
    early = schedule.book(context, 9, provider=1, patient=1, category=schedule.new_patient)
    middle = schedule.book(context, 9, 30)
    gone = schedule.book(context, 11, patient=3)
    schedule.book(context, 9, day=DAY + timedelta(days=1), patient=3)  # another day
    perform(context.store, schedule.desk, set_status, appointment_id=gone.id,
            version=gone.version, status="cancelled", cancel_reason="Called to cancel")
    board.reload()
    reloaded(qtbot, board)

    assert [row.appointment_id for row in board.model.rows] == [
        early.id, middle.id, late.id, gone.id]
    assert _cells(board, 0) == ["09:00", "09:30", "10:00", "11:00"]
    assert _cells(board, 1)[0] == "CalendarBen, Ben"
    assert _cells(board, 3) == ["Mateo Ruiz", "Harper Quinn", "Harper Quinn", "Harper Quinn"]
    assert _cells(board, 4)[0] == "Cal new patient"
    assert board.model.index(0, 4).data(Qt.ItemDataRole.DecorationRole) is not None
    assert _cells(board, 6) == ["Scheduled", "Scheduled", "Scheduled", "Cancelled"]
    assert board.counts.text() == ("3 booked \u00b7 3 to come \u00b7 0 waiting \u00b7 "
                                   "0 in room \u00b7 0 done \u00b7 0 no-show \u00b7 1 cancelled")
    assert board.heading.text() == "Monday, September 13, 2027 \u2014 today"
    assert board.selected() is not None and board.selected().appointment_id == early.id

    board.provider.setCurrentIndex(board.provider.findData(str(schedule.providers[0])))
    assert [row.appointment_id for row in board.model.rows] == [middle.id, late.id, gone.id]
    assert board.counts.text().startswith("2 booked \u00b7 2 to come")
    board.show_box.setCurrentIndex(board.show_box.findText("Done"))
    assert [row.appointment_id for row in board.model.rows] == [gone.id]
    board.show_box.setCurrentIndex(board.show_box.findText("Still to come"))
    assert [row.appointment_id for row in board.model.rows] == [middle.id, late.id]


def test_check_in_by_keyboard_confirms_demographics_and_insurance_and_stores_the_copay(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: FrontDeskPage,
) -> None:
    board = page.board
    schedule.book(context, 9)
    second = schedule.book(context, 9, 30, patient=1)
    _fill_in_patient(context, schedule, 1)
    board.reload()
    reloaded(qtbot, board)
    board.setFocus()
    assert board.table.hasFocus() and board.table.currentIndex().row() == 0

    _key(qtbot, Qt.Key.Key_Down)
    _key(qtbot, Qt.Key.Key_Return)
    dialog = _dialog(qtbot, board)
    assert dialog.row.appointment_id == second.id
    assert dialog.address.text() == "12 Elm Street, Springfield, IL 62701"
    assert dialog.phones.text() == "mobile (217) 555-0142"
    assert "Primary: Prairie Health Plan" in dialog.insurance_lines.text()
    assert "member PHP778801" in dialog.insurance_lines.text()
    assert dialog.copay_hint.text() == "The primary card's copay is 30.00."

    _key(qtbot, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    _key(qtbot, Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.demographics.isChecked() and dialog.insurance.isChecked())
    _key(qtbot, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert dialog.copay.hasFocus()
    qtbot.keyClicks(dialog.copay, "30")
    _key(qtbot, Qt.Key.Key_Return)
    _closed(qtbot, context, board)

    stored = _row(context, second.id)
    assert stored.status == "arrived"
    assert stored.demographics_confirmed and stored.insurance_confirmed
    assert stored.copay_collected == Decimal("30.00")
    assert board.model.rows[1].status == "arrived"
    assert _cells(board, 6)[1] == "Checked in"
    assert board.window().focusWidget() is board.table
    assert board.selected().appointment_id == second.id
    assert "1 waiting" in board.counts.text()


def test_check_in_by_mouse(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: FrontDeskPage,
) -> None:
    board = page.board
    first = schedule.book(context, 9)
    second = schedule.book(context, 9, 30, patient=1)
    board.reload()
    reloaded(qtbot, board)

    cell = board.table.visualRect(board.model.index(0, 1)).center()
    qtbot.mouseClick(board.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    qtbot.mouseDClick(board.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    dialog = _dialog(qtbot, board)
    assert dialog.row.appointment_id == first.id
    assert dialog.address.text() == "No address on file \u2014 ask for it."
    assert dialog.insurance_lines.text() == "No insurance on file (self-pay)."
    for box in (dialog.demographics, dialog.insurance):
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    qtbot.mouseClick(dialog.check_in_button, Qt.MouseButton.LeftButton)
    _closed(qtbot, context, board)
    stored = _row(context, first.id)
    assert (stored.status, stored.copay_collected) == ("arrived", None)
    assert stored.demographics_confirmed and stored.insurance_confirmed

    row = board.model.row_of(second.id)
    assert row is not None
    qtbot.mouseClick(board.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=board.table.visualRect(board.model.index(row, 1)).center())
    assert board.buttons["arrived"].isEnabled()
    assert not board.buttons["in_room"].isEnabled()
    qtbot.mouseClick(board.buttons["arrived"], Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, board)
    assert dialog.row.appointment_id == second.id
    for box in (dialog.demographics, dialog.insurance):
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    qtbot.mouseClick(dialog.copay, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.copay, "$1,250.5")
    qtbot.mouseClick(dialog.check_in_button, Qt.MouseButton.LeftButton)
    _closed(qtbot, context, board)
    assert _row(context, second.id).copay_collected == Decimal("1250.50")


def test_a_bad_copay_or_an_unticked_box_is_refused_at_its_field_and_nothing_is_lost(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: FrontDeskPage,
) -> None:
    board = page.board
    visit = schedule.book(context, 9)
    board.reload()
    reloaded(qtbot, board)
    board.setFocus()
    _key(qtbot, Qt.Key.Key_Return)
    dialog = _dialog(qtbot, board)

    _key(qtbot, Qt.Key.Key_Return)  # nothing ticked
    qtbot.waitUntil(lambda: dialog.check_in_button.isEnabled(), timeout=TIMEOUT)
    shown = dialog.errors.shown()
    assert set(shown) == {"demographics", "insurance"}
    assert shown["demographics"].startswith("Demographics: confirm")
    assert dialog.demographics.hasFocus()

    dialog.demographics.setChecked(True)
    dialog.insurance.setChecked(True)
    for typed in ("12.345", "abc", "-5"):
        dialog.copay.setText(typed)
        dialog.copay.setFocus()
        _key(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.check_in_button.isEnabled(), timeout=TIMEOUT)
        assert dialog.errors.shown() == {
            "copay": "Copay: an amount like 25.00 (or empty)."}, typed
        assert dialog.isVisible() and dialog.copay.text() == typed
        assert dialog.copay.hasFocus()
        assert dialog.demographics.isChecked() and dialog.insurance.isChecked()
        stored = _row(context, visit.id)
        assert (stored.status, stored.version, stored.copay_collected) == (
            "scheduled", visit.version, None)

    dialog.copay.setText("12.34")
    _key(qtbot, Qt.Key.Key_Return)
    _closed(qtbot, context, board)
    assert _row(context, visit.id).copay_collected == Decimal("12.34")


def test_a_visit_changed_meanwhile_is_read_again_and_the_check_in_kept(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: FrontDeskPage,
) -> None:
    board = page.board
    visit = schedule.book(context, 9)
    board.reload()
    reloaded(qtbot, board)
    board.check_in()
    dialog = _dialog(qtbot, board)
    dialog.demographics.setChecked(True)
    dialog.insurance.setChecked(True)
    dialog.copay.setText("20")
    perform(context.store, schedule.desk, set_status, appointment_id=visit.id,
            version=visit.version, status="confirmed")  # another desk, a moment ago

    dialog.submit()
    qtbot.waitUntil(lambda: dialog.message.text() == DIALOG_STALE, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: dialog.row.version != visit.version, timeout=TIMEOUT)
    assert dialog.copay.text() == "20" and dialog.demographics.isChecked()
    dialog.submit()
    _closed(qtbot, context, board)
    stored = _row(context, visit.id)
    assert (stored.status, stored.copay_collected) == ("arrived", Decimal("20.00"))


def test_waiting_minutes_move_on_without_reading_and_a_long_wait_is_marked(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: FrontDeskPage, clock: Clock,
) -> None:
    board = page.board
    visit = schedule.book(context, 9)
    perform(context.store, schedule.desk, check_in, appointment_id=visit.id,
            version=visit.version, demographics_confirmed=True, insurance_confirmed=True,
            now=clock.now)
    board.reload()
    reloaded(qtbot, board)
    waiting = board.model.waiting_column
    assert _cells(board, waiting) == ["waiting 0 min"]

    reads = _board_reads(context)
    clock.now += timedelta(minutes=14)
    board.tick()  # the 30-second tick, now
    assert _cells(board, waiting) == ["waiting 14 min"]
    assert board.model.index(0, waiting).data(Qt.ItemDataRole.BackgroundRole) is None

    clock.now += timedelta(minutes=9)
    board.tick()
    assert _cells(board, waiting) == ["\u26a0 waiting 23 min"]
    assert board.model.index(0, 1).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert "1 waiting (1 over 20 min)" in board.counts.text()
    assert _board_reads(context) == reads, "the tick must not read the database"

    board.table.setFocus()
    _in_room(qtbot, context, board, "Cal room 2")
    _changed(qtbot, context, board)
    assert (_row(context, visit.id).status, _row(context, visit.id).room_id) == (
        "in_room", schedule.rooms[1])
    assert _cells(board, waiting) == ["in room 0 min"]
    assert "0 waiting \u00b7 1 in room" in board.counts.text()


def test_the_board_reads_again_each_minute_while_shown_and_only_then(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: FrontDeskPage,
) -> None:
    board = page.board
    assert board.refresh_timer.interval() == 60_000 and board.refresh_timer.isActive()
    visit = schedule.book(context, 9)  # another desk books: no notice reaches this window
    board.refresh_timer.timeout.emit()
    reloaded(qtbot, board)
    assert [row.appointment_id for row in board.model.rows] == [visit.id]

    page.hide()
    reads = _board_reads(context)
    board.refresh_timer.timeout.emit()
    settle(qtbot, context)
    assert _board_reads(context) == reads, "a hidden board is not read"
    page.show()  # coming back reads it
    qtbot.waitUntil(lambda: _board_reads(context) == reads + 1, timeout=TIMEOUT)


def test_a_room_another_patient_is_in_is_refused_at_the_field(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: FrontDeskPage,
) -> None:
    board = page.board
    first = schedule.book(context, 9)
    second = schedule.book(context, 9, 30, patient=1, provider=1)
    first, second = (perform(context.store, schedule.desk, check_in, appointment_id=visit.id,
                             version=visit.version, demographics_confirmed=True,
                             insurance_confirmed=True) for visit in (first, second))
    perform(context.store, schedule.desk, set_status, appointment_id=first.id,
            version=first.version, status="in_room", room_id=schedule.rooms[0])
    board.reload()
    reloaded(qtbot, board)
    board.select(second.id)
    board.table.setFocus()
    _in_room(qtbot, context, board, "Cal room 1")
    dialog = board.dialog
    qtbot.waitUntil(lambda: "room" in dialog.errors.shown(), timeout=TIMEOUT)
    assert "taken by the 09:00 visit" in dialog.errors.shown()["room"]
    assert dialog.isVisible() and _row(context, second.id).status == "arrived"
    _key(qtbot, Qt.Key.Key_Down)  # another room, and Enter again
    _key(qtbot, Qt.Key.Key_Return)
    _changed(qtbot, context, board)
    assert (_row(context, second.id).status, _row(context, second.id).room_id) == (
        "in_room", schedule.rooms[1])
    assert board.dialog is None


def test_in_room_completed_and_no_show_by_keys(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: FrontDeskPage,
    answers: list[bool],
) -> None:
    board = page.board
    here = schedule.book(context, 9)
    absent = schedule.book(context, 9, 30, patient=1)
    perform(context.store, schedule.desk, check_in, appointment_id=here.id,
            version=here.version, demographics_confirmed=True, insurance_confirmed=True)
    board.reload()
    reloaded(qtbot, board)
    board.setFocus()
    assert board.selected().appointment_id == here.id

    _key(qtbot, Qt.Key.Key_D)  # straight from the waiting room to completed is allowed too
    _changed(qtbot, context, board)
    assert _row(context, here.id).status == "completed"
    assert not board.row_actions["in_room"].isEnabled()

    _key(qtbot, Qt.Key.Key_Down)
    assert board.selected().appointment_id == absent.id
    answers.append(False)
    _key(qtbot, Qt.Key.Key_N)
    settle(qtbot, context)
    assert _row(context, absent.id).status == "scheduled", "answered no: nothing changes"
    _key(qtbot, Qt.Key.Key_N)
    _changed(qtbot, context, board)
    assert _row(context, absent.id).status == "no_show"
    assert board.counts.text() == ("2 booked \u00b7 0 to come \u00b7 0 waiting \u00b7 "
                                   "0 in room \u00b7 1 done \u00b7 1 no-show")
    assert not any(action.isEnabled() for key, action in board.row_actions.items()
                   if key != "open")

    with context.store.read_session() as session:
        flow = session.scalars(select(AppointmentStatusChange.status).where(
            AppointmentStatusChange.appointment_id == here.id)
            .order_by(AppointmentStatusChange.sequence)).all()
    assert flow == ["scheduled", "arrived", "completed"]


def test_rooming_then_completing_and_cancelling_with_a_reason(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: FrontDeskPage,
) -> None:
    board = page.board
    here = schedule.book(context, 9)
    later = schedule.book(context, 11, patient=1)
    perform(context.store, schedule.desk, check_in, appointment_id=here.id,
            version=here.version, demographics_confirmed=True, insurance_confirmed=True)
    board.reload()
    reloaded(qtbot, board)
    board.setFocus()
    _in_room(qtbot, context, board, "Cal room 1")
    _changed(qtbot, context, board)
    assert _row(context, here.id).status == "in_room"
    qtbot.waitUntil(lambda: QApplication.focusWidget() is board.table, timeout=TIMEOUT)
    _key(qtbot, Qt.Key.Key_Return)  # past check-in: Enter opens the visit's actions
    assert board.menu is not None and board.menu.isVisible()
    _close_menu(qtbot, board)
    _key(qtbot, Qt.Key.Key_D)
    _changed(qtbot, context, board)
    assert _row(context, here.id).status == "completed"

    waiting = perform(context.store, schedule.desk, add_to_waitlist,
                      patient_id=schedule.patients[2], earliest_day=DAY, latest_day=DAY)
    board.select(later.id)
    _key(qtbot, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: isinstance(board.dialog, CancelDialog), timeout=TIMEOUT)
    dialog = board.dialog
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClicks(dialog.reason, "Patient has the flu")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    _closed(qtbot, context, board)
    stored = _row(context, later.id)
    assert (stored.status, stored.cancel_reason) == ("cancelled", "Patient has the flu")
    # the freed 11:00 is offered to the patient waiting for it; "Not now" keeps them waiting
    qtbot.waitUntil(lambda: board.findChild(WaitlistOfferDialog) is not None, timeout=TIMEOUT)
    offer = board.findChild(WaitlistOfferDialog)
    assert [line.id for line in offer.model.rows] == [waiting.id]
    qtbot.keyClick(offer.table, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not offer.isVisible(), timeout=TIMEOUT)
    with context.store.read_session() as session:
        assert session.get_one(WaitlistEntry, waiting.id).status == "waiting"


def test_another_day_is_looked_at_and_checking_in_is_for_today(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: FrontDeskPage,
) -> None:
    board = page.board
    yesterday = DAY - timedelta(days=3)  # the Friday before
    old = schedule.book(context, 9, day=yesterday)
    board.setFocus()
    for _ in range(3):
        _key(qtbot, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: board.shown_day == yesterday and not board.loading,
                    timeout=TIMEOUT)
    assert [row.appointment_id for row in board.model.rows] == [old.id]
    assert board.note.isVisible() and "for today" in board.note.text()
    assert not board.row_actions["arrived"].isEnabled()
    assert board.row_actions["no_show"].isEnabled()
    board.table.setFocus()
    _key(qtbot, Qt.Key.Key_Return)
    assert board.dialog is None, "no check-in on another day"
    _close_menu(qtbot, board)

    _key(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: board.shown_day == DAY and not board.loading, timeout=TIMEOUT)
    assert board.model.rows == [] and board.heading.text().endswith("today")


def test_open_chart_opens_the_patient(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: FrontDeskPage,
    workspace: Workspace,
) -> None:
    board = page.board
    schedule.book(context, 9, patient=2)
    board.reload()
    reloaded(qtbot, board)
    shown: list[str] = []
    workspace.sig_show_module.connect(shown.append)
    board.setFocus()
    _key(qtbot, Qt.Key.Key_O)
    qtbot.waitUntil(lambda: workspace.patient is not None and bool(shown), timeout=TIMEOUT)
    assert workspace.patient.id == schedule.patients[2]
    assert shown == ["patients"], "the front desk reads no charts: the Patients module"
    assert board.buttons["open"].text() == "&Open record"


def test_a_user_who_only_reads_the_schedule_sees_no_write_actions(
    qtbot: QtBot, context: AppContext, schedule: Schedule, clock: Clock,
) -> None:
    visit = schedule.book(context, 9)
    physician = sign_in(context.store, "physician")
    assert physician.can("schedule.read") and not physician.can("schedule.write")
    page = FrontDeskPage(context, physician, make_workspace(qtbot, context, physician),
                         today=clock)
    qtbot.addWidget(page)
    page.show()
    board = page.board
    wait_loaded(qtbot, board)
    assert [row.appointment_id for row in board.model.rows] == [visit.id]
    assert set(board.buttons) == {"open"} and set(board.row_actions) == {"open"}
    board.setFocus()
    for key in (Qt.Key.Key_Return, Qt.Key.Key_R, Qt.Key.Key_N, Qt.Key.Key_Delete):
        _key(qtbot, key)
        _close_menu(qtbot, board)
    _key(qtbot, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, context)
    assert board.dialog is None
    assert _row(context, visit.id).status == "scheduled"
    menu = board.menu_for(board.selected())
    assert "You may look at the schedule, not change it." in [a.text() for a in menu.actions()]


def test_the_module_is_in_the_shell_for_the_front_desk_after_the_calendar(
    qtbot: QtBot, context: AppContext,
) -> None:
    assert ALL_MODULES[ALL_MODULES.index(FRONT_DESK) - 1].key == "calendar"
    assert FRONT_DESK not in modules_for(sign_in(context.store, "biller"))
    actor = sign_in(context.store, "frontdesk")
    window = MainWindow(context=context, actor=actor, modules=modules_for(actor))
    qtbot.addWidget(window)
    window.setStyleSheet(resource("styles", "app.qss").read_text(encoding="utf-8"))
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    titles = [window.nav.item(n).text() for n in range(window.nav.count())]
    assert titles[titles.index("Calendar") + 1] == "Front desk"
    assert "Ctrl+5\tFront desk" in window.shortcut_lines()
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    page = window.pages.currentWidget()
    assert isinstance(page, FrontDeskPage)
    wait_loaded(qtbot, page.board)
    assert page.board.table.hasFocus()
    assert page.board.shown_day == page.board.today()
