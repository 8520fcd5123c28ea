"""Declares the chart module to the shell (for everyone who reads charts)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.module import ModuleSpec
from medtrack_desktop.ui.workspace import Workspace


def _create(context: AppContext, actor: Actor, workspace: Workspace) -> QWidget:
    from medtrack_desktop.ui.chart.page import ChartPage

    return ChartPage(context, actor, workspace)


CHART = ModuleSpec(
    key="chart", title="Chart", icon="chart.svg", shortcut="Ctrl+3",
    permission="chart.read", create=_create,
)
