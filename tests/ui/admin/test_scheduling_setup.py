"""The Administration tab "Scheduling" over the demo clinic, driven by keyboard: categories
added with their colour and length (and refused at the fields), a provider's weekly session
and time off added, removed and ended as the calendar's availability shows, a room retired
while its appointments keep it, and who sees and changes what."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from demo_users import sign_in
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from ui_support import make_workspace, settle

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import add_user
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.scheduling.availability import availability_of
from medtrack_desktop.domain.scheduling.models import (
    Appointment,
    AppointmentCategory,
    Facility,
    Room,
    WeeklyAvailability,
)
from medtrack_desktop.ui.admin.module import ADMIN
from medtrack_desktop.ui.admin.page import AdminPage
from medtrack_desktop.ui.admin.scheduling_dialogs import (
    CategoryDialog,
    EndSessionDialog,
    ExceptionDialog,
    SessionDialog,
)
from medtrack_desktop.ui.admin.scheduling_page import SchedulingSetup
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.modules import modules_for
from medtrack_desktop.ui.workspace import Changed

SATURDAY = date(2027, 1, 9)  # well after the demo's schedule
TUESDAY = date(2027, 1, 12)


class Answers:
    """Answers the confirmation questions (yes unless told), keeping what was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.answer = True

    def __call__(self, _parent: QWidget, title: str, question: str) -> bool:
        self.asked.append(f"{title}: {question}")
        return self.answer


@pytest.fixture
def manager(context: AppContext) -> Actor:
    """A practice manager: the clinic's administrator and a front-desk seat."""
    perform(context.store, Actor.system(context.seat, name="test"), add_user,
            username="manager", password=DEMO_PASSWORD, first_name="Pat",
            last_name="Manager", roles=("admin", "front_desk"))
    return sign_in(context.store, "manager")


def _setup(qtbot: QtBot, context: AppContext, actor: Actor, answers: Answers
           ) -> tuple[SchedulingSetup, list[Changed]]:
    workspace = make_workspace(qtbot, context, actor)
    notices: list[Changed] = []
    workspace.sig_changed.connect(notices.append)
    widget = SchedulingSetup(context, actor, workspace, confirm=answers,
                             chooser=lambda _initial, _parent: QColor("#aa5500"))
    qtbot.addWidget(widget)
    widget.resize(1366, 720)
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget)
    settle(qtbot, context)
    return widget, notices


def _reactivate(qtbot: QtBot, widget: QWidget) -> None:
    """The offscreen platform gives a window its activation back by hand (no window
    manager), as ``test_admin_module`` does."""
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget)


def _category(context: AppContext, name: str) -> AppointmentCategory | None:
    with context.store.read_session() as session:
        return session.scalars(select(AppointmentCategory).where(
            AppointmentCategory.name == name)).one_or_none()


def _hours(context: AppContext, provider: object, day: date) -> list[str]:
    zone = ZoneInfo(context.seat.clinic_timezone)
    with context.store.read_session() as session:
        windows = availability_of(session, provider_ids=[provider], first_day=day,
                                  last_day=day, zone=zone)[provider]
    return [f"{w.starts_at.astimezone(zone):%H:%M}-{w.ends_at.astimezone(zone):%H:%M}"
            for w in windows]


def test_a_category_added_by_keyboard_is_stored_with_its_colour_and_length(
        qtbot: QtBot, context: AppContext, manager: Actor) -> None:
    widget, notices = _setup(qtbot, context, manager, Answers())
    qtbot.keyClick(widget, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    section = widget.categories
    qtbot.waitUntil(lambda: section.list.model.rowCount() == 7)
    assert section.list.view.table.hasFocus()
    qtbot.keyClick(section.list.view.table, Qt.Key.Key_Insert)
    qtbot.waitUntil(lambda: isinstance(section.dialog, CategoryDialog))
    dialog = section.dialog
    assert isinstance(dialog, CategoryDialog)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    qtbot.keyClicks(dialog.name, "Vaccination visit")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Tab)
    assert dialog.minutes.hasFocus()
    dialog.minutes.selectAll()
    qtbot.keyClicks(dialog.minutes, "15")
    alt = Qt.KeyboardModifier.AltModifier
    qtbot.keyClick(dialog.minutes, Qt.Key.Key_H, alt)  # C&hoose… (the chooser answers)
    qtbot.waitUntil(lambda: dialog.color.text() == "#aa5500")  # a mnemonic clicks after a flash
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_O, alt)  # &overbooking
    qtbot.waitUntil(dialog.overbooking.isChecked)
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: section.dialog is None)
    settle(qtbot, context)
    stored = _category(context, "Vaccination visit")
    assert stored is not None
    assert (stored.default_minutes, stored.color, stored.allows_overbooking,
            stored.is_active) == (15, "#aa5500", True, True)
    assert Changed.SCHEDULE in notices
    assert section.list.selected().name == "Vaccination visit"  # the new row is selected
    assert "Category added." in section.list.view.status.text()


