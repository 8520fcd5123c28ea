"""Declares the Sync conflicts module to the shell (for holders of ``sync.resolve``: the roles
that own the clinic's records, and the administrator)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.module import ModuleSpec
from medtrack_desktop.ui.workspace import Workspace


def _create(context: AppContext, actor: Actor, workspace: Workspace) -> QWidget:
    from medtrack_desktop.ui.sync_conflicts.page import ConflictsPage

    return ConflictsPage(context, actor, workspace).view


CONFLICTS = ModuleSpec(
    key="sync_conflicts", title="Sync conflicts", icon="sync.svg", shortcut="Ctrl+8",
    permission="sync.resolve", create=_create,
)
