"""Helpers for the front desk page's tests (importable by name, unlike a conftest): the clinic's
clock the page sees, and waiting for the flow board to have read its day."""

from __future__ import annotations

from datetime import datetime

from pytestqt.qtbot import QtBot
from schedule_setup import TIMEOUT
from ui_support import mark_read, wait_for_read

from medtrack_desktop.ui.front_desk.flow_board import FlowBoard


class Clock:
    """The clinic's time now as the page sees it; tests move it on."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def wait_loaded(qtbot: QtBot, board: FlowBoard) -> None:
    qtbot.waitUntil(lambda: board.shown_day is not None and not board.loading, timeout=TIMEOUT)
    mark_read(board, "rows")


def reloaded(qtbot: QtBot, board: FlowBoard) -> None:
    """Wait until the board has read the day again (after a change or a step): a read newer
    than the last one waited for."""
    wait_for_read(qtbot, board, "rows", timeout=TIMEOUT)
