"""What the waitlist and the slot finder both ask and show: the part of the day a patient can
come (any time, mornings, afternoons, or from-to), and how a waiting entry reads in a list."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

from PySide6.QtCore import QTime
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTimeEdit, QWidget

from medtrack_desktop.domain.scheduling.waitlist import WaitlistLine

NOON = time(12)
ANY, MORNINGS, AFTERNOONS, CUSTOM = "any", "mornings", "afternoons", "custom"
_PARTS = ((ANY, "Any time"), (MORNINGS, "Mornings (until 12:00)"),
          (AFTERNOONS, "Afternoons (from 12:00)"), (CUSTOM, "From \u2013 to\u2026"))
_EARLIEST, _LATEST = time(7), time(19)  # a custom window's ends when none is given


def window_text(day_from: time | None, day_until: time | None) -> str:
    """"Mornings", "10:00-15:00", "From 10:00" … as a list shows a part of the day."""
    if day_from is None and day_until is None:
        return "Any time"
    if day_from is None:
        return "Mornings" if day_until == NOON else f"Until {day_until:%H:%M}"
    if day_until is None:
        return "Afternoons" if day_from == NOON else f"From {day_from:%H:%M}"
    return f"{day_from:%H:%M}\u2013{day_until:%H:%M}"


def days_text(first: date, last: date, *, today: date | None = None) -> str:
    """"Mon 09/13 - Fri 09/24/2027"; "(passed)" after a last day before ``today``."""
    text = (f"{first:%a %m/%d/%Y}" if first == last
            else f"{first:%a %m/%d} \u2013 {last:%a %m/%d/%Y}" if first.year == last.year
            else f"{first:%m/%d/%Y} \u2013 {last:%m/%d/%Y}")
    return f"{text} (passed)" if today is not None and last < today else text


def waiting_for(line: WaitlistLine) -> str:
    """"Harper Quinn · Follow-up", "Any provider" …"""
    return " \u00b7 ".join(part for part in (line.provider_name or "Any provider",
                                             line.category) if part)


def added_text(line: WaitlistLine, zone: ZoneInfo) -> str:
    return f"{line.added_at.astimezone(zone):%m/%d/%Y}"


def _qtime(value: time) -> QTime:
    return QTime(value.hour, value.minute)


class TimeOfDayField(QWidget):
    """A choice of the part of the day, with from/to times shown for "From - to…"."""

    def __init__(self, name: str = "Time of day") -> None:
        super().__init__()
        self.part = QComboBox()
        self.part.setAccessibleName(name)
        for key, text in _PARTS:
            self.part.addItem(text, key)
        self.starts = QTimeEdit(_qtime(_EARLIEST))
        self.starts.setAccessibleName(f"{name} from")
        self.ends = QTimeEdit(_qtime(_LATEST))
        self.ends.setAccessibleName(f"{name} until")
        for edit in (self.starts, self.ends):
            edit.setDisplayFormat("HH:mm")
        self.dash = QLabel("to")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.part)
        layout.addWidget(self.starts)
        layout.addWidget(self.dash)
        layout.addWidget(self.ends)
        layout.addStretch(1)
        self.setFocusProxy(self.part)
        self.part.currentIndexChanged.connect(self._shown)
        self._shown()

    def _shown(self) -> None:
        custom = self.part.currentData() == CUSTOM
        for widget in (self.starts, self.dash, self.ends):
            widget.setVisible(custom)

    def window(self) -> tuple[time | None, time | None]:
        """(from, until) in clinic time; None for no bound."""
        part = self.part.currentData()
        if part == MORNINGS:
            return None, NOON
        if part == AFTERNOONS:
            return NOON, None
        if part == CUSTOM:
            return self.starts.time().toPython(), self.ends.time().toPython()
        return None, None

    def set_window(self, day_from: time | None, day_until: time | None) -> None:
        part = (ANY if day_from is None and day_until is None
                else MORNINGS if (day_from, day_until) == (None, NOON)
                else AFTERNOONS if (day_from, day_until) == (NOON, None) else CUSTOM)
        self.part.setCurrentIndex(self.part.findData(part))
        if part == CUSTOM:
            self.starts.setTime(_qtime(day_from or _EARLIEST))
            self.ends.setTime(_qtime(day_until or _LATEST))