def test_bad_category_input_is_refused_at_the_fields_and_nothing_stored(
        qtbot: QtBot, context: AppContext, manager: Actor) -> None:
    widget, _notices = _setup(qtbot, context, manager, Answers())
    widget.show_section(1)
    section = widget.categories
    qtbot.waitUntil(lambda: section.list.model.rowCount() == 7)
    with context.store.read_session() as session:
        before = session.scalar(select(func.count()).select_from(AppointmentCategory))
    qtbot.keyClick(section.list.view.table, Qt.Key.Key_Insert)
    qtbot.waitUntil(lambda: isinstance(section.dialog, CategoryDialog))
    dialog = section.dialog
    assert isinstance(dialog, CategoryDialog)
    qtbot.keyClicks(dialog.name, "follow-up")  # the demo's "Follow-up"
    dialog.color.edit.clear()
    qtbot.keyClicks(dialog.color.edit, "green")
    qtbot.keyClick(dialog.color.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(dialog.errors.shown()))
    assert dialog.errors.shown() == {"name": "Name: that name is taken already.",
                                     "color": "Colour: a colour like #4a7fb5."}
    assert dialog.name.hasFocus() and dialog.isVisible()
    assert dialog.name.text() == "follow-up"  # what was typed stays
    with context.store.read_session() as session:
        assert session.scalar(select(func.count()).select_from(AppointmentCategory)) == before
    # corrected, it goes through
    dialog.name.setText("Follow-up (long)")
    dialog.color.set_text("4A7FB5")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: section.dialog is None)
    assert _category(context, "Follow-up (long)").color == "#4a7fb5"


