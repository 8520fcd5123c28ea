"""Helpers of the chart list tab tests: a tab shown in a window of its own, the focus, answers
to the tabs' yes/no questions, a form opened by its key, screenshots on request."""

from __future__ import annotations

import os
import uuid
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QTableView, QWidget
from pytestqt.qtbot import QtBot
from ui_support import settle

from medtrack_desktop.paths import resource
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.workspace import Changed, Workspace

TIMEOUT = 60_000  # the first code search on a machine extracts the code set (seconds)


class ListView(Protocol):
    table: QTableView


class Tab(Protocol):
    view: ListView
    dialog: QDialog | None

    def set_patient(self, patient_id: uuid.UUID | None) -> None: ...

    def refresh(self) -> None: ...


class Answers:
    """Answers the tab's yes/no questions (yes unless told) and keeps them."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, _parent: QWidget, _title: str, question: str) -> bool:
        self.asked.append(question)
        return self.answer


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def show_tab(qtbot: QtBot, context: AppContext, tab: Tab, workspace: Workspace,
             patient_id: uuid.UUID) -> None:
    """The tab in a window of its own (styled as in the app), showing the patient's list and
    reloaded after each change, as the chart page does."""
    workspace.sig_changed.connect(
        lambda changed: tab.refresh() if Changed.CHART in changed else None)
    view = tab.view
    assert isinstance(view, QWidget)
    qtbot.addWidget(view)
    view.setStyleSheet(resource("styles", "app.qss").read_text(encoding="utf-8"))
    view.resize(1100, 480)
    view.show()
    tab.set_patient(patient_id)
    tab.refresh()
    settle(qtbot, context)


def back_in(qtbot: QtBot, tab: Tab) -> None:
    """The tab's window active with the list focused (the offscreen platform does not give
    the window back by itself when a dialog closes)."""
    window = tab.view.table.window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    tab.view.table.setFocus()


def form_by_key(qtbot: QtBot, tab: Tab, key: Qt.Key) -> QDialog:
    """Press ``key`` in the list and wait for the form it opens to be active."""
    back_in(qtbot, tab)
    qtbot.keyClick(tab.view.table, key)
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isActiveWindow(),
                    timeout=TIMEOUT)
    assert tab.dialog is not None
    return tab.dialog


def rows_shown(qtbot: QtBot, context: AppContext, tab: Tab, count: int) -> None:
    qtbot.waitUntil(lambda: tab.view.table.model().rowCount() == count, timeout=TIMEOUT)
    settle(qtbot, context)


def screenshot(widget: QWidget, name: str) -> None:
    """With ``MEDTRACK_SCREENSHOTS`` set, the widget as drawn, for a person to look at."""
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        widget.grab().save(f"/tmp/uia_{name}.png")
