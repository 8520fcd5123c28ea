"""The forms of the Scheduling tab: a facility, a room, a category (with its colour), a
weekly session, time off or an extra session, and the last day of a session. Each is a
``FormDialog`` (refusals at their fields, focus on the first); each reads what was typed
into the values a service takes, and says what it cannot read at the field itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QTime
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QWidget,
)

from medtrack_desktop.domain.scheduling.models import MAX_MINUTES
from medtrack_desktop.domain.scheduling.sessions import WEEKDAYS, WeeklySession
from medtrack_desktop.domain.scheduling.setup import (
    MIN_MINUTES,
    CategoryInput,
    CategorySetup,
    FacilitySetup,
    RoomSetup,
)
from medtrack_desktop.ui.widgets.choices import select_data
from medtrack_desktop.ui.widgets.date_field import DateField, read_date
from medtrack_desktop.ui.widgets.list_tab import FormDialog
from medtrack_desktop.ui.widgets.text_field import text_field

_HEX = re.compile(r"#?[0-9a-fA-F]{6}")
# (initial colour, parent) -> the colour chosen, or None if the chooser was cancelled
ColorChooser = Callable[[QColor, QWidget], QColor | None]


def choose_color(initial: QColor, parent: QWidget) -> QColor | None:
    chosen = QColorDialog.getColor(initial, parent, "Category colour")
    return chosen if chosen.isValid() else None


def _time_edit(value: time) -> QTimeEdit:
    edit = QTimeEdit(QTime(value.hour, value.minute))
    edit.setDisplayFormat("HH:mm")
    return edit


def _time_of(edit: QTimeEdit) -> time:
    return time(edit.time().hour(), edit.time().minute())


class FacilityDialog(FormDialog):
    def __init__(self, facility: FacilitySetup | None, parent: QWidget) -> None:
        super().__init__("New facility" if facility is None else "Change facility",
                         "&Save", parent)
        self.name = text_field(120, "Riverside Family Clinic \u2014 Main Street")
        self.address = text_field(300, "Street, city, state")
        self.phone = text_field(30, "(512) 555-0150")
        self.add_row("name", "&Name:", self.name)
        self.add_row("address", "&Address:", self.address)
        self.add_row("phone", "&Phone:", self.phone)
        if facility is not None:
            self.name.setText(facility.name)
            self.address.setText(facility.address)
            self.phone.setText(facility.phone)


class RoomDialog(FormDialog):
    def __init__(self, facility: FacilitySetup, room: RoomSetup | None, parent: QWidget) -> None:
        super().__init__("New room or equipment" if room is None else "Change room",
                         "&Save", parent)
        where = QLabel(facility.name)
        where.setAccessibleName("Facility")
        self.form.addRow("Facility:", where)
        self.name = text_field(80, "Exam 5, ECG cart")
        self.kind = QComboBox()
        self.kind.addItem("Room", "room")
        self.kind.addItem("Equipment (booked like a room)", "equipment")
        self.add_row("name", "&Name:", self.name)
        self.add_row("kind", "&Kind:", self.kind)
        if room is not None:
            self.name.setText(room.name)
            select_data(self.kind, room.kind)


class ColorField(QWidget):
    """A colour typed as #rrggbb, or chosen in the colour dialog (``&Choose…``); the
    swatch beside it shows what the calendar will draw."""

    def __init__(self, chooser: ColorChooser) -> None:
        super().__init__()
        self._chooser = chooser
        self.edit = text_field(7, "#4a7fb5")
        self.edit.setAccessibleName("Colour")
        self.edit.setToolTip("Type a colour as #rrggbb, or choose one")
        self.swatch = QLabel()
        self.swatch.setFixedSize(44, 24)
        self.swatch.setAccessibleName("Colour sample")
        self.choose = QPushButton("C&hoose\u2026")
        self.choose.setAutoDefault(False)
        self.choose.setAccessibleName("Choose colour")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.swatch)
        layout.addWidget(self.choose)
        self.edit.textChanged.connect(self._show)
        self.choose.clicked.connect(self._choose)
        self._show()

    def text(self) -> str:
        """What was typed, "#" added when only the six digits were."""
        text = self.edit.text().strip()
        return f"#{text}" if _HEX.fullmatch(text) and not text.startswith("#") else text

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def _show(self) -> None:
        color = self.text() if _HEX.fullmatch(self.text()) else None
        self.swatch.setStyleSheet(
            f"background: {color}; border: 1px solid #667;" if color
            else "background: transparent; border: 1px dashed #99a;")
        self.swatch.setToolTip(color or "Not a colour yet")

    def _choose(self) -> None:
        initial = QColor(self.text()) if _HEX.fullmatch(self.text()) else QColor("#4a7fb5")
        chosen = self._chooser(initial, self)
        if chosen is not None:
            self.set_text(chosen.name())
        self.edit.setFocus()


class CategoryDialog(FormDialog):
    def __init__(self, category: CategorySetup | None, parent: QWidget, *,
                 chooser: ColorChooser = choose_color) -> None:
        super().__init__("New category" if category is None else "Change category",
                         "&Save", parent)
        self.setMinimumWidth(600)
        self.name = text_field(60, "Follow-up")
        self.minutes = QSpinBox(minimum=MIN_MINUTES, maximum=MAX_MINUTES, singleStep=5,
                                suffix=" min", value=30)
        self.minutes.setToolTip(f"From {MIN_MINUTES} to {MAX_MINUTES} minutes")
        self.color = ColorField(chooser)
        self.overbooking = QCheckBox("Allow &overbooking (on purpose, over another one)")
        self.overbooking.setToolTip("An appointment of this category may be booked over "
                                    "another appointment of the provider or room")
        self.active = QCheckBox("In &use (offered when booking)", checked=True)
        self.add_row("name", "&Name:", self.name)
        self.add_row("default_minutes", "Default &length:", self.minutes)
        self.add_row("color", "&Colour:", self.color.edit, self.color)
        self.add_row("allows_overbooking", "", self.overbooking)
        self.add_row("is_active", "", self.active)
        if category is None:
            self.color.set_text("#4a7fb5")
        else:
            self.name.setText(category.name)
            self.minutes.setValue(category.default_minutes)
            self.color.set_text(category.color)
            self.overbooking.setChecked(category.allows_overbooking)
            self.active.setChecked(category.is_active)

    def entered(self) -> CategoryInput:
        return CategoryInput(name=self.name.text(), default_minutes=self.minutes.value(),
                             color=self.color.text(),
                             allows_overbooking=self.overbooking.isChecked(),
                             is_active=self.active.isChecked())


def facility_combo(facilities: list[FacilitySetup], *, blank: str | None = None) -> QComboBox:
    """The facilities in use to choose from."""
    combo = QComboBox()
    if blank is not None:
        combo.addItem(blank, None)
    for facility in facilities:
        if facility.is_active:
            combo.addItem(facility.name, facility.id)
    return combo


class SessionDialog(FormDialog):
    """A weekly session of ``provider``: day, hours, facility, first and last day."""

    def __init__(self, provider: str, facilities: list[FacilitySetup],
                 today: Callable[[], date], parent: QWidget) -> None:
        super().__init__(f"New weekly session \u2014 {provider}", "&Add session", parent)
        self.weekday = QComboBox()
        for number, name in enumerate(WEEKDAYS):
            self.weekday.addItem(name, number)
        self.starts = _time_edit(time(8))
        self.ends = _time_edit(time(12))
        self.facility = facility_combo(facilities)
        self.valid_from = DateField(today, two_digit_future=True)
        self.valid_from.set_value(today())
        self.valid_until = DateField(today, two_digit_future=True)
        self.valid_until.setPlaceholderText("MM/DD/YYYY, empty: until further notice")
        self.add_row("weekday", "&Day:", self.weekday)
        self.add_row("starts", "&From:", self.starts)
        self.add_row("ends", "&To:", self.ends)
        self.add_row("facility", "F&acility:", self.facility)
        self.add_row("valid_from", "F&irst day:", self.valid_from)
        self.add_row("valid_until", "&Last day:", self.valid_until)

    def entered(self) -> tuple[dict[str, object], dict[str, str]]:
        """The service's keyword arguments, and what could not be read."""
        errors: dict[str, str] = {}
        valid_from = read_date(self.valid_from, "valid_from", "First day", errors)
        valid_until = read_date(self.valid_until, "valid_until", "Last day", errors)
        if valid_from is None and "valid_from" not in errors:
            errors["valid_from"] = "First day: required."
        if self.facility.currentData() is None:
            errors["facility"] = "Facility: add a facility first (Facilities & rooms)."
        return {"weekday": self.weekday.currentData(), "starts": _time_of(self.starts),
                "ends": _time_of(self.ends), "facility_id": self.facility.currentData(),
                "valid_from": valid_from, "valid_until": valid_until}, errors


