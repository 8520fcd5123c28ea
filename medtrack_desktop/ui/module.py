"""How a module view declares itself to the shell (title, icon, shortcut, permission, factory)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.workspace import Workspace


@dataclass(frozen=True)
class ModuleSpec:
    key: str
    title: str
    icon: str  # file name under resources/icons
    shortcut: str
    permission: str | None  # None: every signed-in user
    create: Callable[[AppContext, Actor, Workspace], QWidget]

    def available_to(self, actor: Actor) -> bool:
        return self.permission is None or actor.can(self.permission)
