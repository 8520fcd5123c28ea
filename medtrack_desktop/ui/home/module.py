"""Declares the home module to the shell."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.module import ModuleSpec
from medtrack_desktop.ui.workspace import Workspace


def _create(context: AppContext, actor: Actor, _workspace: Workspace) -> QWidget:
    from medtrack_desktop.ui.home.view import HomeView

    return HomeView(context, actor)


HOME = ModuleSpec(
    key="home", title="Home", icon="home.svg", shortcut="Ctrl+1", permission=None, create=_create
)
