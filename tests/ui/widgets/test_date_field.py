"""Dates typed the usual ways are read; anything else is refused, never guessed."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from medtrack_desktop.ui.widgets.date_field import DateField, parse_typed_date

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(("typed", "expected"), [
    ("03/04/1970", date(1970, 3, 4)),
    ("3/4/1970", date(1970, 3, 4)),
    ("1970-03-04", date(1970, 3, 4)),
    ("03-04-1970", date(1970, 3, 4)),
    ("03.04.1970", date(1970, 3, 4)),
    ("03041970", date(1970, 3, 4)),
    (" 3/4/70 ", date(1970, 3, 4)),
    ("1/2/26", date(2026, 1, 2)),
    ("1/2/27", date(1927, 1, 2)),  # a birth date is never in the future
    ("02/29/2024", date(2024, 2, 29)),
])
def test_usual_forms(typed: str, expected: date) -> None:
    assert parse_typed_date(typed, today=TODAY) == expected


def test_two_digit_years_of_expiry_dates_may_be_ahead() -> None:
    assert parse_typed_date("12/31/27", today=TODAY, two_digit_future=True) == date(2027, 12, 31)
    assert parse_typed_date("1/1/99", today=TODAY, two_digit_future=True) == date(1999, 1, 1)


@pytest.mark.parametrize("typed", ["13/45/1970", "02/29/2023", "1970/03/04", "March 4",
                                   "3/4", "", "0304197", "1970-3-4-1"])
def test_anything_else_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_typed_date(typed, today=TODAY)


def test_the_field_shows_back_what_it_understood(qtbot: QtBot) -> None:
    field = DateField(lambda: TODAY)
    other = DateField(lambda: TODAY)
    qtbot.addWidget(field)
    qtbot.addWidget(other)
    field.show()
    other.show()
    field.setFocus()
    assert field.value() is None, "empty is no date, not a default one"
    qtbot.keyClicks(field, "1970-03-04")
    other.setFocus()
    qtbot.waitUntil(lambda: field.text() == "03/04/1970")
    field.setText("31/31/1999")
    with pytest.raises(ValueError):
        field.value()
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_Tab)
    assert field.text() == "31/31/1999", "left as typed, for the message beside it"
