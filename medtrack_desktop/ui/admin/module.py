"""Declares the administration module to the shell (only for holders of ``user.admin``)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.module import ModuleSpec
from medtrack_desktop.ui.workspace import Workspace


def _create(context: AppContext, actor: Actor, workspace: Workspace) -> QWidget:
    from medtrack_desktop.ui.admin.page import AdminPage

    return AdminPage(context, actor, workspace)


ADMIN = ModuleSpec(
    key="admin", title="Administration", icon="admin.svg", shortcut="Ctrl+9",
    permission="user.admin", create=_create,
)