class ExceptionDialog(FormDialog):
    """Time off (whole days, or hours of a day) or an extra session."""

    def __init__(self, provider: str, facilities: list[FacilitySetup],
                 today: Callable[[], date], zone: ZoneInfo, parent: QWidget) -> None:
        super().__init__(f"Time off or extra session \u2014 {provider}", "&Add", parent)
        self._zone = zone
        self.kind = QComboBox()
        self.kind.addItem("Time off", "time_off")
        self.kind.addItem("Extra session", "extra")
        self.whole_days = QCheckBox("&Whole days", checked=True)
        self.first_day = DateField(today, two_digit_future=True)
        self.first_day.set_value(today())
        self.starts = _time_edit(time(8))
        self.last_day = DateField(today, two_digit_future=True)
        self.last_day.set_value(today())
        self.ends = _time_edit(time(12))
        self.facility = facility_combo(facilities, blank="\u2014")
        self.reason = text_field(200, "Vacation, conference, walk-in clinic")
        self.add_row("kind", "&Kind:", self.kind)
        self.add_row("whole_days", "", self.whole_days)
        self.add_row("starts_at", "&From:", self.first_day, self._pair(self.first_day,
                                                                          self.starts, "From"))
        self.add_row("ends_at", "&To:", self.last_day,
                     self._pair(self.last_day, self.ends, "To"))
        self.add_row("facility", "F&acility:", self.facility)
        self.add_row("reason", "&Reason:", self.reason)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.whole_days.toggled.connect(self._whole_days)
        self._kind_changed()

    @staticmethod
    def _pair(day: DateField, hour: QTimeEdit, label: str) -> QWidget:
        hour.setAccessibleName(f"{label} time")
        box = QWidget()
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(day, 1)
        layout.addWidget(hour)
        return box

    def _kind_changed(self) -> None:
        extra = self.kind.currentData() == "extra"
        self.facility.setEnabled(extra)
        if extra:
            self.whole_days.setChecked(False)
            if self.facility.currentData() is None and self.facility.count() > 1:
                self.facility.setCurrentIndex(1)
        else:
            self.facility.setCurrentIndex(0)
        self.whole_days.setEnabled(not extra)
        self._whole_days(self.whole_days.isChecked())

    def _whole_days(self, whole: bool) -> None:
        self.starts.setVisible(not whole)
        self.ends.setVisible(not whole)

    def entered(self) -> tuple[dict[str, object], dict[str, str]]:
        errors: dict[str, str] = {}
        first = read_date(self.first_day, "starts_at", "From", errors)
        last = read_date(self.last_day, "ends_at", "To", errors)
        for day, key, label in ((first, "starts_at", "From"), (last, "ends_at", "To")):
            if day is None and key not in errors:
                errors[key] = f"{label}: required."
        starts_at = ends_at = None
        if first is not None and last is not None:
            if self.whole_days.isChecked():
                starts_at = datetime.combine(first, time(), self._zone)
                ends_at = datetime.combine(last + timedelta(days=1), time(), self._zone)
            else:
                starts_at = datetime.combine(first, _time_of(self.starts), self._zone)
                ends_at = datetime.combine(last, _time_of(self.ends), self._zone)
        return {"kind": self.kind.currentData(), "starts_at": starts_at, "ends_at": ends_at,
                "facility_id": self.facility.currentData(), "reason": self.reason.text()}, errors


class EndSessionDialog(FormDialog):
    """The last day a weekly session is held."""

    def __init__(self, weekly: WeeklySession, today: Callable[[], date],
                 parent: QWidget) -> None:
        super().__init__("End weekly session", "&End session", parent)
        about = QLabel(f"{weekly.describe()}, {weekly.period}.\nAppointments already booked "
                       "after the last day stay on the calendar; move them as needed.",
                       wordWrap=True)
        about.setAccessibleName("Session")
        self.form.addRow(about)
        self.last_day = DateField(today, two_digit_future=True)
        self.last_day.set_value(weekly.valid_until or max(today(), weekly.valid_from))
        self.add_row("last_day", "&Last day:", self.last_day)

    def entered(self) -> tuple[date | None, dict[str, str]]:
        errors: dict[str, str] = {}
        last_day = read_date(self.last_day, "last_day", "Last day", errors)
        if last_day is None and not errors:
            errors["last_day"] = "Last day: required."
        return last_day, errors


