"""Helpers to wait for the calendar page (the schedule itself: ``schedule_setup``)."""

from __future__ import annotations

import uuid
from datetime import date

from pytestqt.qtbot import QtBot
from schedule_setup import DAY, TIMEOUT

from medtrack_desktop.ui.calendar.page import CalendarPage


def wait_loaded(qtbot: QtBot, page: CalendarPage) -> None:
    qtbot.waitUntil(lambda: page.shown is not None and not page.loading, timeout=TIMEOUT)


def reloaded(qtbot: QtBot, page: CalendarPage) -> None:
    """Wait until the page has read the schedule again after a change."""
    before = page.shown
    qtbot.waitUntil(lambda: page.shown is not before and not page.loading, timeout=TIMEOUT)


def column_of(page: CalendarPage, provider_id: uuid.UUID, day: date = DAY) -> int:
    return next(n for n, c in enumerate(page.grid.columns)
                if c.provider_id == provider_id and c.day == day)
