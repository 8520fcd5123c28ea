"""The calendar page over the demo clinic with a schedule made for the test, shown on DAY at
08:30 (the time line drawn), as the front desk."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from calendar_ui import wait_loaded
from pytestqt.qtbot import QtBot
from schedule_setup import DAY, Schedule, make_schedule
from ui_support import make_workspace

from medtrack_desktop.paths import resource
from medtrack_desktop.ui.calendar.page import CalendarPage
from medtrack_desktop.ui.context import AppContext


@pytest.fixture
def schedule(context: AppContext) -> Schedule:
    return make_schedule(context)


@pytest.fixture
def answers() -> list[bool]:
    """What the user answers to yes/no questions, in order (yes when none is left)."""
    return []


@pytest.fixture
def page(qtbot: QtBot, context: AppContext, schedule: Schedule,
         answers: list[bool]) -> CalendarPage:
    workspace = make_workspace(qtbot, context, schedule.desk)
    now = datetime.combine(DAY, time(8, 30), schedule.zone)
    shown = CalendarPage(context, schedule.desk, workspace,
                         confirm=lambda _parent, _title, _question: answers.pop(0)
                         if answers else True, today=lambda: now)
    shown.setStyleSheet(resource("styles", "app.qss").read_text(encoding="utf-8"))
    shown.resize(1156, 720)
    qtbot.addWidget(shown)
    shown.show()
    wait_loaded(qtbot, shown)
    return shown
