"""The front desk page over the demo clinic with a schedule made for the test (``schedule_setup``),
its clock at 08:30 on DAY and movable (``clock``), as the front desk. ``Clock`` and
``wait_loaded`` live in ``front_desk_ui`` (import them from there)."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from front_desk_ui import Clock, wait_loaded
from pytestqt.qtbot import QtBot
from schedule_setup import DAY, Schedule, make_schedule
from ui_support import make_workspace

from medtrack_desktop.paths import resource
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.front_desk.page import FrontDeskPage
from medtrack_desktop.ui.workspace import Workspace


@pytest.fixture
def schedule(context: AppContext) -> Schedule:
    return make_schedule(context)


@pytest.fixture
def clock(schedule: Schedule) -> Clock:
    return Clock(datetime.combine(DAY, time(8, 30), schedule.zone))


@pytest.fixture
def answers() -> list[bool]:
    """What the user answers to yes/no questions, in order (yes when none is left)."""
    return []


@pytest.fixture
def workspace(qtbot: QtBot, context: AppContext, schedule: Schedule) -> Workspace:
    return make_workspace(qtbot, context, schedule.desk)


@pytest.fixture
def page(qtbot: QtBot, context: AppContext, schedule: Schedule, workspace: Workspace,
         clock: Clock, answers: list[bool]) -> FrontDeskPage:
    shown = FrontDeskPage(context, schedule.desk, workspace,
                          confirm=lambda _parent, _title, _question: answers.pop(0)
                          if answers else True, today=clock)
    shown.setStyleSheet(resource("styles", "app.qss").read_text(encoding="utf-8"))
    shown.resize(1156, 720)
    qtbot.addWidget(shown)
    shown.show()
    shown.activateWindow()
    qtbot.waitUntil(shown.isActiveWindow)  # the board's keys need the active window
    wait_loaded(qtbot, shown.board)
    return shown


__all__ = ["Clock"]  # tests that import it from here still find it
