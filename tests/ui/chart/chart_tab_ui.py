"""What the Vitals, Immunizations, Procedures and Documents tab tests share: an adult patient
of their own, a tab shown for them the way the chart page shows it, keys pressed in it."""

from __future__ import annotations

import uuid
from datetime import date

from demo_users import sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from ui_support import make_workspace, settle

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.registry import register_patient
from medtrack_desktop.paths import resource
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.chart.chart_tab_parts import ChartTab
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.workspace import Changed, Workspace

# Registered with this birthday so every test's patient is an adult (adult plausibility).
BORN = date(1980, 5, 6)


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def adult_patient(store: Store, last_name: str) -> uuid.UUID:
    """A patient registered for the test (nothing of the demo charted for them)."""
    frontdesk = sign_in(store, "frontdesk")
    record = perform(store, frontdesk, register_patient, today=date(2026, 11, 25),
                     demographics=Demographics(last_name=last_name, first_name="Test",
                                               date_of_birth=BORN, sex="male"))
    return record.id


def show_tab(qtbot: QtBot, context: AppContext, actor: Actor, make: type[ChartTab],
             patient_id: uuid.UUID, **kwargs: object) -> tuple[ChartTab, Workspace]:
    """``make(context, actor, workspace)`` shown, active and loaded for the patient; after a
    ``Changed.CHART`` notice it is refreshed, as the chart page does."""
    workspace = make_workspace(qtbot, context, actor)
    tab = make(context, actor, workspace, **kwargs)
    qtbot.addWidget(tab.view)
    tab.view.setStyleSheet(resource("styles", "app.qss").read_text(encoding="utf-8"))
    tab.view.resize(1100, 640)
    tab.view.show()
    tab.view.activateWindow()
    qtbot.waitUntil(tab.view.isActiveWindow)
    workspace.sig_changed.connect(
        lambda changed: tab.refresh() if Changed.CHART in changed else None)
    tab.set_patient(patient_id)
    tab.refresh()
    settle(qtbot, context)
    return tab, workspace


def key_in_list(qtbot: QtBot, tab: ChartTab, key: Qt.Key) -> None:
    """A key pressed in the tab's list (its window active again, as after a form closed)."""
    tab.view.window().activateWindow()
    qtbot.waitUntil(tab.view.window().isActiveWindow)
    tab.list.table.setFocus()
    qtbot.keyClick(tab.list.table, key)


def press(qtbot: QtBot, tab: ChartTab, key: Qt.Key) -> None:
    """A key in the tab's list, then wait for the form it opens to be active."""
    key_in_list(qtbot, tab, key)
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isActiveWindow(),
                    timeout=10_000)
