"""A date typed the way the front desk types it, and the clinic's today.

A ``QDateEdit`` always holds some date, so a date of birth nobody typed would still be saved;
this field starts empty and reads 03/04/1970, 3/4/70, 03-04-1970, 03041970 and 1970-03-04.
Once left, it shows back the date it understood (03/04/1970), so a misread is seen at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QLineEdit, QWidget

from medtrack_desktop.domain.identity.actor import Seat

SHOWN = "%m/%d/%Y"
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$")
_DIGITS = re.compile(r"^(\d{2})(\d{2})(\d{4})$")


def clinic_today(seat: Seat) -> date:
    """Today where the clinic is (the workstation's own zone may differ)."""
    return datetime.now(ZoneInfo(seat.clinic_timezone)).date()


def parse_typed_date(text: str, *, today: date, two_digit_future: bool = False) -> date:
    """The date in ``text``; ValueError when it is not one. A two-digit year is the latest
    such year up to this year, or with ``two_digit_future`` (expiry dates) the nearest one."""
    text = text.strip()
    if match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _US.match(text) or _DIGITS.match(text):
        month, day, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            century = today.year // 100 * 100
            year += century
            if two_digit_future:
                year += 100 if year < today.year - 50 else -100 if year > today.year + 49 else 0
            elif year > today.year:
                year -= 100
    else:
        raise ValueError(text)
    return date(year, month, day)


def read_date(field: DateField, key: str, label: str, errors: dict[str, str]) -> date | None:
    """The field's date, or None with a message in ``errors[key]`` when it is unreadable."""
    try:
        return field.value()
    except ValueError:
        errors[key] = f"{label}: not a date; type it as 03/04/1970 or 1970-03-04."
        return None


class DateField(QLineEdit):
    """Empty, or a typed date; ``value()`` reads it (ValueError when unreadable)."""

    def __init__(self, today: Callable[[], date], *, two_digit_future: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._today, self._future = today, two_digit_future
        self.setPlaceholderText("MM/DD/YYYY")
        self.setMaxLength(10)
        self.setToolTip("Type as 03/04/1970, 3/4/70 or 1970-03-04")

    def value(self) -> date | None:
        if not self.text().strip():
            return None
        return parse_typed_date(self.text(), today=self._today(),
                                two_digit_future=self._future)

    def set_value(self, value: date | None) -> None:
        self.setText("" if value is None else value.strftime(SHOWN))

    def focusOutEvent(self, event: QFocusEvent) -> None:  # a Qt override: camelCase
        try:
            understood = self.value()
        except ValueError:
            understood = None
        if understood is not None and self.text() != understood.strftime(SHOWN):
            self.set_value(understood)
        super().focusOutEvent(event)
