"""The small questions about an appointment: where to move it (keyboard's answer to dragging)
and why it is cancelled — one appointment, or some of its series (the time for all of them;
one reason for all). Each only asks; the page calls the service."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.scheduling.calendar import CalendarAppointment
from medtrack_desktop.ui.widgets.field_errors import FieldErrors

MIN_WIDTH = 480  # the summary on one or two lines, not four


def appointment_summary(item: CalendarAppointment, zone: ZoneInfo) -> str:
    """ "Calendar, Ada (MRN …) · Mon 09/13/2027 09:00 · Follow-up": which appointment."""
    starts = item.entry.starts_at.astimezone(zone)
    return (f"{item.patient_name} (MRN {item.mrn}) \u00b7 {starts:%a %m/%d/%Y %H:%M} \u00b7 "
            f"{item.category}")


class MoveDialog(QDialog):
    """A new day, start and length for an appointment; with ``series`` (what moves: "4
    appointments of the series, Mon 27 Sep to Mon 18 Oct") a start and length for those,
    each on its own day."""

    def __init__(self, item: CalendarAppointment, zone: ZoneInfo, *, series: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Move appointments" if series else "Move appointment")
        starts = item.entry.starts_at.astimezone(zone)
        self._zone = zone
        self.day = QDateEdit(QDate(starts.year, starts.month, starts.day), calendarPopup=True)
        self.day.setDisplayFormat("ddd MM/dd/yyyy")
        self.start = QTimeEdit(QTime(starts.hour, starts.minute))
        self.start.setDisplayFormat("HH:mm")
        self.minutes = QSpinBox(minimum=5, maximum=480, singleStep=5, suffix=" min",
                                value=item.entry.minutes)
        self.errors = FieldErrors()
        form = QFormLayout()
        self.errors.add_row(form, "day", "&Day:", self.day)
        self.errors.add_row(form, "starts_at", "&Start:", self.start)
        self.errors.add_row(form, "minutes", "&Length:", self.minutes)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("&Move", QDialogButtonBox.ButtonRole.AcceptRole).setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(appointment_summary(item, zone), wordWrap=True))
        if series:
            self.day.setEnabled(False)
            layout.addWidget(QLabel(f"Moves {series} to this start and length, each on its "
                                    "own day.", objectName="muted", wordWrap=True))
        self.setMinimumWidth(MIN_WIDTH)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.start.setFocus()

    def starts_at(self) -> datetime:
        day: date = self.day.date().toPython()
        start = self.start.time()
        return datetime.combine(day, time(start.hour(), start.minute()), self._zone)


class CancelDialog(QDialog):
    """Why the appointment is cancelled (the service requires a reason); with ``series``
    (what is cancelled: "4 appointments of the series, Mon 27 Sep to Mon 18 Oct") why those
    are."""

    def __init__(self, item: CalendarAppointment, zone: ZoneInfo, *, series: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Cancel appointments" if series else "Cancel appointment")
        self.reason = QLineEdit(maxLength=300)
        self.reason.setPlaceholderText("e.g. patient called, feeling better")
        self.errors = FieldErrors()
        form = QFormLayout()
        self.errors.add_row(form, "cancel_reason", "&Reason:", self.reason)
        buttons = QDialogButtonBox()
        buttons.addButton("&Keep it", QDialogButtonBox.ButtonRole.RejectRole)
        cancel = buttons.addButton("&Cancel appointments" if series else "&Cancel appointment",
                                   QDialogButtonBox.ButtonRole.AcceptRole)
        cancel.setDefault(True)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(appointment_summary(item, zone), wordWrap=True))
        if series:
            layout.addWidget(QLabel(f"Cancels {series}.", objectName="muted", wordWrap=True))
        self.setMinimumWidth(MIN_WIDTH)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.reason.setFocus()

    def _check(self) -> None:
        if not self.reason.text().strip():
            self.errors.show({"cancel_reason": "Reason: say why the appointment is "
                                               "cancelled."})
            return
        self.accept()
