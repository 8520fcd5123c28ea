"""Helpers to wait for the calendar page and drive it (the schedule itself:
``schedule_setup``)."""

from __future__ import annotations

import uuid
from datetime import date

from pytestqt.qtbot import QtBot
from schedule_setup import DAY, TIMEOUT
from ui_support import mark_read, wait_for_read

from medtrack_desktop.ui.calendar.booking_dialog import BookingDialog
from medtrack_desktop.ui.calendar.grid_items import Block
from medtrack_desktop.ui.calendar.page import CalendarPage


def wait_loaded(qtbot: QtBot, page: CalendarPage) -> None:
    qtbot.waitUntil(lambda: page.shown is not None and not page.loading, timeout=TIMEOUT)
    mark_read(page, "shown")


def reloaded(qtbot: QtBot, page: CalendarPage, *, before: object = None) -> None:
    """Wait until the page has read the schedule again after a change: a read newer than the
    last one waited for, or than ``before``."""
    wait_for_read(qtbot, page, "shown", timeout=TIMEOUT, before=before)


def column_of(page: CalendarPage, provider_id: uuid.UUID, day: date = DAY) -> int:
    return next(n for n, c in enumerate(page.grid.columns)
                if c.provider_id == provider_id and c.day == day)


def block_of(page: CalendarPage, appointment_id: object) -> Block:
    block = page.grid.block_by_id(appointment_id)  # type: ignore[arg-type]
    assert block is not None
    return block


def choose_patient(qtbot: QtBot, dialog: BookingDialog, text: str) -> None:
    qtbot.keyClicks(dialog.query, text)
    qtbot.waitUntil(lambda: dialog.patient_id is not None, timeout=TIMEOUT)
