"""The front desk's Waitlist tab: patients waiting for an earlier slot, first come first served.

Each line says who waits, with which provider (or any) and for which category (or any),
between which days and in which part of the day, since when, and the desk's note. The list
can be narrowed to the entries a slot with one provider would suit (theirs and "any
provider"). A patient is put on the list with a small form (found with the registry search);
an entry comes off the list as booked or as no longer needed. "Find a slot" opens the Next
available tab with the entry's wishes filled in; booking from there takes the patient off the
list in the same transaction. Everything runs on the task runner; the list is read when the
tab is shown and again on ``Changed.SCHEDULE`` while it is.

Keys (in the tab): Insert puts a patient on the list, Enter (or Alt+S) finds a slot for the
selected entry, Delete takes it off the list, Alt+O the provider filter.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.domain.scheduling.calendar import CalendarSetup, calendar_setup
from medtrack_desktop.domain.scheduling.waitlist import (
    WaitlistLine,
    add_to_waitlist,
    close_waitlist_entry,
    open_waitlist,
)
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.front_desk.slot_finder import SlotFinder
from medtrack_desktop.ui.front_desk.waitlist_fields import (
    TimeOfDayField,
    added_text,
    days_text,
    window_text,
)
from medtrack_desktop.ui.models.rows import Column, RowsTableModel
from medtrack_desktop.ui.service_calls import ServiceCaller, error_text
from medtrack_desktop.ui.widgets.choices import refill, select_data
from medtrack_desktop.ui.widgets.date_field import DateField, clinic_today, read_date
from medtrack_desktop.ui.widgets.dialogs import open_tracked
from medtrack_desktop.ui.widgets.list_tab import FormDialog, tab_key
from medtrack_desktop.ui.widgets.patient_picker import PatientPicker
from medtrack_desktop.ui.widgets.tables import read_only_table
from medtrack_desktop.ui.widgets.text_field import text_field
from medtrack_desktop.ui.workspace import Changed, Workspace

DEFAULT_DAYS = 14  # a new entry waits two weeks unless the desk says otherwise
STALE = ("Someone changed this waitlist entry meanwhile; the list shows it as it is now. "
         "Try again.")


class WaitlistModel(RowsTableModel[WaitlistLine]):
    def __init__(self, zone: ZoneInfo, today: date) -> None:
        super().__init__((
            Column("Patient", lambda w: w.patient_name),
            Column("MRN", lambda w: w.mrn),
            Column("Provider", lambda w: w.provider_name or "Any provider"),
            Column("Category", lambda w: w.category or "Any"),
            Column("Days", lambda w: days_text(w.entry.earliest_day, w.entry.latest_day,
                                               today=today)),
            Column("Time of day", lambda w: window_text(w.entry.day_from, w.entry.day_until)),
            Column("Added", lambda w: added_text(w, zone)),
            Column("Note", lambda w: w.entry.notes, lambda w: w.entry.notes),
        ))


class WaitlistDialog(FormDialog):
    """Puts a patient on the waitlist: who, with whom, for what, which days, when in the day."""

    def __init__(self, context: AppContext, actor: Actor, setup: CalendarSetup, *,
                 provider_id: uuid.UUID | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Put a patient on the waitlist", "Put on the &waitlist", parent)
        today = clinic_today(context.seat)
        self.picker = PatientPicker(context, actor, chosen_prefix="Waiting")
        self.provider = QComboBox()
        refill(self.provider, "Any provider", [(p.name, p.id) for p in setup.providers])
        select_data(self.provider, provider_id)
        self.category = QComboBox()
        refill(self.category, "Any category",
                 [(f"{c.name} ({c.default_minutes} min)", c.id) for c in setup.categories])
        self.earliest = DateField(lambda: today)
        self.earliest.set_value(today)
        self.latest = DateField(lambda: today)
        self.latest.set_value(today + timedelta(days=DEFAULT_DAYS))
        self.time_of_day = TimeOfDayField()
        self.notes = text_field(300, "what the desk should know: 'call after 3 pm'")
        self.add_row("patient", "&Patient:", self.picker.query, self.picker)
        self.add_row("provider", "Pro&vider:", self.provider)
        self.add_row("category", "&Category:", self.category)
        self.add_row("earliest_day", "&From:", self.earliest)
        self.add_row("latest_day", "&Until:", self.latest)
        self.add_row("day_until", "&Time of day:", self.time_of_day.part, self.time_of_day)
        self.add_row("notes", "&Note:", self.notes)
        self.picker.sig_failed.connect(lambda message: self.errors.set("patient", message))
        self.picker.sig_chosen.connect(lambda _match: self.errors.set("patient", ""))
        self.picker.sig_done.connect(self.provider.setFocus)
        self.resize(800, 600)
        self.picker.setFocus()

    def entered(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The service's arguments, and the problems found before asking it."""
        errors: dict[str, str] = {}
        if self.picker.patient_id is None:
            errors["patient"] = "Patient: search and choose who waits."
        earliest = read_date(self.earliest, "earliest_day", "From", errors)
        latest = read_date(self.latest, "latest_day", "Until", errors)
        if earliest is None and "earliest_day" not in errors:
            errors["earliest_day"] = "From: the first day the patient could come."
        if latest is None and "latest_day" not in errors:
            errors["latest_day"] = "Until: the last day the patient could come."
        day_from, day_until = self.time_of_day.window()
        return {"patient_id": self.picker.patient_id, "provider_id": self.provider.currentData(),
                "category_id": self.category.currentData(), "earliest_day": earliest,
                "latest_day": latest, "day_from": day_from, "day_until": day_until,
                "notes": self.notes.text()}, errors


