"""The front desk's Waitlist tab and the offer of a freed slot, over the demo clinic and the real
services: putting a patient on the list, listing and closing by keyboard (the database checked);
problems said at their field; the provider filter; "Find a slot" opening the Next available tab
with the entry's wishes and booking from there taking the patient off the list; a cancelled
appointment offering its slot to the matching patient, booked into it with the entry closed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta

import pytest
from demo_users import sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabWidget, QWidget
from pytestqt.qtbot import QtBot
from schedule_setup import DAY, TIMEOUT, Schedule
from sqlalchemy import select
from ui_support import settle

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.scheduling.appointments import set_status
from medtrack_desktop.domain.scheduling.models import Appointment, WaitlistEntry
from medtrack_desktop.domain.scheduling.waitlist import (
    Waiting,
    add_to_waitlist,
    close_waitlist_entry,
    open_waitlist,
)
from medtrack_desktop.paths import resource
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.front_desk.metrics_view import MetricsView
from medtrack_desktop.ui.front_desk.page import FrontDeskPage
from medtrack_desktop.ui.front_desk.slot_finder import SlotFinder
from medtrack_desktop.ui.front_desk.waitlist import CloseEntryDialog, WaitlistDialog, WaitlistTab
from medtrack_desktop.ui.front_desk.waitlist_offer import WaitlistOfferDialog, offer_waitlist
from medtrack_desktop.ui.widgets.choices import select_data
from medtrack_desktop.ui.widgets.date_field import clinic_today
from medtrack_desktop.ui.workspace import Changed, Workspace


class Tabs(QTabWidget):
    """The waitlist and the slot finder side by side, as on the front desk page."""

    def __init__(self, waitlist: WaitlistTab, finder: SlotFinder) -> None:
        super().__init__()
        self.waitlist, self.finder = waitlist, finder
        self.addTab(waitlist, "Wait&list")
        self.addTab(finder, "Next a&vailable")


@pytest.fixture(autouse=True)
def empty_waitlist(context: AppContext) -> None:
    """The demo clinic's own waiting patients taken off the list (as no longer needed), so
    that each test sees only whom it puts there."""
    desk = sign_in(context.store, "frontdesk")
    for line in perform(context.store, desk, open_waitlist):
        perform(context.store, desk, close_waitlist_entry, entry_id=line.id,
                version=line.version)


@pytest.fixture
def tabs(qtbot: QtBot, context: AppContext, schedule: Schedule, workspace: Workspace,
         clock: Callable[[], datetime], answers: list[bool]) -> Tabs:
    shown = Tabs(WaitlistTab(context, schedule.desk, workspace),
                 SlotFinder(context, schedule.desk, workspace, today=clock,
                            confirm=lambda _parent, _title, _question: answers.pop(0)
                            if answers else True))
    shown.setStyleSheet(resource("styles", "app.qss").read_text(encoding="utf-8"))
    shown.resize(1156, 640)
    qtbot.addWidget(shown)
    shown.show()
    shown.activateWindow()
    qtbot.waitUntil(shown.isActiveWindow)  # the tab's keys need the active window
    qtbot.waitUntil(lambda: shown.waitlist.loaded and shown.finder.setup is not None,
                    timeout=TIMEOUT)
    return shown


def wait(context: AppContext, schedule: Schedule, patient: int, **extra: object) -> Waiting:
    days = {"earliest_day": DAY - timedelta(days=3), "latest_day": DAY + timedelta(days=11)}
    return perform(context.store, schedule.desk, add_to_waitlist,
                   patient_id=schedule.patients[patient], **(days | extra))


def entry_row(context: AppContext, entry_id: uuid.UUID) -> WaitlistEntry:
    with context.store.read_session() as session:
        row = session.get_one(WaitlistEntry, entry_id)
        session.expunge(row)
        return row


def reloaded(qtbot: QtBot, tab: WaitlistTab) -> None:
    qtbot.waitUntil(lambda: not tab.loading, timeout=TIMEOUT)


def cells(tab: WaitlistTab, column: int) -> list[str]:
    return [tab.model.index(n, column).data() for n in range(tab.model.rowCount())]


def dialog_of(qtbot: QtBot, tab: WaitlistTab, kind: type) -> WaitlistDialog | CloseEntryDialog:
    qtbot.waitUntil(lambda: isinstance(tab.dialog, kind), timeout=TIMEOUT)
    dialog = tab.dialog
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def test_a_patient_is_put_on_the_list_and_taken_off_it_by_keyboard(
    qtbot: QtBot, context: AppContext, schedule: Schedule, tabs: Tabs,
) -> None:
    tab = tabs.waitlist
    assert tab.model.rowCount() == 0 and tab.status.text().startswith("Nobody is waiting")
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Insert)
    dialog = dialog_of(qtbot, tab, WaitlistDialog)
    assert isinstance(dialog, WaitlistDialog)
    qtbot.keyClick(dialog.notes, Qt.Key.Key_Return)  # nobody chosen yet: said at the field
    assert dialog.errors.shown() == {"patient": "Patient: search and choose who waits."}
    qtbot.keyClicks(dialog.picker.query, "calendarben")
    qtbot.waitUntil(lambda: dialog.picker.patient_id is not None, timeout=TIMEOUT)
    qtbot.keyClick(dialog.picker.query, Qt.Key.Key_Return)  # chosen: on to the provider
    assert dialog.provider.hasFocus()
    qtbot.keyClicks(dialog.provider, "Harper")  # typing picks the provider
    assert dialog.provider.currentData() == schedule.providers[0]  # Harper Quinn
    select_data(dialog.category, schedule.new_patient)
    for field, typed in ((dialog.earliest, DAY), (dialog.latest, DAY - timedelta(days=1))):
        field.clear()
        qtbot.keyClicks(field, f"{typed:%m/%d/%Y}")
    dialog.time_of_day.set_window(None, time(12))  # mornings
    qtbot.keyClicks(dialog.notes, "Prefers a morning; call after 3 pm")
    qtbot.keyClick(dialog.notes, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(dialog.errors.shown()), timeout=TIMEOUT)
    assert dialog.errors.shown() == {"latest_day": "Until: on or after the first day."}
    assert dialog.notes.text() == "Prefers a morning; call after 3 pm"  # nothing lost
    dialog.latest.clear()
    qtbot.keyClicks(dialog.latest, f"{DAY + timedelta(days=11):%m/%d/%Y}")
    qtbot.keyClick(dialog.notes, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.dialog is None and tab.model.rowCount() == 1, timeout=TIMEOUT)
    reloaded(qtbot, tab)
    line = tab.model.row_at(0)
    assert line is not None
    assert (line.entry.patient_id, line.entry.provider_id, line.entry.category_id) == (
        schedule.patients[1], schedule.providers[0], schedule.new_patient)
    assert (line.entry.earliest_day, line.entry.latest_day) == (DAY, DAY + timedelta(days=11))
    assert (line.entry.day_from, line.entry.day_until) == (None, time(12))
    assert cells(tab, 0) == ["CalendarBen, Ben"]
    assert [tab.model.index(0, n).data() for n in range(2, 8)] == [
        "Harper Quinn", "Cal new patient", "Mon 09/13 \u2013 Fri 09/24/2027", "Mornings",
        f"{clinic_today(context.seat):%m/%d/%Y}", "Prefers a morning; call after 3 pm"]
    assert entry_row(context, line.id).status == "waiting"

    tabs.activateWindow()
    qtbot.waitUntil(tabs.isActiveWindow)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    closing = dialog_of(qtbot, tab, CloseEntryDialog)
    assert isinstance(closing, CloseEntryDialog) and closing.booked.isChecked()
    qtbot.keyClick(closing, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # no longer needed
    qtbot.waitUntil(closing.not_needed.isChecked)  # a mnemonic clicks after a moment
    qtbot.keyClick(closing.not_needed, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.dialog is None and tab.model.rowCount() == 0, timeout=TIMEOUT)
    assert entry_row(context, line.id).status == "removed"


def test_the_list_is_first_come_first_served_and_filtered_by_provider(
    qtbot: QtBot, context: AppContext, schedule: Schedule, tabs: Tabs, workspace: Workspace,
) -> None:
    wait(context, schedule, 0, provider_id=schedule.providers[1])
    wait(context, schedule, 1, day_from=time(13), notes="After school")
    today = clinic_today(context.seat)
    wait(context, schedule, 2, provider_id=schedule.providers[0],
         earliest_day=today - timedelta(days=9), latest_day=today - timedelta(days=1))
    tab = tabs.waitlist
    workspace.announce(Changed.SCHEDULE)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 3, timeout=TIMEOUT)
    assert cells(tab, 0) == ["CalendarAda, Ada", "CalendarBen, Ben", "CalendarCleo, Cleo"]
    assert cells(tab, 2) == ["Mateo Ruiz", "Any provider", "Harper Quinn"]
    assert cells(tab, 5) == ["Any time", "From 13:00", "Any time"]
    assert cells(tab, 4)[2].endswith("(passed)")
    assert tab.status.text().startswith("3 patients waiting")
    select_data(tab.provider, schedule.providers[0])  # Quinn's own and anyone's
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2, timeout=TIMEOUT)
    reloaded(qtbot, tab)
    assert cells(tab, 0) == ["CalendarBen, Ben", "CalendarCleo, Cleo"]
    assert "for this provider" in tab.status.text()


def test_find_a_slot_opens_the_finder_with_the_wishes_and_books_off_the_list(
    qtbot: QtBot, context: AppContext, schedule: Schedule, tabs: Tabs, answers: list[bool],
) -> None:
    schedule.book(context, 9, provider=1)  # Ruiz 09:00-09:20 taken
    waiting = wait(context, schedule, 3, provider_id=schedule.providers[1],
                   category_id=schedule.follow_up, earliest_day=DAY, latest_day=DAY,
                   day_until=time(10))
    tab, finder = tabs.waitlist, tabs.finder
    tab.reload()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=TIMEOUT)
    tab.table.setFocus()
    tab.table.selectRow(0)
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    assert tabs.currentWidget() is finder
    qtbot.waitUntil(lambda: finder.searched is not None and not finder.searching,
                    timeout=TIMEOUT)
    assert finder.provider.currentData() == schedule.providers[1]
    assert finder.category.currentData() == schedule.follow_up and finder.minutes.value() == 20
    assert (finder.first_day.value(), finder.days.value()) == (DAY, 1)
    assert finder.time_of_day.window() == (time(7), time(10))
    assert "CalendarDov, Dov" in finder.for_patient.text()
    # Ruiz works from 09:00, taken until 09:20: on the 15-minute grid, 09:30-09:50 is the only
    # 20 minutes that end by 10:00
    assert [f"{s.starts_at.astimezone(schedule.zone):%H:%M}" for s in finder.model.rows] == [
        "09:30"]
    answers.append(False)  # "no" books nothing
    qtbot.keyClick(finder.table, Qt.Key.Key_Return)
    settle(qtbot, context)
    assert entry_row(context, waiting.id).status == "waiting"
    qtbot.keyClick(finder.table, Qt.Key.Key_Return)  # yes
    qtbot.waitUntil(lambda: finder.waiting is None, timeout=TIMEOUT)
    settle(qtbot, context)
    row = entry_row(context, waiting.id)
    assert row.status == "booked" and row.appointment_id is not None
    with context.store.read_session() as session:
        booked = session.get_one(Appointment, row.appointment_id)
        assert (booked.patient_id, booked.provider_id, booked.category_id) == (
            schedule.patients[3], schedule.providers[1], schedule.follow_up)
        assert booked.starts_at == schedule.at(9, 30)
    qtbot.waitUntil(lambda: not finder.searching and finder.status.text().startswith(
        "Booked CalendarDov, Dov on Mon 09/13/2027 at 09:30; off the waitlist."),
        timeout=TIMEOUT)
    assert finder.patient_bar.isHidden()
    tabs.setCurrentWidget(tab)  # the list is read again when shown
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0, timeout=TIMEOUT)


def test_a_cancelled_appointment_offers_its_slot_to_the_matching_patient(
    qtbot: QtBot, context: AppContext, schedule: Schedule, workspace: Workspace,
) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    host.show()
    slot = schedule.book(context, 10, provider=0, category=schedule.new_patient)  # 10:00-10:40
    wait(context, schedule, 1, provider_id=schedule.providers[1])  # another provider
    afternoons = wait(context, schedule, 2, day_from=time(13))  # not at 10:00
    matching = wait(context, schedule, 3, category_id=schedule.new_patient,
                    notes="Any morning")
    perform(context.store, schedule.desk, set_status, appointment_id=slot.id,
            version=slot.version, status="cancelled", cancel_reason="Moved away")
    with qtbot.waitSignal(workspace.sig_changed, timeout=TIMEOUT) as changed:
        offer_waitlist(host, context, schedule.desk, workspace, slot.id)
        qtbot.waitUntil(lambda: host.findChild(WaitlistOfferDialog) is not None,
                        timeout=TIMEOUT)
        dialog = host.findChild(WaitlistOfferDialog)
        assert dialog.heading.text() == ("Harper Quinn's Mon 09/13/2027 10:00\u201310:40 "
                                         "(Cal new patient) is free again.")
        assert [line.id for line in dialog.model.rows] == [matching.id]
        assert dialog.model.index(0, 0).data() == "CalendarDov, Dov"
        assert dialog.model.index(0, 2).data() == "Any provider \u00b7 Cal new patient"
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert changed.args == [Changed.SCHEDULE]
    row = entry_row(context, matching.id)
    assert row.status == "booked"
    with context.store.read_session() as session:
        booked = session.get_one(Appointment, row.appointment_id)
        assert (booked.patient_id, booked.provider_id, booked.starts_at, booked.ends_at,
                booked.status) == (schedule.patients[3], schedule.providers[0],
                                   schedule.at(10), schedule.at(10, 40), "scheduled")
    assert entry_row(context, afternoons.id).status == "waiting"
    # the slot is taken again: a second offer shows nothing
    offer_waitlist(host, context, schedule.desk, workspace, slot.id)
    settle(qtbot, context)
    qtbot.waitUntil(lambda: host.findChild(WaitlistOfferDialog) is None, timeout=TIMEOUT)


def test_not_now_leaves_everyone_waiting_and_nothing_is_offered_when_nobody_waits(
    qtbot: QtBot, context: AppContext, schedule: Schedule, workspace: Workspace,
) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    host.show()
    first, second = (schedule.book(context, hour, provider=2, patient=n)
                     for n, hour in ((0, 14), (1, 15)))
    for entry in (first, second):
        perform(context.store, schedule.desk, set_status, appointment_id=entry.id,
                version=entry.version, status="cancelled", cancel_reason="Ill")
    offer_waitlist(host, context, schedule.desk, workspace, first.id)
    settle(qtbot, context)
    assert host.findChild(WaitlistOfferDialog) is None  # nobody waits
    waiting = wait(context, schedule, 2, provider_id=schedule.providers[2])
    offer_waitlist(host, context, schedule.desk, workspace, second.id)
    qtbot.waitUntil(lambda: host.findChild(WaitlistOfferDialog) is not None, timeout=TIMEOUT)
    dialog = host.findChild(WaitlistOfferDialog)
    qtbot.mouseClick(dialog.not_now, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: host.findChild(WaitlistOfferDialog) is None, timeout=TIMEOUT)
    assert entry_row(context, waiting.id).status == "waiting"
    with context.store.read_session() as session:
        assert session.scalars(select(Appointment.id).where(
            Appointment.patient_id == schedule.patients[2])).all() == []


def test_the_front_desk_page_has_the_tabs_and_find_a_slot_jumps_between_them(
    qtbot: QtBot, context: AppContext, schedule: Schedule, page: FrontDeskPage,
) -> None:
    wait(context, schedule, 0, provider_id=schedule.providers[0], earliest_day=DAY,
         latest_day=DAY, day_until=time(12))
    waitlist, finder = page.tab("Waitlist"), page.tab("Next available")
    assert isinstance(waitlist, WaitlistTab) and isinstance(finder, SlotFinder)
    assert isinstance(page.tab("Metrics"), MetricsView)
    qtbot.keyClick(page, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    assert page.tabs.currentWidget() is waitlist
    qtbot.waitUntil(lambda: waitlist.model.rowCount() == 1 and finder.setup is not None,
                    timeout=TIMEOUT)
    waitlist.table.selectRow(0)
    qtbot.mouseClick(waitlist.find_button, Qt.MouseButton.LeftButton)
    assert page.tabs.currentWidget() is finder
    qtbot.waitUntil(lambda: finder.searched is not None and not finder.searching,
                    timeout=TIMEOUT)
    assert finder.waiting is not None and finder.model.rowCount() > 0
    assert all(slot.provider_id == schedule.providers[0] for slot in finder.model.rows)
