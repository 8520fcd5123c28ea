"""After an appointment is cancelled: offer its freed slot to the patients on the waitlist.

``offer_waitlist`` is what a cancel action calls (the calendar's, the flow board's) once the
cancellation went through. It reads, on the task runner, whom the slot would suit (its
provider or any, its category or any, its day and part of the day; ``waitlist.waitlist_offer``)
and, only when someone waits for it, shows a dialog listing them first come first served.
"Book into the freed slot" books the highlighted patient in that slot (same provider, place,
room, category and length) and takes them off the waitlist in one transaction; "Not now"
leaves everyone waiting. Nothing is shown when the slot has begun, is taken again, or nobody
waits for it.

Keys: Up/Down choose the patient, Enter books (the default button), Esc is "Not now".
"""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.domain.scheduling.appointments import AppointmentEntry, SlotTaken
from medtrack_desktop.domain.scheduling.waitlist import (
    FreedSlot,
    WaitlistLine,
    book_from_waitlist,
    waitlist_offer,
)
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.front_desk.waitlist_fields import (
    added_text,
    days_text,
    waiting_for,
    window_text,
)
from medtrack_desktop.ui.models.rows import Column, RowsTableModel
from medtrack_desktop.ui.service_calls import ServiceCaller, error_text, invalid_fields
from medtrack_desktop.ui.widgets.tables import read_only_table
from medtrack_desktop.ui.workspace import Changed, Workspace


class SuggestionsModel(RowsTableModel[WaitlistLine]):
    def __init__(self, zone: ZoneInfo) -> None:
        super().__init__((
            Column("Patient", lambda w: w.patient_name),
            Column("MRN", lambda w: w.mrn),
            Column("Waiting for", waiting_for),
            Column("Days", lambda w: days_text(w.entry.earliest_day, w.entry.latest_day)),
            Column("Time of day", lambda w: window_text(w.entry.day_from, w.entry.day_until)),
            Column("Added", lambda w: added_text(w, zone)),
            Column("Note", lambda w: w.entry.notes, lambda w: w.entry.notes),
        ))


class WaitlistOfferDialog(QDialog):
    """Who waits for a freed slot; ``sig_booked(AppointmentEntry)`` once one of them is booked
    into it (the dialog then closes)."""

    sig_booked = Signal(object)

    def __init__(self, context: AppContext, actor: Actor, offer: FreedSlot,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Offer the freed slot")
        self.offer = offer
        self._calls = ServiceCaller(context, actor, self)
        zone = ZoneInfo(context.seat.clinic_timezone)
        slot = offer.appointment
        start, end = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
        count = len(offer.suggestions)
        self.heading = QLabel(
            f"{offer.provider_name}'s {start:%a %m/%d/%Y} {start:%H:%M}\u2013{end:%H:%M} "
            f"({offer.category}) is free again.", objectName="sectionTitle", wordWrap=True)
        self.heading.setAccessibleName("Freed slot")
        explain = QLabel(f"{count} patient{' is' if count == 1 else 's are'} waiting for such "
                         "a slot, first come first served. Book one of them into it?",
                         wordWrap=True)
        self.model = SuggestionsModel(zone)
        self.model.setParent(self)
        self.model.set_rows(offer.suggestions)
        self.table = read_only_table("Waiting patients")
        self.table.setModel(self.model)
        self.table.setMinimumHeight(150)
        self.table.selectRow(0)
        self.message = QLabel(objectName="fieldError", wordWrap=True)
        self.message.setAccessibleName("Booking problem")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        self.buttons = QDialogButtonBox()
        self.book_button = self.buttons.addButton("&Book into the freed slot",
                                                  QDialogButtonBox.ButtonRole.AcceptRole)
        self.not_now = self.buttons.addButton("&Not now", QDialogButtonBox.ButtonRole.RejectRole)
        self.book_button.setDefault(True)
        self.buttons.accepted.connect(self.book)
        self.buttons.rejected.connect(self.reject)
        self.table.activated.connect(lambda _index: self.book())
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(explain)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(1040, 380)
        self.table.setFocus()

    def selected(self) -> WaitlistLine | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def book(self) -> None:
        """Book the highlighted patient into the slot and take them off the waitlist."""
        line = self.selected()
        if line is None or not self.book_button.isEnabled():
            return
        self._say("")
        self.book_button.setEnabled(False)
        self._calls.start("schedule.book_waiting", book_from_waitlist, on_done=self._booked,
                          on_failed=self._refused, entry_id=line.id, version=line.version,
                          booking=self.offer.booking(line))

    def _booked(self, entry: AppointmentEntry) -> None:
        self.sig_booked.emit(entry)
        self.accept()

    def _refused(self, error: Exception) -> None:
        self.book_button.setEnabled(True)
        fields = invalid_fields(error)
        if fields is not None:
            self._say(" ".join(fields.values()))
        elif isinstance(error, SlotTaken):
            self.book_button.setEnabled(False)
            self._say(str(error))
        elif isinstance(error, StaleRecord):
            self._say("Someone changed this patient's waitlist entry meanwhile: see the "
                      "Waitlist tab.")
        else:
            self._say(error_text(error, doing="book the appointment"))

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))


def offer_waitlist(parent: QWidget, context: AppContext, actor: Actor, workspace: Workspace,
                   appointment_id: uuid.UUID) -> None:
    """Offer a just-cancelled appointment's slot to the waitlist (see the module doc): a read
    on the task runner, then a dialog over ``parent`` only if someone waits for the slot.
    Announces ``Changed.SCHEDULE`` after a booking. Nothing happens for a user who cannot book.
    """
    if not actor.can("schedule.write"):
        return

    def show(offer: FreedSlot | None) -> None:
        if offer is None:
            return
        dialog = WaitlistOfferDialog(context, actor, offer, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_booked.connect(lambda _entry: workspace.announce(Changed.SCHEDULE))
        dialog.open()

    ServiceCaller(context, actor, parent).start(
        "schedule.waitlist_offer", waitlist_offer, on_done=show,
        on_failed=lambda _error: None,  # an offer that cannot be read is no offer
        appointment_id=appointment_id)
