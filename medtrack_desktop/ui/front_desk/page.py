"""The Front desk page: today's flow board first, then the tabs other front-desk screens plug in.

A screen joins the page by an entry in ``TABS`` (its title, ``&`` marking its Alt key, and a
factory ``(context, actor, workspace) -> QWidget``); nothing else here changes. Each tab
refreshes itself on ``workspace.sig_changed``.

Keys: Ctrl+PgUp / Ctrl+PgDn (or Ctrl+Tab) the previous / next tab, Alt+W the flow board and
each tab's own Alt letter. Alt letters already taken on this page (do not reuse them in a
tab title): W, and on the flow board P, S, T, I, R, D, N, C, O; the main window's menus take
F, A, G, H.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.front_desk.flow_board import FlowBoard
from medtrack_desktop.ui.front_desk.metrics_view import MetricsView
from medtrack_desktop.ui.front_desk.slot_finder import SlotFinder
from medtrack_desktop.ui.front_desk.waitlist import WaitlistTab
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.workspace import Workspace

TabFactory = Callable[[AppContext, Actor, Workspace], QWidget]


class TabSpec(NamedTuple):
    """A tab of the front desk page after the flow board."""

    title: str  # "&" marks its Alt key
    create: TabFactory


# The tabs after the flow board, in this order.
TABS: tuple[TabSpec, ...] = (
    TabSpec("Wait&list", WaitlistTab),
    TabSpec("Next a&vailable", SlotFinder),
    TabSpec("&Metrics", MetricsView),
)


class FrontDeskPage(QWidget):
    """The Front desk module's page. ``confirm`` and ``today`` go to the flow board (tests
    answer questions and set the clinic's time)."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask, today: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.setAccessibleName("Front desk")
        self.board = FlowBoard(context, actor, workspace, confirm=confirm, today=today)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Front desk sections")
        self.tabs.addTab(self.board, "Flo&w board")
        for spec in TABS:
            self.tabs.addTab(spec.create(context, actor, workspace), spec.title)
        self.tabs.currentChanged.connect(self._tab_shown)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 6)
        layout.setSpacing(6)
        layout.addWidget(QLabel("Front desk", objectName="pageTitle"))
        layout.addWidget(self.tabs, 1)
        self._tab_shown(self.tabs.currentIndex())

    def _tab_shown(self, _index: int) -> None:
        """Focus given to the page (Ctrl+5) goes into the tab shown."""
        self.setFocusProxy(self.tabs.currentWidget())

    def tab(self, title: str) -> QWidget | None:
        """The tab whose title (without its ``&``) is ``title``."""
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index).replace("&", "") == title:
                return self.tabs.widget(index)
        return None