class CloseEntryDialog(FormDialog):
    """Takes an entry off the waitlist, saying why: booked, or no longer needed."""

    def __init__(self, line: WaitlistLine, parent: QWidget | None = None) -> None:
        super().__init__("Take off the waitlist", "&Take off the waitlist", parent)
        self.line = line
        question = QLabel(f"Take {line.patient_name} (MRN {line.mrn}) off the waitlist?",
                          wordWrap=True)
        self.booked = QRadioButton("&Booked: an appointment was made")
        self.not_needed = QRadioButton("&No longer needed")
        self.booked.setChecked(True)
        self.form.addRow(question)
        self.form.addRow(self.booked)
        self.form.addRow(self.not_needed)
        self.booked.setFocus()


class WaitlistTab(QWidget):
    """The Waitlist tab; dialogs opened from here are kept in ``self.dialog`` while open."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace) -> None:
        super().__init__()
        self.setAccessibleName("Waitlist")
        self._context, self._actor, self._workspace = context, actor, workspace
        self._calls = ServiceCaller(context, actor, self)
        self.zone = ZoneInfo(context.seat.clinic_timezone)
        self.can_write = actor.can("schedule.write")
        self.setup: CalendarSetup | None = None
        self.dialog: Any = None
        self.loading = False
        self.loaded = False  # the list has been read at least once
        self._loads = 0
        self._build()
        workspace.sig_changed.connect(self._changed)
        self._calls.start("schedule.setup", calendar_setup, on_done=self._setup_loaded,
                          on_failed=lambda error: self._say(
                              error_text(error, doing="read the clinic's providers")))

    def _build(self) -> None:
        self.provider = QComboBox()
        self.provider.setAccessibleName("Provider filter")
        self.provider.setMinimumWidth(200)
        self.provider.addItem("All providers", None)
        caption = QLabel("Pr&ovider:")
        caption.setBuddy(self.provider)
        self.add_button = QPushButton("&New entry\u2026", toolTip="Put a patient on the "
                                                               "waitlist (Insert)")
        self.find_button = QPushButton("Find a &slot", toolTip="Look for a free slot for the "
                                                               "selected patient (Enter)")
        self.close_button = QPushButton("&Close entry\u2026", toolTip="Take the selected "
                                        "patient off the waitlist: booked or no longer needed "
                                        "(Delete)")
        bar = QHBoxLayout()
        bar.addWidget(caption)
        bar.addWidget(self.provider)
        bar.addStretch(1)
        for button in (self.add_button, self.find_button, self.close_button):
            button.setAutoDefault(False)
            bar.addWidget(button)
        self.add_button.setVisible(self.can_write)
        self.close_button.setVisible(self.can_write)
        self.model = WaitlistModel(self.zone, clinic_today(self._context.seat))
        self.model.setParent(self)
        self.table = read_only_table("Waitlist entries")
        self.table.setModel(self.model)
        self.message = QLabel(objectName="fieldError", wordWrap=True)
        self.message.setAccessibleName("Waitlist message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        self.status = QLabel(objectName="muted", wordWrap=True)
        self.status.setAccessibleName("Waitlist status")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.status)
        self.setFocusProxy(self.table)
        self.provider.currentIndexChanged.connect(lambda _index: self.reload())
        self.add_button.clicked.connect(self.add_entry)
        self.find_button.clicked.connect(self.find_slot)
        self.close_button.clicked.connect(self.close_entry)
        self.table.activated.connect(lambda _index: self.find_slot())
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        tab_key(self, "Ins", self.add_entry)
        tab_key(self, "Del", self.close_entry)
        self._update_buttons()

    # -- reading -----------------------------------------------------------------------------

    def _setup_loaded(self, setup: CalendarSetup) -> None:
        self.setup = setup
        refill(self.provider, "All providers", [(p.name, p.id) for p in setup.providers])
        self._update_buttons()
        if self.isVisible():
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        """The list is read when the tab is shown (not at sign-in), and again each time it
        comes back: another desk may have changed it."""
        super().showEvent(event)
        if self.setup is not None and not event.spontaneous():
            self.reload()

    def reload(self) -> None:
        """Read the waiting entries again (a reply to an older read is dropped)."""
        self._loads += 1
        number = self._loads
        self.loading = True
        self._calls.start("schedule.waitlist", open_waitlist,
                          on_done=lambda lines: self._loaded(number, lines),
                          on_failed=self._failed_load,
                          provider_id=self.provider.currentData())

    def _loaded(self, number: int, lines: list[WaitlistLine]) -> None:
        if number != self._loads:
            return
        selected = self.selected()
        self.model.set_rows(lines)
        row = next((n for n, line in enumerate(lines)
                    if selected is not None and line.id == selected.id), 0 if lines else -1)
        if row >= 0:
            self.table.selectRow(row)
        count = len(lines)
        keys = (" \u00b7 Insert adds, Enter finds a slot, Delete takes off the list"
                if self.can_write else " \u00b7 Enter finds a slot")
        self.status.setText(("Nobody is waiting" if not count else
                             f"{count} patient{'' if count == 1 else 's'} waiting")
                            + (" for this provider" if self.provider.currentData() else "")
                            + keys)
        self.loading, self.loaded = False, True

    def _failed_load(self, error: Exception) -> None:
        self.loading = False
        self._say(error_text(error, doing="read the waitlist"))

    def _changed(self, changed: Changed) -> None:
        if Changed.SCHEDULE in changed and self.isVisible():  # else read when shown
            self.reload()

    def selected(self) -> WaitlistLine | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _update_buttons(self, *_args: object) -> None:
        chosen = self.selected() is not None
        self.find_button.setEnabled(chosen)
        self.close_button.setEnabled(chosen and self.can_write)
        self.add_button.setEnabled(self.can_write and self.setup is not None)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _open(self, dialog: Any) -> None:
        """Open ``dialog`` (window-modal), kept in ``self.dialog`` until it closes."""
        open_tracked(self, dialog, self.table.setFocus)

    def _done_changing(self, _result: object = None) -> None:
        self._say("")
        self._workspace.announce(Changed.SCHEDULE)

    # -- adding and closing ------------------------------------------------------------------

    def add_entry(self) -> None:
        if not self.can_write or self.setup is None:
            return
        dialog = WaitlistDialog(self._context, self._actor, self.setup,
                                provider_id=self.provider.currentData(), parent=self)
        dialog.sig_submit.connect(lambda: self._submit(dialog))
        self._open(dialog)

    def _submit(self, dialog: WaitlistDialog) -> None:
        values, errors = dialog.entered()
        if errors:
            dialog.show_errors(errors)
            return
        dialog.show_errors({})
        dialog.set_busy(True)

        def added(_entry: object) -> None:
            dialog.accept()
            self._done_changing()

        self._calls.start("schedule.waitlist_add", add_to_waitlist, on_done=added,
                          on_failed=lambda error: dialog.refused(
                              error, doing="put the patient on the waitlist"), **values)

    def close_entry(self) -> None:
        line = self.selected()
        if not self.can_write or line is None:
            return
        dialog = CloseEntryDialog(line, parent=self)
        dialog.sig_submit.connect(lambda: self._close(dialog))
        self._open(dialog)

    def _close(self, dialog: CloseEntryDialog) -> None:
        dialog.set_busy(True)

        def closed(_result: object) -> None:
            dialog.accept()
            self._done_changing()

        def refused(error: Exception) -> None:
            if isinstance(error, StaleRecord):
                dialog.reject()
                self._say(STALE)
                self.reload()
            else:
                dialog.refused(error, doing="take the patient off the waitlist")

        self._calls.start("schedule.waitlist_close", close_waitlist_entry, on_done=closed,
                          on_failed=refused, entry_id=dialog.line.id,
                          version=dialog.line.version, booked=dialog.booked.isChecked())

    # -- on to the slot finder ---------------------------------------------------------------

    def finder(self) -> SlotFinder | None:
        """The Next available tab of the same tab widget (the front desk page), if any."""
        tabs = _tabs_around(self)
        if tabs is None:
            return None
        return next((tab for n in range(tabs.count())
                     if isinstance(tab := tabs.widget(n), SlotFinder)), None)

    def find_slot(self) -> None:
        """Open the slot finder with the selected entry's wishes, and search."""
        line = self.selected()
        if line is None:
            return
        finder = self.finder()
        if finder is None:
            self._say("The Next available tab is not on this page.")
            return
        tabs = _tabs_around(finder)
        if tabs is not None:
            tabs.setCurrentWidget(finder)
        finder.find_for(line)


def _tabs_around(widget: QWidget) -> QTabWidget | None:
    """The tab widget ``widget`` is a tab of (its nearest ancestor tab widget)."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QTabWidget):
        parent = parent.parentWidget()
    return parent