def test_a_session_and_time_off_show_in_the_availability(
        qtbot: QtBot, context: AppContext, manager: Actor) -> None:
    answers = Answers()
    widget, notices = _setup(qtbot, context, manager, answers)
    widget.show_section(2)
    section = widget.availability
    qtbot.waitUntil(lambda: section.sessions.model.rowCount() > 0)
    provider = section.provider_id()
    assert _hours(context, provider, SATURDAY) == []
    weekday_hours = _hours(context, provider, TUESDAY)
    assert weekday_hours  # a weekday with the demo's sessions

    _reactivate(qtbot, widget)
    section.sessions.view.table.setFocus()
    qtbot.keyClick(section.sessions.view.table, Qt.Key.Key_Insert)
    qtbot.waitUntil(lambda: isinstance(section.dialog, SessionDialog))
    dialog = section.dialog
    assert isinstance(dialog, SessionDialog)
    dialog.weekday.setCurrentIndex(5)  # Saturday
    dialog.starts.setTime(dialog.starts.time().fromString("09:00", "HH:mm"))
    dialog.ends.setTime(dialog.ends.time().fromString("12:30", "HH:mm"))
    dialog.valid_from.setText("01/02/2027")
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    qtbot.keyClick(dialog.valid_from, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: section.dialog is None or bool(dialog.errors.shown())
                    or dialog.problem.isVisibleTo(dialog))
    assert section.dialog is None, (dialog.errors.shown(), dialog.problem.text())
    settle(qtbot, context)
    assert _hours(context, provider, SATURDAY) == ["09:00-12:30"]
    assert any(s.weekday == 5 for s in section.sessions.model.rows)
    assert "Sat 09:00\u201312:30" in section.week.text()

    # a session over it is refused at the hours, nothing stored
    _reactivate(qtbot, widget)
    section.sessions.view.table.setFocus()
    qtbot.keyClick(section.sessions.view.table, Qt.Key.Key_Insert)
    qtbot.waitUntil(lambda: isinstance(section.dialog, SessionDialog))
    dialog = section.dialog
    dialog.weekday.setCurrentIndex(5)
    dialog.starts.setTime(dialog.starts.time().fromString("11:00", "HH:mm"))
    dialog.ends.setTime(dialog.ends.time().fromString("13:00", "HH:mm"))
    dialog.valid_from.setText("01/02/2027")
    qtbot.keyClick(dialog.valid_from, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "starts" in dialog.errors.shown())
    assert "overlap" in dialog.errors.shown()["starts"]
    dialog.reject()

    # time off on the Tuesday, whole day
    _reactivate(qtbot, widget)
    section.exceptions.view.table.setFocus()
    qtbot.keyClick(section.exceptions.view.table, Qt.Key.Key_Insert)
    qtbot.waitUntil(lambda: isinstance(section.dialog, ExceptionDialog))
    dialog = section.dialog
    assert isinstance(dialog, ExceptionDialog)
    assert dialog.kind.currentData() == "time_off" and dialog.whole_days.isChecked()
    for field in (dialog.first_day, dialog.last_day):
        field.setText(f"{TUESDAY:%m/%d/%Y}")
    qtbot.keyClicks(dialog.reason, "Jury duty")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: section.dialog is None)
    settle(qtbot, context)
    assert _hours(context, provider, TUESDAY) == []
    shown = [e for e in section.exceptions.model.rows if e.reason == "Jury duty"]
    assert len(shown) == 1
    _reactivate(qtbot, widget)

    # removed again with Delete, after the question
    section.exceptions.view.table.selectRow(section.exceptions.model.rows.index(shown[0]))
    section.exceptions.view.table.setFocus()
    qtbot.keyClick(section.exceptions.view.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: _hours(context, provider, TUESDAY) == weekday_hours)
    assert "Jury duty" in answers.asked[-1]

    # the Saturday session has not started: Delete removes it (asked first)
    settle(qtbot, context)
    _reactivate(qtbot, widget)
    saturday = next(s for s in section.sessions.model.rows if s.weekday == 5)
    section.sessions.view.table.selectRow(section.sessions.model.rows.index(saturday))
    section.sessions.view.table.setFocus()
    qtbot.keyClick(section.sessions.view.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: _hours(context, provider, SATURDAY) == [])
    assert answers.asked[-1].startswith("Remove session")
    settle(qtbot, context)
    assert notices.count(Changed.SCHEDULE) == 4  # added, time off, removed, removed


def test_ending_a_session_in_force(qtbot: QtBot, context: AppContext, manager: Actor) -> None:
    answers = Answers()
    widget, _notices = _setup(qtbot, context, manager, answers)
    widget.show_section(2)
    section = widget.availability
    qtbot.waitUntil(lambda: section.sessions.model.rowCount() > 0)
    provider = section.provider_id()
    monday = section.sessions.model.rows[0]
    assert monday.weekday == 0 and monday.valid_until is None
    section.sessions.view.table.setFocus()
    qtbot.keyClick(section.sessions.view.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: isinstance(section.dialog, EndSessionDialog))
    dialog = section.dialog
    assert isinstance(dialog, EndSessionDialog)
    dialog.last_day.setText("01/03/2027")
    answers.answer = False  # "no": nothing happens, the form stays
    qtbot.keyClick(dialog.last_day, Qt.Key.Key_Return)
    assert section.dialog is dialog and dialog.isVisible()
    answers.answer = True
    qtbot.keyClick(dialog.last_day, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: section.dialog is None)
    settle(qtbot, context)
    with context.store.read_session() as session:
        ended = session.get_one(WeeklyAvailability, monday.id)
        assert ended.valid_until == date(2027, 1, 3)
    # the Monday before still has the session, the Monday after no longer
    assert any(h.startswith(f"{monday.starts:%H:%M}-")
               for h in _hours(context, provider, date(2026, 12, 28)))
    assert not any(h.startswith(f"{monday.starts:%H:%M}-")
                   for h in _hours(context, provider, date(2027, 1, 4)))
    assert answers.asked[-1].startswith("End session: End Mon")


