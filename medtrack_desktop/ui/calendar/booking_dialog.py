"""Booking an appointment: the patient found with the registry's search (``PatientPicker``:
the box and result table of the Patients module's Find tab), the category (its default
length filled in), length, how it repeats (``repeat_section``: none by default), facility
and room, reason and notes, and "overbook" only for a category that allows it. The booking
runs on the task runner; a refusal is said at its field, a taken slot plainly above the
buttons, and nothing typed is lost. A repeating one is booked as a series (``book_series``):
when some of its days are taken, the clerk is asked whether to book the others and leave
those out; ``sig_booked`` then carries the ``SeriesOutcome`` (what was booked, what was left
out).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.scheduling.appointments import (
    AppointmentEntry,
    Booking,
    SlotTaken,
    book_appointment,
)
from medtrack_desktop.domain.scheduling.calendar import CalendarSetup
from medtrack_desktop.domain.scheduling.recurrence import (
    SeriesOutcome,
    SeriesSlotsTaken,
    book_series,
)
from medtrack_desktop.ui.calendar.repeat_section import RepeatSection
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.service_calls import ServiceCaller, error_text, invalid_fields
from medtrack_desktop.ui.widgets.choices import select_data
from medtrack_desktop.ui.widgets.field_errors import FieldErrors
from medtrack_desktop.ui.widgets.patient_picker import PatientPicker
from medtrack_desktop.ui.widgets.questions import Confirm, ask


class BookingDialog(QDialog):
    """Books one appointment or a series; ``sig_booked(AppointmentEntry | SeriesOutcome)``
    before it closes. ``confirm`` asks yes/no (tests answer for the user)."""

    sig_booked = Signal(object)

    def __init__(self, context: AppContext, actor: Actor, setup: CalendarSetup, *,
                 provider_id: uuid.UUID, day: date, start: time,
                 facility_id: uuid.UUID | None = None, confirm: Confirm = ask,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Book appointment")
        self._context, self._setup, self._day = context, setup, day
        self._confirm = confirm
        self._zone = ZoneInfo(context.seat.clinic_timezone)
        self._calls = ServiceCaller(context, actor, self)
        self.errors = FieldErrors()

        self.picker = PatientPicker(context, actor, chosen_prefix="Booking for",
                                    matches_height=110)
        self.query, self.matches, self.model, self.chosen = (
            self.picker.query, self.picker.matches, self.picker.model, self.picker.chosen)

        self.provider = QComboBox()
        for provider in setup.providers:
            self.provider.addItem(provider.name, provider.id)
        select_data(self.provider, provider_id)
        self.start = QTimeEdit(QTime(start.hour, start.minute))
        self.start.setDisplayFormat("HH:mm")
        self.category = QComboBox()
        for category in setup.categories:
            self.category.addItem(f"{category.name} ({category.default_minutes} min)",
                                  category.id)
        self.minutes = QSpinBox(minimum=5, maximum=480, singleStep=5, suffix=" min")
        self.repeat = RepeatSection(day, self._zone)
        self.repeat.set_start(start)
        self.facility = QComboBox()
        for facility in setup.facilities:
            self.facility.addItem(facility.name, facility.id)
        if facility_id is not None:
            select_data(self.facility, facility_id)
        self.room = QComboBox()
        self.reason = QLineEdit(maxLength=300)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(48)
        self.overbook = QCheckBox("Book over another appointment (&overbook)")

        form = QFormLayout()
        add = self.errors.add_row
        add(form, "patient", "&Patient:", self.query, self.picker)
        add(form, "provider", "Pro&vider:", self.provider)
        add(form, "starts_at", f"{day:%a %m/%d/%Y} &at:", self.start)
        add(form, "category", "&Category:", self.category)
        add(form, "minutes", "&Length:", self.minutes)
        repeat_label = QLabel("Repea&t:")
        repeat_label.setBuddy(self.repeat.frequency)
        form.addRow(repeat_label, self.repeat)
        add(form, "facility", "&Facility:", self.facility)
        add(form, "room", "&Room:", self.room)
        add(form, "reason", "R&eason:", self.reason)
        add(form, "notes", "&Notes:", self.notes)
        add(form, "overbook", "", self.overbook)
        self.message = QLabel(objectName="fieldError", wordWrap=True)
        self.message.setAccessibleName("Booking problem")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.book_button = self.buttons.addButton("&Book",
                                                  QDialogButtonBox.ButtonRole.AcceptRole)
        self.book_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(740, 640)

        self.picker.sig_chosen.connect(lambda _match: self.errors.set("patient", ""))
        self.picker.sig_failed.connect(lambda message: self.errors.set("patient", message))
        self.picker.sig_done.connect(self.category.setFocus)  # Enter never books from there
        self.category.currentIndexChanged.connect(self._category_changed)
        self.facility.currentIndexChanged.connect(self._fill_rooms)
        self.start.timeChanged.connect(
            lambda chosen: self.repeat.set_start(time(chosen.hour(), chosen.minute())))
        self.repeat.sig_changed.connect(self._repeat_changed)
        self._category_changed()
        self._fill_rooms()
        self.query.setFocus()

    @property
    def patient_id(self) -> uuid.UUID | None:
        """The patient chosen (the picker's: the first match until another is chosen)."""
        return self.picker.patient_id

    # -- the rest of the form ----------------------------------------------------------------

    def _category_changed(self) -> None:
        chosen = self.category.currentData()
        category = next((c for c in self._setup.categories if c.id == chosen), None)
        if category is not None:
            self.minutes.setValue(category.default_minutes)
        allowed = category is not None and category.allows_overbooking
        self.overbook.setEnabled(allowed)
        if not allowed:
            self.overbook.setChecked(False)

    def _fill_rooms(self) -> None:
        facility = self.facility.currentData()
        self.room.clear()
        self.room.addItem("No room", None)
        for room in self._setup.rooms:
            if room.facility_id == facility:
                self.room.addItem(room.name, room.id)

    def booking(self) -> Booking | None:
        """What is entered, or None (with the message at the patient) when no one is chosen."""
        if self.patient_id is None:
            self.errors.show({"patient": "Patient: search and choose who the appointment "
                                         "is for."})
            return None
        start = self.start.time()
        starts_at = datetime.combine(self._day, time(start.hour(), start.minute()), self._zone)
        return Booking(
            patient_id=self.patient_id, provider_id=self.provider.currentData(),
            facility_id=self.facility.currentData(), category_id=self.category.currentData(),
            starts_at=starts_at, minutes=self.minutes.value(), room_id=self.room.currentData(),
            reason=self.reason.text(), notes=self.notes.toPlainText(),
            overbook=self.overbook.isChecked())

    def _repeat_changed(self) -> None:
        """The Book button says how many a series books."""
        count = len(self.repeat.moments)
        self.book_button.setText(f"&Book {count} appointments" if count > 1 else "&Book")

    def submit(self) -> None:
        booking = self.booking()
        if booking is None:
            return
        rule = self.repeat.rule()
        if rule is not None and not self.repeat.validate():
            return
        self.errors.clear()
        self._say("")
        self.book_button.setEnabled(False)
        if rule is None:
            self._calls.start("schedule.book", book_appointment, on_done=self._booked,
                              on_failed=self._refused, booking=booking)
        else:
            self._book_series(booking, rule, skip_taken=False)

    def _book_series(self, booking: Booking, rule: str, *, skip_taken: bool) -> None:
        self._calls.start("schedule.book_series", book_series, on_done=self._booked,
                          on_failed=lambda error: self._series_refused(error, booking, rule),
                          booking=booking, rule=rule, skip_taken=skip_taken)

    def _series_refused(self, error: Exception, booking: Booking, rule: str) -> None:
        """Some days taken: book the others and leave those out, if the clerk says so."""
        fields = invalid_fields(error)
        if fields is not None and "rule" in fields:
            self.book_button.setEnabled(True)
            self.repeat.show_rule_error(fields.pop("rule"))
            if not fields:
                return
        if isinstance(error, SeriesSlotsTaken) and len(error.taken) < error.total:
            days = ", ".join(f"{moment.astimezone(self._zone):%a %d %b}"
                             for moment in error.taken)
            others = error.total - len(error.taken)
            those = "that day" if len(error.taken) == 1 else "those days"
            if self._confirm(self, "Some days are taken",
                             f"The time is taken on {days}.\n\nBook the other {others} "
                             f"appointment{'' if others == 1 else 's'} and leave {those} "
                             "out?"):
                self._book_series(booking, rule, skip_taken=True)
                return
        self._refused(error)

    def _booked(self, booked: AppointmentEntry | SeriesOutcome) -> None:
        self.sig_booked.emit(booked)
        self.accept()

    def _refused(self, error: Exception) -> None:
        self.book_button.setEnabled(True)
        fields = invalid_fields(error)
        if fields is not None:
            rest = self.errors.show(fields)
            self._say(" ".join(rest.values()))
        elif isinstance(error, SlotTaken):
            self._say(str(error))
        else:
            self._say(error_text(error, doing="book the appointment"))

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
