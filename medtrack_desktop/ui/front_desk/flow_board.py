"""Today's flow board: every visit of the day by time, with the patient, provider, category,
room, status and how long the patient has waited since arriving (or been in the room).

The board reads ``front_desk.flow_board`` on the task runner when it is shown, when the schedule
changes (``Changed.SCHEDULE``), and every minute while it is shown (another desk may have
checked someone in); between reads a tick every 30 seconds moves the waiting minutes on without
reading anything. A reply for another day, or older than a later read, is dropped. Someone
waiting longer than ``LONG_WAIT`` is marked (a sign and the row's colour).

Another day can be looked at (yesterday, to close what was left open): checking in and rooming
are for today only, a day to come can only be cancelled from here.

Keys (while the board has the focus): Alt+Left / Alt+Right the previous / next day, Ctrl+T
today, Alt+P the provider, Alt+S what is shown; on the table Enter (or a double click) checks
the selected patient in (or opens the visit's actions when it is past that), Ctrl+I checks in,
R in room (asks which room), D completed, N no-show, Delete cancel, O open the chart (or the
record), the menu key or a right click the visit's actions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.access import PatientHeader
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.domain.scheduling.appointments import (
    NEXT_STATUSES,
    AppointmentEntry,
    AppointmentNotFound,
    set_status,
)
from medtrack_desktop.domain.scheduling.calendar import STATUS_TEXT, RoomChoice, calendar_setup
from medtrack_desktop.domain.scheduling.front_desk import FlowRow, flow_board
from medtrack_desktop.ui.calendar.appointment_dialogs import CancelDialog
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.front_desk.check_in_dialog import CheckInDialog
from medtrack_desktop.ui.front_desk.room_dialog import RoomDialog
from medtrack_desktop.ui.front_desk.waitlist_offer import offer_waitlist
from medtrack_desktop.ui.models.flow_board import DONE, HERE, TO_COME, FlowModel, counts_text
from medtrack_desktop.ui.patients.common import PatientPick
from medtrack_desktop.ui.service_calls import ServiceCaller, error_text, invalid_fields
from medtrack_desktop.ui.widgets.dialogs import open_tracked
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.widgets.tables import read_only_table
from medtrack_desktop.ui.workspace import Changed, Workspace

TICK_MS = 30_000  # the waiting minutes move on (no read)
REFRESH_MS = 60_000  # the board is read again while shown
# what the "Show" box offers: (text, the statuses shown; None for all)
SHOWN: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("All visits", None), ("Still to come", TO_COME), ("Here now", HERE), ("Done", DONE))
# (status, button text, keys) of the status actions, in the order of the visit's flow
STATUS_ACTIONS = (("in_room", "In &room", ("R",)), ("completed", "Complete&d", ("D",)),
                  ("no_show", "&No-show\u2026", ("N",)))
STALE = "Someone changed this visit meanwhile; the board shows it as it is now. Try again."


class _Visit(NamedTuple):
    """What ``CancelDialog`` reads of an appointment (its summary line), for a board row."""

    class When(NamedTuple):
        starts_at: datetime

    entry: When
    patient_name: str
    mrn: str
    category: str


class FlowBoard(QWidget):
    """The flow board of one day (today unless the user steps to another). ``confirm`` asks
    yes/no (tests answer for the user); ``today`` is the clinic's time now (tests set it). The
    dialog opened from here is ``self.dialog`` while it is open."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask, today: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.setAccessibleName("Flow board")
        self._context, self._actor, self._workspace = context, actor, workspace
        self._confirm = confirm
        self.zone = ZoneInfo(context.seat.clinic_timezone)
        self._now = today or (lambda: datetime.now(self.zone))
        self._calls = ServiceCaller(context, actor, self)
        self.can_write = actor.can("schedule.write")
        self.can_open = actor.can("patient.read")
        # the chart for whoever reads charts, else the patient's record (Patients module)
        self._open_module = "chart" if actor.can("chart.read") else "patients"
        self._open_text = "&Open chart" if self._open_module == "chart" else "&Open record"
        self.day: date = self.today()
        self.rows: list[FlowRow] = []  # the day as read (every provider, every status)
        self.shown_day: date | None = None  # the day the rows are of (None: not read yet)
        self.loading = False
        self.changing = False  # a command is on its way
        self.dialog: Any = None
        self.menu: QMenu | None = None
        self._loads = 0
        self._fresh_day = True
        self._pick = PatientPick(workspace, self)
        self._pick.sig_opened.connect(self._chart_opened)
        self._build()
        self._actions()
        workspace.sig_changed.connect(self._changed)
        self._tick = QTimer(self, interval=TICK_MS)
        self._tick.timeout.connect(self.tick)
        self._tick.start()
        self.refresh_timer = QTimer(self, interval=REFRESH_MS)
        self.refresh_timer.timeout.connect(lambda: self.isVisible() and self.reload())
        self.refresh_timer.start()  # the first read when the board is first shown

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.previous = QToolButton(text="\u25c0", toolTip="Previous day (Alt+Left)")
        self.previous.setAccessibleName("Previous day")
        self.today_button = QPushButton("&Today", toolTip="Back to today (Ctrl+T)")
        self.next = QToolButton(text="\u25b6", toolTip="Next day (Alt+Right)")
        self.next.setAccessibleName("Next day")
        self.heading = QLabel(objectName="sectionTitle")
        self.heading.setAccessibleName("Day shown")
        self.provider = QComboBox(toolTip="Whose visits are shown")
        self.provider.setAccessibleName("Provider")
        self.provider.setMinimumWidth(170)
        self.provider.addItem("All providers", None)
        self.show_box = QComboBox(toolTip="Which visits are shown")
        self.show_box.setAccessibleName("Show")
        for text, statuses in SHOWN:
            self.show_box.addItem(text, statuses)
        provider_label = QLabel("&Provider:")
        provider_label.setBuddy(self.provider)
        show_label = QLabel("&Show:")
        show_label.setBuddy(self.show_box)
        bar = QHBoxLayout()
        for widget in (self.previous, self.today_button, self.next, self.heading):
            bar.addWidget(widget)
        bar.addStretch(1)
        for widget in (provider_label, self.provider, show_label, self.show_box):
            bar.addWidget(widget)

        self.counts = QLabel()
        self.counts.setAccessibleName("Counts")
        self.note = QLabel(objectName="muted", wordWrap=True)
        self.note.setAccessibleName("Day note")
        self.note.hide()
        self.message = QLabel(objectName="fieldError", wordWrap=True)
        self.message.setAccessibleName("Flow board message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()

        self.model = FlowModel(self.zone)
        self.model.setParent(self)
        self.table = read_only_table("Visits of the day", fit_contents=False)
        self.table.setModel(self.model)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        for column, width in enumerate((60, 200, 90, 150, 160, 140, 100)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        header.resizeSection(self.model.waiting_column, 150)

        self.buttons: dict[str, QPushButton] = {}
        actions_row = QHBoxLayout()
        if self.can_write:
            for key, text, tip in (
                    ("arrived", "Check &in\u2026", "Check the patient in (Enter, Ctrl+I)"),
                    ("in_room", "In &room", "The patient is in the exam room (R)"),
                    ("completed", "Complete&d", "The visit is over (D)"),
                    ("no_show", "&No-show\u2026", "The patient did not come (N)"),
                    ("cancelled", "&Cancel visit\u2026", "Cancel with a reason (Delete)")):
                button = QPushButton(text, toolTip=tip)
                button.setAccessibleName(text.replace("&", "").rstrip("\u2026"))
                self.buttons[key] = button
                actions_row.addWidget(button)
        if self.can_open:
            self.buttons["open"] = QPushButton(self._open_text, toolTip="Open the patient (O)")
            actions_row.addWidget(self.buttons["open"])
        actions_row.addStretch(1)
        self.status = QLabel(objectName="muted", wordWrap=True)
        self.status.setAccessibleName("Flow board status")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.addLayout(bar)
        layout.addWidget(self.counts)
        layout.addWidget(self.note)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions_row)
        layout.addWidget(self.status)
        self.setFocusProxy(self.table)

        self.previous.clicked.connect(lambda: self.step(-1))
        self.next.clicked.connect(lambda: self.step(1))
        self.today_button.clicked.connect(self.go_today)
        self.provider.currentIndexChanged.connect(lambda _i: self._show_rows())
        self.show_box.currentIndexChanged.connect(lambda _i: self._show_rows())
        self.table.activated.connect(lambda _index: self.primary_action())
        self.table.customContextMenuRequested.connect(self._menu_at)
        self.table.selectionModel().currentRowChanged.connect(
            lambda _now, _before: self._update_actions())

    def _action(self, text: str, keys: Sequence[str], slot: Callable[[], object], *,
                on_table: bool = False) -> QAction:
        """An action of the board (its keys work anywhere on it) or of the table (only while
        the table has the focus: letters and Enter must still type in the boxes)."""
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut if on_table
                                  else Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        (self.table if on_table else self).addAction(action)
        return action

    def _actions(self) -> None:
        self._action("Previous day", ("Alt+Left",), lambda: self.step(-1))
        self._action("Next day", ("Alt+Right",), lambda: self.step(1))
        self._action("Today", ("Ctrl+T",), self.go_today)
        self.row_actions: dict[str, QAction] = {}
        if self.can_write:
            self.row_actions["arrived"] = self._action("Check &in\u2026", ("Ctrl+I",),
                                                       self.check_in)
            for status, text, keys in STATUS_ACTIONS:
                self.row_actions[status] = self._action(
                    text, keys, (self.choose_room if status == "in_room"
                                 else lambda s=status: self.change_status(s)), on_table=True)
            self.row_actions["cancelled"] = self._action(
                "&Cancel visit\u2026", ("Delete",), self.cancel_selected, on_table=True)
        if self.can_open:
            self.row_actions["open"] = self._action(self._open_text, ("O",), self.open_chart,
                                                    on_table=True)
        self._action("Visit actions", ("Return", "Enter"), self.primary_action, on_table=True)
        for key, button in self.buttons.items():
            button.clicked.connect(self.row_actions[key].trigger)
        self._update_actions()

    # -- the day shown -----------------------------------------------------------------------

    def today(self) -> date:
        return self._now().astimezone(self.zone).date()

    def step(self, days: int) -> None:
        self.go_to(self.day + timedelta(days=days))

    def go_today(self) -> None:
        self.go_to(self.today())

    def go_to(self, day: date) -> None:
        self.day = day
        self._fresh_day = True
        self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        """The board is read when it is first shown (not at sign-in), and again when it is
        come back to: another desk may have checked someone in since."""
        super().showEvent(event)
        if not event.spontaneous():
            self.reload()

    def reload(self) -> None:
        """Read the day again (a reply for another day or an older read is dropped)."""
        self._loads += 1
        number, day = self._loads, self.day
        self.loading = True
        self._calls.start("schedule.flow_board", flow_board,
                          on_done=lambda rows: self._loaded(number, day, rows),
                          on_failed=lambda error: self._failed_load(number, error), day=day)

    def _failed_load(self, number: int, error: Exception) -> None:
        if number == self._loads:
            self.loading = False
            self._say(error_text(error, doing="read the flow board"))

    def _loaded(self, number: int, day: date, rows: list[FlowRow]) -> None:
        if number != self._loads:
            return
        self.rows, self.shown_day = rows, day
        self._fill_providers(rows)
        self._show_rows()
        self._show_day()
        self.loading = False
        self.status.setText(
            f"Read at {self._now().astimezone(self.zone):%H:%M}" + (
                " \u00b7 Enter checks in \u00b7 R in room \u00b7 D completed \u00b7 "
                "N no-show \u00b7 Delete cancels" if self.can_write else "") + (
                f" \u00b7 O opens the {self._open_module.rstrip('s')}" if self.can_open
                else "")
            + " \u00b7 Alt+Left/Right another day")
        if self.dialog is not None and isinstance(self.dialog, CheckInDialog):
            fresh = next((row for row in rows
                          if row.appointment_id == self.dialog.row.appointment_id), None)
            if fresh is not None:
                self.dialog.set_row(fresh)

    def _fill_providers(self, rows: list[FlowRow]) -> None:
        """The providers with visits that day (the one chosen stays, even with none)."""
        chosen = self.provider.currentData()
        names = {str(row.provider_id): row.provider_name for row in rows}
        if chosen is not None and chosen not in names:
            names[chosen] = self.provider.currentText()
        self.provider.blockSignals(True)
        self.provider.clear()
        self.provider.addItem("All providers", None)
        for provider_id, name in sorted(names.items(), key=lambda item: item[1]):
            self.provider.addItem(name, provider_id)  # data: the id's text (QVariant-safe)
        self.provider.setCurrentIndex(max(0, self.provider.findData(chosen)) if chosen else 0)
        self.provider.blockSignals(False)

    def _show_day(self) -> None:
        today = self.today()
        when = ("today" if self.day == today else "yesterday"
                if self.day == today - timedelta(days=1) else "tomorrow"
                if self.day == today + timedelta(days=1) else "")
        self.heading.setText(f"{self.day:%A, %B} {self.day.day}, {self.day.year}"
                             + (f" \u2014 {when}" if when else ""))
        note = ("" if self.day == today or not self.can_write
                else "Another day: checking in and rooming are for today (Ctrl+T)."
                if self.day < today else
                "A day to come: visits can only be cancelled from here (Ctrl+T for today).")
        self.note.setText(note)
        self.note.setVisible(bool(note))

    def visible_rows(self) -> list[FlowRow]:
        """The rows of the provider chosen (every status): what the counts are of."""
        provider = self.provider.currentData()
        return [row for row in self.rows
                if provider is None or str(row.provider_id) == provider]

    def _show_rows(self) -> None:
        """Fill the table with the rows the filters let through, keeping the selected visit
        (on a day just opened: the first visit not over yet)."""
        kept = self.selected()
        statuses = self.show_box.currentData()
        rows = [row for row in self.visible_rows() if statuses is None or row.status in statuses]
        self.model.now = self._now() if self.shown_day == self.today() else None
        self.model.set_rows(rows)
        self.counts.setText(counts_text(self.visible_rows(), self.model.now))
        target = self.model.row_of(kept.appointment_id) if kept is not None else None
        if target is None and rows and (self._fresh_day or kept is not None):
            target = next((n for n, row in enumerate(rows) if row.status not in DONE), 0)
        if target is not None:
            self.table.selectRow(target)
            self.table.scrollTo(self.model.index(target, 0))
        self._fresh_day = self._fresh_day and not rows
        self._update_actions()

    def tick(self) -> None:
        """The 30-second tick: waiting minutes move on; a board left open over midnight
        moves to the new day."""
        if self.shown_day is None:
            return
        if self.day == self.shown_day and self.shown_day == self.today() - timedelta(days=1) \
                and self.model.now is not None:
            self.go_today()
            return
        if self.model.now is not None:
            self.model.set_now(self._now())
            self.counts.setText(counts_text(self.visible_rows(), self.model.now))

    def _changed(self, changed: Changed) -> None:
        if Changed.SCHEDULE in changed:
            self.reload()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # -- the selected visit and its actions --------------------------------------------------

    def selected(self) -> FlowRow | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def allowed(self, row: FlowRow) -> set[str]:
        """The statuses the visit may go to from this board: its flow allows them, and the
        day allows them (checking in and rooming today only; a day to come only cancelled)."""
        allowed = set(NEXT_STATUSES.get(row.status, ()))
        if self.shown_day is None or self.shown_day > self.today():
            allowed &= {"cancelled"}
        elif self.shown_day < self.today():
            allowed -= {"arrived", "in_room"}
        return allowed

    def _update_actions(self) -> None:
        """Only what the selected visit allows is enabled (keys, menu and buttons alike)."""
        row = self.selected()
        allowed = self.allowed(row) if row is not None and not self.changing else set()
        for key, action in self.row_actions.items():
            action.setEnabled(row is not None if key == "open" else key in allowed)
            if key in self.buttons:
                self.buttons[key].setEnabled(action.isEnabled())

    def menu_for(self, row: FlowRow | None) -> QMenu:
        """The selected visit's actions, those it allows enabled."""
        self._update_actions()
        menu = QMenu(self)
        menu.setAccessibleName("Visit actions")
        for key, action in self.row_actions.items():
            if key in ("cancelled", "open"):
                menu.addSeparator()
            menu.addAction(action)
        if not self.can_write:
            menu.addAction("You may look at the schedule, not change it.").setEnabled(False)
        if row is None:
            menu.clear()
            menu.addAction("Choose a visit first.").setEnabled(False)
        return menu

    def _menu_at(self, where: QPoint) -> None:
        index = self.table.indexAt(where)
        if index.isValid():
            self.table.selectRow(index.row())
        else:
            current = self.table.currentIndex()
            where = self.table.visualRect(current).center() if current.isValid() else where
        self.menu = self.menu_for(self.selected())
        self.menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.menu.popup(self.table.viewport().mapToGlobal(where))

    def primary_action(self) -> None:
        """Enter or a double click: check the patient in when that is what comes next, else
        the visit's actions."""
        row = self.selected()
        if row is None:
            return
        if "arrived" in self.allowed(row) and self.can_write:
            self.check_in()
            return
        index = self.table.currentIndex()
        self._menu_at(self.table.visualRect(index).center() if index.isValid() else QPoint())

    def _open(self, dialog: Any) -> None:
        """Open ``dialog`` (window-modal), kept in ``self.dialog`` until it closes."""
        open_tracked(self, dialog, self.table.setFocus)

    def _done_changing(self, _result: object = None) -> None:
        self.changing = False
        self._say("")
        self._workspace.announce(Changed.SCHEDULE)

    def _refused(self, error: Exception, *, doing: str) -> None:
        self.changing = False
        fields = invalid_fields(error)
        if fields:
            self._say(" ".join(fields.values()))
        elif isinstance(error, StaleRecord):
            self._say(STALE)
        elif isinstance(error, AppointmentNotFound):
            self._say(str(error))
        else:
            self._say(error_text(error, doing=doing))
        self.reload()

    def check_in(self) -> None:
        row = self.selected()
        if not self.can_write or row is None or "arrived" not in self.allowed(row):
            self._say("Choose a visit still to come today to check in.")
            return
        self._say("")
        dialog = CheckInDialog(self._context, self._actor, row, now=self._now, parent=self)
        dialog.sig_checked_in.connect(self._done_changing)
        dialog.sig_stale.connect(self.reload)
        self._open(dialog)

    def _may_become(self, row: FlowRow | None, status: str) -> bool:
        if row is None or self.changing:
            return False
        if status not in self.allowed(row):
            self._say(f"A visit {STATUS_TEXT.get(row.status, row.status).lower()} cannot "
                      f"become {STATUS_TEXT.get(status, status).lower()} from here.")
            return False
        return True

    def choose_room(self) -> None:
        """In room: which room, of the visit's facility (read fresh: rooms change), in a
        dialog that stays open until the room is taken or the user gives up."""
        row = self.selected()
        if not self._may_become(row, "in_room"):
            return
        assert row is not None
        self.changing = True
        self._calls.start(
            "schedule.setup", calendar_setup,
            on_done=lambda setup: self._room_dialog(row, [
                room for room in setup.rooms if room.facility_id == row.facility_id]),
            on_failed=lambda error: self._refused(error, doing="read the rooms"))

    def _room_dialog(self, row: FlowRow, rooms: list[RoomChoice]) -> None:
        self.changing = False
        if not rooms:
            self.change_status("in_room")
            return
        starts = row.starts_at.astimezone(self.zone)
        dialog = RoomDialog(f"{row.patient_name} (MRN {row.mrn}) \u00b7 {starts:%H:%M} \u00b7 "
                            f"{row.provider_name}", rooms, row.room_id, parent=self)

        def taken(entry: AppointmentEntry) -> None:
            dialog.done(1)
            self._done_changing(entry)

        def chosen() -> None:
            self.changing = True
            dialog.errors.clear()
            self._calls.start(
                "schedule.status", set_status, on_done=taken,
                on_failed=lambda error: self._room_refused(dialog, error),
                appointment_id=row.appointment_id, version=row.version, status="in_room",
                room_id=dialog.room_id(), now=self._now())

        dialog.buttons_accepted.connect(chosen)
        self._open(dialog)

    def _room_refused(self, dialog: RoomDialog, error: Exception) -> None:
        fields = invalid_fields(error)
        if "room" in fields:
            self.changing = False
            dialog.errors.show(fields)
            return
        dialog.done(0)
        self._refused(error, doing="show the patient in")

    def change_status(self, status: str, reason: str = "") -> None:
        row = self.selected()
        if not self._may_become(row, status):
            return
        assert row is not None
        if status == "no_show" and not self._confirm(
                self, "No-show", f"Mark {row.patient_name} "
                f"({row.starts_at.astimezone(self.zone):%H:%M}) as a no-show? It cannot be "
                "undone."):
            return
        self.changing = True
        self._update_actions()
        self._calls.start(
            "schedule.status", set_status, on_done=self._status_changed,
            on_failed=lambda error: self._refused(error, doing="change the status"),
            appointment_id=row.appointment_id, version=row.version, status=status,
            cancel_reason=reason, now=self._now())

    def _status_changed(self, entry: AppointmentEntry) -> None:
        """After a change of status; a slot cancelled is offered to the waitlist."""
        self._done_changing(entry)
        if entry.status == "cancelled":
            offer_waitlist(self, self._context, self._actor, self._workspace, entry.id)

    def cancel_selected(self) -> None:
        row = self.selected()
        if row is None or "cancelled" not in self.allowed(row):
            self._say("Choose a visit still to come to cancel.")
            return
        visit = _Visit(_Visit.When(row.starts_at), row.patient_name, row.mrn, row.category)
        dialog = CancelDialog(visit, self.zone, parent=self)  # type: ignore[arg-type]

        def confirmed() -> None:
            question = (f"Cancel {row.patient_name}'s visit at "
                        f"{row.starts_at.astimezone(self.zone):%H:%M}? The time is given back "
                        "for someone else.")
            if self._confirm(self, "Cancel visit", question):
                self.change_status("cancelled", dialog.reason.text())

        dialog.accepted.connect(confirmed)
        self._open(dialog)

    def open_chart(self) -> None:
        """Open the selected visit's patient (asking for a reason where the record is
        restricted), then show the chart (the Patients module to whoever reads no charts)."""
        row = self.selected()
        if row is not None and self.can_open:
            self._pick.open(row.patient_id)

    def _chart_opened(self, _patient: PatientHeader) -> None:
        self._workspace.sig_show_module.emit(self._open_module)

    def select(self, appointment_id: object) -> None:
        """Put the cursor on a visit (tests, and another screen pointing at one)."""
        row = self.model.row_of(appointment_id)
        if row is not None:
            self.table.setCurrentIndex(self.model.index(row, 0))
            self.table.selectRow(row)
