"""The front desk's calendar: a day of every provider side by side, one provider's week, or
a month of one provider or all.

The page reads the clinic's lists once (providers, facilities, rooms, categories), then the
days shown (bookable time and appointments with names) whenever the day, the view or the
schedule changes — each a job on the task runner; a reply for days no longer shown is
dropped. Booking (one appointment or a recurring series), moving and the status flow go
through the scheduling services; after each the page announces ``Changed.SCHEDULE`` and every
open calendar reads again. Moving or cancelling an appointment of a series first asks "this
appointment, this and the following, or all" (``series_flow``); recurring ones show \u21bb.

Keys (while the calendar has the focus): Alt+Left / Alt+Right the previous / next day (week
in the week view, month in the month view), Ctrl+T today, Ctrl+G the date box, Alt+D / Alt+W
/ Alt+M the day / week / month view, Ctrl+P print the day; in the grid, the arrows, Enter and
Insert (see ``grid``); on a selected appointment C confirm, I check in, R in room,
D completed, N no-show, Delete cancel, M move. In the month view the arrows, Home / End and
Page Up / Page Down move the cursor day, Enter (or a double-click) opens it in the day view
(see ``month_view``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.domain.scheduling.appointments import (
    NEXT_STATUSES,
    AppointmentEntry,
    SlotTaken,
    move_appointment,
    set_status,
)
from medtrack_desktop.domain.scheduling.calendar import (
    CalendarAppointment,
    CalendarRange,
    CalendarSetup,
    MonthRange,
    calendar_month,
    calendar_range,
    calendar_setup,
)
from medtrack_desktop.domain.scheduling.recurrence import SeriesOutcome
from medtrack_desktop.ui.calendar.appointment_dialogs import CancelDialog, MoveDialog
from medtrack_desktop.ui.calendar.booking_dialog import BookingDialog
from medtrack_desktop.ui.calendar.day_schedule_dialog import DayScheduleDialog
from medtrack_desktop.ui.calendar.grid import SLOT, ScheduleGrid
from medtrack_desktop.ui.calendar.grid_items import (
    Block,
    Column,
    facility_at,
    grid_content,
    minutes_of,
)
from medtrack_desktop.ui.calendar.month_view import (
    MonthGrid,
    add_months,
    count_text,
    month_days,
    month_range,
)
from medtrack_desktop.ui.calendar.repeat_rules import booked_text
from medtrack_desktop.ui.calendar.series_flow import SeriesFlow
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.front_desk.waitlist_offer import offer_waitlist
from medtrack_desktop.ui.service_calls import ServiceCaller, error_text, invalid_fields
from medtrack_desktop.ui.widgets.choices import select_data
from medtrack_desktop.ui.widgets.dialogs import open_tracked
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.workspace import Changed, Workspace

# (status, menu text, key) in the order of the visit's flow
STATUS_ACTIONS = (("confirmed", "&Confirm", "C"), ("arrived", "Check &in (arrived)", "I"),
                  ("in_room", "In &room", "R"), ("completed", "Complete&d", "D"),
                  ("no_show", "&No-show", "N"))
_MOVABLE = ("scheduled", "confirmed")
NOW_TICK_MS = 60_000
ALL_PROVIDERS = "All providers"


class CalendarPage(QWidget):
    """The Calendar module's page. ``confirm`` asks yes/no (tests answer for the user);
    dialogs opened from here are kept in ``self.dialog`` while open; ``today`` is the clock
    (what is past is never changed by a series move)."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask, today: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self._context, self._actor, self._workspace = context, actor, workspace
        self.confirm = confirm
        self.zone = ZoneInfo(context.seat.clinic_timezone)
        self.now = today or (lambda: datetime.now(self.zone))
        self._calls = ServiceCaller(context, actor, self)
        self.series = SeriesFlow(self, context, actor)
        self.can_write = actor.can("schedule.write")
        self.setup: CalendarSetup | None = None
        self.shown: CalendarRange | MonthRange | None = None
        self.day: date = self.now().date()
        self.view = "day"
        self.dialog: Any = None
        self._loads = 0
        self.loading = False  # a read of the days shown is on its way
        self._keep_cursor: tuple[uuid.UUID, date] | None = None  # the column to put it in
        self._build()
        self._actions()
        workspace.sig_changed.connect(self._changed)
        self._tick = QTimer(self, interval=NOW_TICK_MS)
        self._tick.timeout.connect(self._show_now)
        self._tick.start()
        self.reload_setup()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.title = QLabel("Calendar", objectName="pageTitle")
        self.previous = QToolButton(text="\u25c0", toolTip="Previous (Alt+Left)")
        self.previous.setAccessibleName("Previous")
        self.next = QToolButton(text="\u25b6", toolTip="Next (Alt+Right)")
        self.next.setAccessibleName("Next")
        self.today_button = QPushButton("Today", toolTip="Today (Ctrl+T)")
        self.date_edit = QDateEdit(calendarPopup=True, toolTip="Go to a date (Ctrl+G)")
        self.date_edit.setDisplayFormat("ddd MM/dd/yyyy")
        self.date_edit.setAccessibleName("Date")
        self.day_button = QPushButton("&Day", checkable=True, checked=True)
        self.week_button = QPushButton("&Week", checkable=True)
        self.month_button = QPushButton("&Month", checkable=True)
        views = QButtonGroup(self)
        views.setExclusive(True)
        for button in (self.day_button, self.week_button, self.month_button):
            views.addButton(button)
        self.provider = QComboBox(toolTip="Whose week or month is shown")
        self.provider.setAccessibleName("Provider")
        self.provider.setMinimumWidth(180)
        self.book_button = QPushButton("&Book\u2026", toolTip="Book at the selected time (Insert)")
        self.book_button.setVisible(self.can_write)
        self.print_button = QPushButton("&Print day\u2026", toolTip="Print the day (Ctrl+P)")
        bar = QHBoxLayout()
        for widget in (self.title, self.previous, self.today_button, self.next, self.date_edit,
                       self.day_button, self.week_button, self.month_button, self.provider):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.book_button)
        bar.addWidget(self.print_button)
        self.heading = QLabel(objectName="sectionTitle")
        self.heading.setAccessibleName("Shown")
        self.message = QLabel(objectName="fieldError", wordWrap=True)
        self.message.setAccessibleName("Calendar message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        self.notice = QLabel(objectName="notice", wordWrap=True)
        self.notice.setAccessibleName("Calendar notice")
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.hide()
        self.status = QLabel(objectName="muted")
        self.status.setAccessibleName("Calendar status")
        self.grid = ScheduleGrid()
        self.grid.editable = self.can_write
        self.month = MonthGrid()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.month)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 6)
        layout.addLayout(bar)
        layout.addWidget(self.heading)
        layout.addWidget(self.message)
        layout.addWidget(self.notice)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status)
        self.setFocusProxy(self.grid)
        self.previous.clicked.connect(lambda: self.step(-1))
        self.next.clicked.connect(lambda: self.step(1))
        self.today_button.clicked.connect(self.go_today)
        self.date_edit.dateChanged.connect(self._date_picked)
        self.day_button.toggled.connect(lambda on: on and self.set_view("day"))
        self.week_button.toggled.connect(lambda on: on and self.set_view("week"))
        self.month_button.toggled.connect(lambda on: on and self.set_view("month"))
        self.provider.currentIndexChanged.connect(
            lambda _i: self.view != "day" and self.reload())
        self.book_button.clicked.connect(self.book_at_cursor)
        self.print_button.clicked.connect(self.print_day)
        self.grid.sig_book_requested.connect(self.book)
        self.grid.sig_move_requested.connect(self._dropped)
        self.grid.sig_menu_requested.connect(self.show_menu)
        self.grid.sig_selected.connect(self._update_actions)
        self.month.sig_cursor_moved.connect(self._month_cursor_moved)
        self.month.sig_open_day.connect(self.open_day)
        self._set_date_box()
        self.provider.setVisible(False)

    def _action(self, text: str, key: str, slot: Callable[[], object], *,
                on_grid: bool = False) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        (self.grid if on_grid else self).addAction(action)
        return action

    def _actions(self) -> None:
        self._action("Previous", "Alt+Left", lambda: self.step(-1))
        self._action("Next", "Alt+Right", lambda: self.step(1))
        self._action("Today", "Ctrl+T", self.go_today)
        self._action("Go to date", "Ctrl+G", self.date_edit.setFocus)
        self._action("Print day", "Ctrl+P", self.print_day)
        self.status_actions: dict[str, QAction] = {}
        self.move_action: QAction | None = None
        self.cancel_action: QAction | None = None
        if not self.can_write:
            return
        for status, text, key in STATUS_ACTIONS:
            self.status_actions[status] = self._action(
                text, key, lambda s=status: self.change_status(s), on_grid=True)
        self.move_action = self._action("&Move\u2026", "M", self.move_selected, on_grid=True)
        self.cancel_action = self._action("C&ancel appointment\u2026", "Delete",
                                          self.cancel_selected, on_grid=True)
        self._update_actions(None)

    # -- what is shown -----------------------------------------------------------------------

    def _set_date_box(self) -> None:
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(self.day.year, self.day.month, self.day.day))
        self.date_edit.blockSignals(False)

    @property
    def week_view(self) -> bool:
        return self.view == "week"

    def days(self) -> tuple[date, date]:
        if self.view == "month":
            return month_range(self.day)
        if self.view == "day":
            return self.day, self.day
        monday = self.day - timedelta(days=self.day.weekday())
        return monday, monday + timedelta(days=6)

    def go_to(self, day: date) -> None:
        self.day = day
        self._set_date_box()
        self.reload()

    def step(self, direction: int) -> None:
        if self.view == "month":
            self.go_to(add_months(self.day, direction))
        else:
            self.go_to(self.day + timedelta(days=7 * direction if self.week_view
                                            else direction))

    def go_today(self) -> None:
        self.go_to(self.now().date())

    def _date_picked(self, picked: QDate) -> None:
        self.go_to(picked.toPython())

    def set_view(self, view: str) -> None:
        """Everyone's day, one provider's week (the provider of the cursor's column), or a
        month (of the week's provider coming from the week, of everyone coming from the
        day); the cursor stays on the day (and provider) it was on."""
        if view == self.view:
            return
        provider = self.provider.currentData()
        if self.view == "month":
            if provider is not None:
                self._keep_cursor = (provider, self.day)
        elif self.grid.columns:
            column = self.grid.columns[self.grid.cursor_column]
            self._keep_cursor = (column.provider_id, column.day)
            self.day = column.day
            provider = column.provider_id if "week" in (view, self.view) else None
        self.view = view
        self._fill_providers(provider)
        self._set_date_box()
        for button, shown in ((self.day_button, "day"), (self.week_button, "week"),
                              (self.month_button, "month")):
            button.setChecked(view == shown)
        self.provider.setVisible(view != "day")
        self.book_button.setEnabled(view != "month")
        self.stack.setCurrentWidget(self.month if view == "month" else self.grid)
        self.setFocusProxy(self.stack.currentWidget())
        self.stack.currentWidget().setFocus()  # the arrows move in the view just chosen
        self.shown = None
        self.reload()

    def _fill_providers(self, chosen: uuid.UUID | None) -> None:
        """The providers to choose from (and "All providers" in the month view), ``chosen``
        chosen (the first if it is not there)."""
        self.provider.blockSignals(True)
        self.provider.clear()
        if self.view == "month":
            self.provider.addItem(ALL_PROVIDERS, None)
        for provider in self.setup.providers if self.setup is not None else ():
            self.provider.addItem(provider.name, provider.id)
        select_data(self.provider, chosen)
        self.provider.blockSignals(False)

    def open_day(self, day: date) -> None:
        """A day of the month in the day view (on its provider's column)."""
        self.day = day
        self.set_view("day")
        self.grid.setFocus()

    def _month_cursor_moved(self, day: date) -> None:
        if (day.year, day.month) != (self.day.year, self.day.month):
            self.go_to(day)
        else:
            self.day = day
            self._set_date_box()

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        """Coming back to the calendar reads it again: another desk may have booked since."""
        super().showEvent(event)
        if self.shown is not None and not event.spontaneous():
            self.reload()

    def reload_setup(self) -> None:
        self._calls.start("schedule.setup", calendar_setup, on_done=self._setup_loaded,
                          on_failed=self._failed_load)

    def _setup_loaded(self, setup: CalendarSetup) -> None:
        self.setup = setup
        self._fill_providers(self.provider.currentData())
        self.reload()

    def provider_ids(self) -> list[uuid.UUID]:
        if self.setup is None:
            return []
        chosen = self.provider.currentData()
        if self.view == "week":
            return [chosen] if chosen is not None else []
        if self.view == "month" and chosen is not None:
            return [chosen]
        return [provider.id for provider in self.setup.providers]

    def reload(self) -> None:
        """Read the days shown again (a reply for other days is dropped)."""
        if self.setup is None:
            return
        first, last = self.days()
        self._loads += 1
        number = self._loads
        self.loading = True
        self.status.setText("Loading\u2026")
        read = calendar_month if self.view == "month" else calendar_range
        self._calls.start("schedule.range", read,
                          on_done=lambda shown: self._loaded(number, shown),
                          on_failed=self._failed_load, first_day=first, last_day=last,
                          provider_ids=self.provider_ids())

    def _failed_load(self, error: Exception) -> None:
        self.loading = False
        self.status.setText("")
        self.say(error_text(error, doing="read the schedule"))

    def _loaded(self, number: int, shown: CalendarRange | MonthRange) -> None:
        if number != self._loads or self.setup is None:
            return
        if isinstance(shown, MonthRange):
            self._month_loaded(shown)
            return
        names = {p.id: p.name for p in self.setup.providers}
        providers = self.provider_ids()
        columns, blocks = grid_content(shown, providers=providers, names=names,
                                       week=self.week_view, zone=self.zone)
        index = {(c.provider_id, c.day): n for n, c in enumerate(columns)}
        fresh = self.shown is None or (self.shown.first_day, self.shown.last_day) != (
            shown.first_day, shown.last_day) or len(columns) != len(self.grid.columns)
        self._show_now()
        self.grid.set_content(columns, blocks)
        if self._keep_cursor in index:
            self.grid.cursor_column = index[self._keep_cursor]
        self._keep_cursor = None
        if fresh:
            self._scroll_to_the_day(columns)
        self._update_actions(self.grid.selected)
        self.shown = shown
        first, last = shown.first_day, shown.last_day
        who = f"{names.get(providers[0], '')} \u2014 " if self.week_view and providers else ""
        self.heading.setText(f"{who}{first:%A, %B} {first.day}, {first.year}" if first == last
                             else f"{who}week of {first:%B} {first.day} \u2013 "
                                  f"{last:%B} {last.day}, {last.year}")
        count = len(shown.appointments)
        hint = (" \u00b7 double-click or Enter books, drag moves, the lower edge changes the "
                "length, right-click or Enter on an appointment for its actions"
                if self.can_write else "")
        self.status.setText(f"{count_text(count)}{hint}")
        self.loading = False

    def _month_loaded(self, shown: MonthRange) -> None:
        days = month_days(shown, month=self.day, zone=self.zone)
        self.month.set_content(days, cursor=self.day, today=self.now().date())
        self.shown = shown
        chosen = self.provider.currentData()
        providers = self.setup.providers if self.setup is not None else ()
        who = next((f"{p.name} \u2014 " for p in providers if p.id == chosen), "")
        self.heading.setText(f"{who}{self.day:%B %Y}")
        count = sum(cell.count for cell in days if cell.in_month)
        self.status.setText(f"{count_text(count)} in {self.day:%B} \u00b7 the arrows move, "
                            "Enter or double-click opens the day, Alt+Left/Right the month")
        self.loading = False

    def _scroll_to_the_day(self, columns: list[Column]) -> None:
        """A new day opens at its first session (half an hour before), or at the time now
        when it is shown and the sessions are not over; the cursor on that row."""
        starts = [start for column in columns for start, _end in column.windows]
        ends = [end for column in columns for _start, end in column.windows]
        top = min(starts, default=8 * 60) - 30
        if (self.grid.now is not None and any(c.day == self.grid.now[0] for c in columns)
                and self.grid.now[1] < max(ends, default=17 * 60)):
            top = max(top, self.grid.now[1] - 60)
        top = top // SLOT * SLOT
        self.grid.scroll_to_minute(top)
        self.grid.set_cursor(self.grid.cursor_column, top + 30)

    def _show_now(self) -> None:
        self.grid.set_now(minutes_of(self.now(), self.zone))

    def _changed(self, changed: Changed) -> None:
        if Changed.SCHEDULE in changed:
            self.reload()

    def done_changing(self, notice: str = "") -> None:
        """A change went through: say what it did (when that is more than the calendar
        shows), and every calendar reads again."""
        self.say("")
        self.notice.setText(notice)
        self.notice.setVisible(bool(notice))
        self._workspace.announce(Changed.SCHEDULE)

    def say(self, text: str) -> None:
        """What went wrong (an earlier notice goes)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))
        if text:
            self.notice.hide()

    # -- booking -----------------------------------------------------------------------------

    def book_at_cursor(self) -> None:
        self.book(self.grid.cursor_column, self.grid.cursor_start)

    def book(self, column_index: int, start: int) -> None:
        if (not self.can_write or self.setup is None or not self.grid.columns
                or self.view == "month"):
            return
        column = self.grid.columns[column_index]
        dialog = BookingDialog(self._context, self._actor, self.setup,
                               provider_id=column.provider_id, day=column.day,
                               start=time(start // 60, start % 60),
                               facility_id=facility_at(self.shown, column, start, self.zone),
                               confirm=self.confirm, parent=self)
        dialog.sig_booked.connect(self._booked)
        self.open_dialog(dialog)

    def _booked(self, booked: object) -> None:
        self.done_changing(booked_text(booked, self.zone)
                           if isinstance(booked, SeriesOutcome) else "")

    def open_dialog(self, dialog: Any) -> None:
        """Open ``dialog`` (window-modal), kept in ``self.dialog`` until it closes."""
        open_tracked(self, dialog, self._dialog_closed)

    def _dialog_closed(self) -> None:
        self.stack.currentWidget().setFocus()

    # -- moving ------------------------------------------------------------------------------

    def _dropped(self, block: Block, column_index: int, start: int, minutes: int) -> None:
        column = self.grid.columns[column_index]
        starts_at = datetime.combine(column.day, time(start // 60, start % 60), self.zone)
        item = block.appointment
        if item.series_id is not None and self.can_write:
            self.series.move(item, dropped=(starts_at, minutes, column.provider_id))
        else:
            self.move(item, starts_at, minutes, column.provider_id)

    def move(self, item: CalendarAppointment, starts_at: datetime, minutes: int,
             provider_id: uuid.UUID) -> None:
        """Move this one appointment (of a series too: it stays there as an exception)."""
        if not self.can_write:
            self.grid.drop_pending(item.id)
            return

        def refused(error: Exception) -> None:
            self.grid.drop_pending(item.id)
            self.say(self.refusal(error, doing="move the appointment"))

        self._calls.start("schedule.move", move_appointment,
                          on_done=lambda _entry: self.done_changing(),
                          on_failed=refused, appointment_id=item.id,
                          version=item.entry.version, starts_at=starts_at, minutes=minutes,
                          provider_id=provider_id)

    def move_selected(self) -> None:
        block = self.grid.selected
        if block is None or block.appointment.entry.status not in _MOVABLE:
            self.say("Choose a scheduled or confirmed appointment to move.")
            return
        if block.appointment.series_id is not None:
            self.series.move(block.appointment)
        else:
            self.move_one(block.appointment)

    def move_one(self, item: CalendarAppointment) -> None:
        """The move dialog for one appointment."""
        dialog = MoveDialog(item, self.zone, parent=self)
        dialog.accepted.connect(lambda: self.move(
            item, dialog.starts_at(), dialog.minutes.value(), item.entry.provider_id))
        self.open_dialog(dialog)

    @staticmethod
    def refusal(error: Exception, *, doing: str) -> str:
        """Why a change was refused, as the clerk reads it."""
        fields = invalid_fields(error)
        if fields:
            return " ".join(fields.values())
        if isinstance(error, SlotTaken):
            return str(error)
        if isinstance(error, StaleRecord):
            return ("Someone changed this appointment meanwhile; the calendar shows it as it "
                    "is now. Try again.")
        return error_text(error, doing=doing)

    # -- the status flow ---------------------------------------------------------------------

    def show_menu(self, block: Block, where: QPoint) -> None:
        menu = self.menu_for(block)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.menu = menu
        menu.popup(where)

    def _update_actions(self, block: Block | None) -> None:
        """Only what the selected appointment's status allows is enabled (keys too)."""
        status = block.appointment.entry.status if block is not None else None
        allowed = NEXT_STATUSES.get(status, ()) if status is not None else ()
        for next_status, action in self.status_actions.items():
            action.setEnabled(next_status in allowed)
        if self.move_action is not None and self.cancel_action is not None:
            self.move_action.setEnabled(status in _MOVABLE)
            self.cancel_action.setEnabled("cancelled" in allowed)

    def menu_for(self, block: Block) -> QMenu:
        """The selected appointment's actions, those its status allows enabled."""
        self._update_actions(block)
        menu = QMenu(self)
        menu.setAccessibleName("Appointment actions")
        for action in self.status_actions.values():
            menu.addAction(action)
        if self.move_action is not None and self.cancel_action is not None:
            menu.addSeparator()
            menu.addAction(self.move_action)
            menu.addAction(self.cancel_action)
        if not menu.actions():
            menu.addAction("You may look at the schedule, not change it.").setEnabled(False)
        return menu

    def change_status(self, status: str, reason: str = "",
                      item: CalendarAppointment | None = None) -> None:
        """Move ``item`` (the selected appointment) along its flow."""
        if item is None:
            block = self.grid.selected
            if block is None:
                return
            item = block.appointment
        entry = item.entry
        if status not in NEXT_STATUSES.get(entry.status, ()):
            self.say(f"A {item.status_text.lower()} appointment cannot become "
                     f"{status.replace('_', ' ')}.")
            return
        self._calls.start(
            "schedule.status", set_status, on_done=lambda done: self._status_changed(done),
            on_failed=lambda error: self.say(self.refusal(error, doing="change the status")),
            appointment_id=entry.id, version=entry.version, status=status,
            cancel_reason=reason)

    def _status_changed(self, entry: AppointmentEntry) -> None:
        """After a change of status; a slot cancelled is offered to the waitlist."""
        self.done_changing()
        if entry.status == "cancelled":
            offer_waitlist(self, self._context, self._actor, self._workspace, entry.id)

    def cancel_selected(self) -> None:
        block = self.grid.selected
        if block is None or "cancelled" not in NEXT_STATUSES.get(
                block.appointment.entry.status, ()):
            self.say("Choose an appointment still to come to cancel.")
            return
        if block.appointment.series_id is not None:
            self.series.cancel(block.appointment)
        else:
            self.cancel_one(block.appointment)

    def cancel_one(self, item: CalendarAppointment) -> None:
        """Why, then "Cancel …?", then cancel this one appointment."""
        dialog = CancelDialog(item, self.zone, parent=self)

        def confirmed() -> None:
            question = (f"Cancel {item.patient_name}'s appointment at "
                        f"{item.entry.starts_at.astimezone(self.zone):%H:%M}? The time is "
                        "given back for someone else.")
            if self.confirm(self, "Cancel appointment", question):
                self.change_status("cancelled", dialog.reason.text(), item)

        dialog.accepted.connect(confirmed)
        self.open_dialog(dialog)

    # -- print -------------------------------------------------------------------------------

    def print_day(self) -> None:
        """Print the cursor's provider's day (in the month view: the chosen provider's)."""
        if self.view == "month":
            provider_id, day = self.provider.currentData(), self.day
            if provider_id is None:
                self.say("Choose a provider to print a day of, or open the day (Enter).")
                return
        elif self.grid.columns:
            column = self.grid.columns[self.grid.cursor_column]
            provider_id, day = column.provider_id, column.day
        else:
            return
        dialog = DayScheduleDialog(self._context, self._actor, provider_id=provider_id,
                                   day=day, parent=self)
        self.open_dialog(dialog)
        dialog.load()