def test_retiring_a_room_keeps_its_appointments(
        qtbot: QtBot, context: AppContext, manager: Actor) -> None:
    answers = Answers()
    widget, notices = _setup(qtbot, context, manager, answers)
    section = widget.facilities
    qtbot.waitUntil(lambda: section.rooms.model.rowCount() == 6)
    rooms = section.rooms.model.rows
    exam = next(r for r in rooms if r.name == "Exam 1")
    assert exam.booked_ahead > 0
    with context.store.read_session() as session:
        held = dict(session.execute(select(Appointment.id, Appointment.status).where(
            Appointment.room_id == exam.id)).all())
    assert held
    section.rooms.view.table.selectRow(rooms.index(exam))
    section.rooms.view.table.setFocus()
    answers.answer = False
    qtbot.keyClick(section.rooms.view.table, Qt.Key.Key_Delete)
    assert "Retire Exam 1?" in answers.asked[-1] and "keep it" in answers.asked[-1]
    settle(qtbot, context)
    with context.store.read_session() as session:
        assert session.get_one(Room, exam.id).is_active is True  # "no" changed nothing
    answers.answer = True
    qtbot.keyClick(section.rooms.view.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: not section.rooms.selected().is_active)
    with context.store.read_session() as session:
        assert session.get_one(Room, exam.id).is_active is False
        assert dict(session.execute(select(Appointment.id, Appointment.status).where(
            Appointment.room_id == exam.id)).all()) == held
    assert Changed.SCHEDULE in notices
    assert section.retire_room.text().replace("&", "") == "Take back into use"


def test_who_sees_and_changes_the_setup(qtbot: QtBot, context: AppContext) -> None:
    store = context.store
    assert ADMIN not in modules_for(sign_in(store, "frontdesk"))  # no Administration at all
    admin = sign_in(store, "admin")
    page = AdminPage(context, admin, make_workspace(qtbot, context, admin))
    qtbot.addWidget(page)
    assert page.scheduling is not None
    assert page.tabs.tabText(page.tabs.indexOf(page.scheduling)) == "&Scheduling"
    # the administrator alone keeps facilities and categories, and the providers' hours
    availability = page.scheduling.availability
    assert availability.may_write
    assert not availability.add_session.isHidden() and not availability.end_session.isHidden()
    # an account administrator without clinic.admin has no Scheduling tab
    users_only = Actor(user_id=admin.user_id, username=admin.username,
                       display_name=admin.display_name, roles=admin.roles,
                       permissions=frozenset({"user.admin", "audit.read"}), seat=admin.seat)
    page = AdminPage(context, users_only, make_workspace(qtbot, context, users_only))
    qtbot.addWidget(page)
    assert page.scheduling is None
    assert "&Scheduling" not in [page.tabs.tabText(n) for n in range(page.tabs.count())]


def test_a_facility_and_a_room_added_and_changed_by_keyboard(
        qtbot: QtBot, context: AppContext, manager: Actor) -> None:
    widget, _notices = _setup(qtbot, context, manager, Answers())
    qtbot.keyClick(widget, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    section = widget.facilities
    qtbot.waitUntil(lambda: section.facilities.model.rowCount() == 1)
    table = section.facilities.view.table
    assert table.hasFocus()
    qtbot.keyClick(table, Qt.Key.Key_Insert)
    qtbot.waitUntil(lambda: section.dialog is not None)
    dialog = section.dialog
    qtbot.keyClicks(dialog.name, "North Annex")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.address, "2 Elm Street, Austin, TX")
    qtbot.keyClick(dialog.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: section.dialog is None)
    qtbot.waitUntil(lambda: section.facilities.model.rowCount() == 2)
    assert section.facility().name == "North Annex"  # the new one is selected
    _reactivate(qtbot, widget)
    rooms = section.rooms.view.table
    rooms.setFocus()
    qtbot.keyClick(rooms, Qt.Key.Key_Insert)
    qtbot.waitUntil(lambda: section.dialog is not None)
    dialog = section.dialog
    qtbot.keyClicks(dialog.name, "Exam 1")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: section.dialog is None)
    qtbot.waitUntil(lambda: section.rooms.model.rowCount() == 1)
    _reactivate(qtbot, widget)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_F2)  # (Enter does the same)
    qtbot.waitUntil(lambda: section.dialog is not None)
    dialog = section.dialog
    assert dialog.name.text() == "North Annex"
    dialog.name.setText("Riverside Family Clinic \u2014 Main Street")  # taken
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "name" in dialog.errors.shown())
    dialog.name.setText("North Annex Clinic")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: section.dialog is None)
    settle(qtbot, context)
    with context.store.read_session() as session:
        annex = session.scalars(select(Facility).where(
            Facility.name == "North Annex Clinic")).one()
        assert annex.address == "2 Elm Street, Austin, TX"
        assert [r.name for r in session.scalars(select(Room).where(
            Room.facility_id == annex.id))] == ["Exam 1"]
