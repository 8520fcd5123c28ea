"""Declares the calendar module to the shell (for everyone who reads the schedule; booking and
the status flow need ``schedule.write``)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.module import ModuleSpec
from medtrack_desktop.ui.workspace import Workspace


def _create(context: AppContext, actor: Actor, workspace: Workspace) -> QWidget:
    from medtrack_desktop.ui.calendar.page import CalendarPage

    return CalendarPage(context, actor, workspace)


CALENDAR = ModuleSpec(
    key="calendar", title="Calendar", icon="calendar.svg", shortcut="Ctrl+4",
    permission="schedule.read", create=_create,
)
