"""The booking dialog's Repeat section: "Does not repeat" (the rest hidden) or daily, weekly
on chosen weekdays, monthly on the date or on the weekday's place ("the 2nd Tuesday", "the
last Friday"), every N days, weeks or months, ending after N times or on a date. What the
choices give is said as they change — in words and the first days — or what is wrong with
them; the dialog asks ``validate`` before booking, which puts each problem at its field.

Keys: Alt+T the repeat choice (then Up/Down), Alt+Y every N, Tab through the weekdays (Space
ticks one), Alt+D how it ends.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.scheduling.recurrence import MAX_OCCURRENCES
from medtrack_desktop.ui.calendar.repeat_rules import (
    DAY_NAMES,
    UNITS,
    Repeat,
    check_repeat,
    days_text,
    describe_rule,
    month_choices,
)
from medtrack_desktop.ui.widgets.field_errors import FieldErrors

FREQUENCIES = (("Does not repeat", None), ("Daily", "DAILY"), ("Weekly", "WEEKLY"),
               ("Monthly", "MONTHLY"))
MAX_INTERVAL = {"DAILY": 99, "WEEKLY": 52, "MONTHLY": 12}
DEFAULT_COUNT = 6
DEFAULT_WEEKS = 8  # "until" starts this many weeks after the first day


def _repolish(label: QLabel, name: str) -> None:
    if label.objectName() != name:
        label.setObjectName(name)
        label.style().unpolish(label)
        label.style().polish(label)


class RepeatSection(QWidget):
    """The repeat choices for a series starting on ``day``; ``sig_changed`` when they (or
    what they give) change."""

    sig_changed = Signal()

    def __init__(self, day: date, zone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._day, self._zone, self._start = day, zone, time(9)
        self.moments: list[datetime] = []  # what the choices give now (UTC), if valid
        self.problems: dict[str, str] = {}
        self.errors = FieldErrors()

        self.frequency = QComboBox()
        for text, value in FREQUENCIES:
            self.frequency.addItem(text, value)
        self.frequency.setAccessibleName("Repeat")
        self.interval = QSpinBox(minimum=1, maximum=99, value=1)
        self.interval.setAccessibleName("Repeat every")
        every = QLabel("ever&y")
        every.setBuddy(self.interval)
        self.weekdays = [QCheckBox(name[:2]) for name in DAY_NAMES]
        for name, box in zip(DAY_NAMES, self.weekdays, strict=True):
            box.setAccessibleName(name)
        self.weekdays[day.weekday()].setChecked(True)
        self.weekdays[0].setAccessibleDescription("Repeat on these weekdays")
        days_box = QWidget()
        days_layout = QHBoxLayout(days_box)
        days_layout.setContentsMargins(0, 0, 0, 0)
        days_layout.setSpacing(6)
        for box in self.weekdays:
            days_layout.addWidget(box)
        self.month_by = QComboBox()
        for key, text in month_choices(day):
            self.month_by.addItem(text, key)
        self.month_by.setAccessibleName("Repeat monthly")
        self.end = QComboBox()
        self.end.addItem("after", "count")
        self.end.addItem("until", "until")
        self.end.setAccessibleName("Ends")
        ends = QLabel("en&ds")
        ends.setBuddy(self.end)
        ends.setContentsMargins(0, 4, 0, 0)  # level with the choice's text
        self.count = QSpinBox(minimum=1, maximum=MAX_OCCURRENCES, value=DEFAULT_COUNT)
        self.count.setAccessibleName("Times")
        until = day + timedelta(weeks=DEFAULT_WEEKS)
        self.until = QDateEdit(QDate(until.year, until.month, until.day), calendarPopup=True)
        self.until.setDisplayFormat("ddd MM/dd/yyyy")
        self.until.setAccessibleName("Until")
        self.summary = QLabel(wordWrap=True)
        self.summary.setAccessibleName("Repeat summary")
        self.preview = QLabel(objectName="muted", wordWrap=True)
        self.preview.setAccessibleName("Repeat days")

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.frequency)
        self.every_box = QWidget()
        every_layout = QHBoxLayout(self.every_box)
        every_layout.setContentsMargins(6, 0, 0, 0)
        every_layout.addWidget(every)
        every_layout.addWidget(self.interval)
        top.addWidget(self.every_box)
        top.addStretch(1)
        self.on_label = QLabel("on")
        self.on_label.setContentsMargins(0, 4, 0, 0)
        on_row = QHBoxLayout()
        on_row.addWidget(self.on_label, 0, Qt.AlignmentFlag.AlignTop)
        self._days_field = self.errors.add("weekdays", self.weekdays[0], days_box)
        on_row.addWidget(self._days_field)
        self._month_field = self.errors.add("month_by", self.month_by)
        on_row.addWidget(self._month_field)
        on_row.addStretch(1)
        self.count.setMaximumWidth(130)
        self.until.setMaximumWidth(170)
        end_row = QHBoxLayout()
        top_aligned = Qt.AlignmentFlag.AlignTop
        end_row.addWidget(ends, 0, top_aligned)
        end_row.addWidget(self.end, 0, top_aligned)
        self._count_field = self.errors.add("count", self.count)
        self._until_field = self.errors.add("until", self.until)
        end_row.addWidget(self._count_field, 1)
        end_row.addWidget(self._until_field, 1)
        self.details = QWidget()
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.setSpacing(4)
        details.addLayout(on_row)
        details.addLayout(end_row)
        details.addWidget(self.summary)
        details.addWidget(self.preview)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.details)

        self.frequency.currentIndexChanged.connect(self._frequency_changed)
        self.interval.valueChanged.connect(self._update)
        for box in self.weekdays:
            box.toggled.connect(self._update)
        self.month_by.currentIndexChanged.connect(self._update)
        self.end.currentIndexChanged.connect(self._update)
        self.count.valueChanged.connect(self._update)
        self.until.dateChanged.connect(self._update)
        self._frequency_changed()

    # -- what is chosen ----------------------------------------------------------------------

    def repeat(self) -> Repeat | None:
        """The repeat chosen, or None for "Does not repeat"."""
        frequency = self.frequency.currentData()
        if frequency is None:
            return None
        by_date = self.end.currentData() == "until"
        return Repeat(
            frequency=frequency, interval=self.interval.value(),
            weekdays=tuple(n for n, box in enumerate(self.weekdays) if box.isChecked()),
            month_by=self.month_by.currentData(), count=None if by_date else self.count.value(),
            until=self.until.date().toPython() if by_date else None)

    def rule(self) -> str | None:
        """The RRULE text for ``book_series``, or None when the appointment does not repeat."""
        repeat = self.repeat()
        return repeat.rule(self._day) if repeat is not None else None

    def set_start(self, start: time) -> None:
        self._start = start
        self._update()

    # -- showing it --------------------------------------------------------------------------

    def _frequency_changed(self) -> None:
        frequency = self.frequency.currentData()
        self.every_box.setVisible(frequency is not None)
        self.details.setVisible(frequency is not None)
        if frequency is not None:
            self.interval.setMaximum(MAX_INTERVAL[frequency])
        self.on_label.setVisible(frequency in ("WEEKLY", "MONTHLY"))
        self._days_field.setVisible(frequency == "WEEKLY")
        self._month_field.setVisible(frequency == "MONTHLY")
        self.errors.clear()
        self._update()

    def _update(self) -> None:
        """Say what the choices give, or what is wrong with them (at the field only when
        the clerk books: ``validate``)."""
        repeat = self.repeat()
        if repeat is not None:
            unit = UNITS[repeat.frequency]
            self.interval.setSuffix(f" {unit}" if self.interval.value() == 1 else f" {unit}s")
            self.count.setSuffix(" time" if self.count.value() == 1 else " times")
            by_date = repeat.until is not None
            self._count_field.setVisible(not by_date)
            self._until_field.setVisible(by_date)
            self.moments, self.problems = check_repeat(
                repeat, first_day=self._day, start_time=self._start, zone=self._zone)
            self.summary.setText(describe_rule(repeat.rule(self._day), first_day=self._day))
            for key in self.errors.shown():  # a problem shown at its field follows the edits
                self.errors.set(key, self.problems.get(key, ""))
            elsewhere = [message for key, message in self.problems.items()
                         if key not in self.errors.shown()]
            if elsewhere:
                self.preview.setText(" ".join(elsewhere))
                _repolish(self.preview, "fieldError")
            else:
                self.preview.setText("" if self.problems else self._days())
                _repolish(self.preview, "muted")
            self.preview.setVisible(bool(self.preview.text()))
        else:
            self.moments, self.problems = [], {}
        self.sig_changed.emit()

    def _days(self) -> str:
        text = days_text(self.moments, self._zone)
        first = self.moments[0].astimezone(self._zone).date()
        if first != self._day:
            text += (f" (the first is {first:%a %d %b}: {self._day:%a %d %b} is not one of "
                     "the days chosen)")
        return text

    def validate(self) -> bool:
        """Show the choices' problems at their fields (the first focused); True if none."""
        if self.frequency.currentData() is None:
            return True
        self._update()
        self.errors.show(self.problems)
        self._update()
        return not self.problems

    def show_rule_error(self, message: str) -> None:
        """A refusal of the rule by the service, at the field that ends the series."""
        self.errors.show({"until" if self.end.currentData() == "until" else "count": message})
