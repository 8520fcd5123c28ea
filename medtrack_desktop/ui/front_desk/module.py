"""Declares the front desk module to the shell (for everyone who reads the schedule; checking
in and the status flow need ``schedule.write``)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.module import ModuleSpec
from medtrack_desktop.ui.workspace import Workspace


def _create(context: AppContext, actor: Actor, workspace: Workspace) -> QWidget:
    from medtrack_desktop.ui.front_desk.page import FrontDeskPage

    return FrontDeskPage(context, actor, workspace)


FRONT_DESK = ModuleSpec(
    key="front_desk", title="Front desk", icon="front_desk.svg", shortcut="Ctrl+5",
    permission="schedule.read", create=_create,
)
