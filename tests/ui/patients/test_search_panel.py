"""The Find tab over the demo clinic, by keyboard: type, arrows, Enter, Esc."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import pytest
from demo_users import sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from ui_support import settle

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.registry import register_patient
from medtrack_desktop.domain.patients.search import PatientMatch, search_patients
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.patients.search_panel import SearchPanel
from medtrack_desktop.ui.widgets.date_field import clinic_today
from medtrack_desktop.ui.widgets.patient_bar import age_text
from medtrack_desktop.ui.workspace import Changed, Workspace


def shown_panel(qtbot: QtBot, context: AppContext, actor: Actor, workspace: Workspace,
                **options: Any) -> SearchPanel:
    panel = SearchPanel(context=context, actor=actor, workspace=workspace, **options)
    qtbot.addWidget(panel.view)
    panel.view.resize(1000, 600)
    panel.view.show()
    panel.view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is panel.view)
    panel.view.query.setFocus()
    settle(qtbot, context)
    return panel


@pytest.fixture
def panel(qtbot: QtBot, context: AppContext, frontdesk: Actor, workspace: Workspace) -> SearchPanel:
    return shown_panel(qtbot, context, frontdesk, workspace)


def type_query(qtbot: QtBot, panel: SearchPanel, text: str) -> None:
    """Type ASCII ``text`` into the search box and wait for its results."""
    qtbot.keyClicks(panel.view.query, text)
    qtbot.waitUntil(lambda: panel.current, timeout=10_000)


def searches(store: Store) -> int:
    with store.read_session() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "patient.search")) or 0


def cell(panel: SearchPanel, row: int, column: int, role: Qt.ItemDataRole =
         Qt.ItemDataRole.DisplayRole) -> Any:
    return panel.model.index(row, column).data(role)


def test_type_a_name_move_with_the_arrows_and_open_with_enter(
    qtbot: QtBot, panel: SearchPanel, workspace: Workspace, context: AppContext
) -> None:
    view = panel.view
    assert view.query.accessibleName() == "Find patient"
    assert view.query.placeholderText() == "Name, DOB, MRN, phone or SSN last 4"
    type_query(qtbot, panel, "garcia")
    assert searches(context.store) == 1, "typing a word is one search, not one per key"
    assert [m.display_name for m in panel.model.rows] == ["García, Elijah"]
    today = clinic_today(context.seat)
    assert [cell(panel, 0, c) for c in range(5)] == [
        "García, Elijah", "2018-12-21", age_text(date(2018, 12, 21), today), "Male",
        panel.model.rows[0].mrn]
    assert view.status.text() == "1 match" and view.heading.text() == "Matches"
    with qtbot.waitSignal(panel.sig_opened, timeout=10_000) as opened:
        qtbot.keyClick(view.query, Qt.Key.Key_Return)
    assert workspace.patient is not None and workspace.patient == opened.args[0]
    assert workspace.patient.last_name == "García"

    qtbot.keyClick(view.query, Qt.Key.Key_Escape)
    assert view.query.text() == ""
    type_query(qtbot, panel, "liu")
    rows = panel.model.rows
    assert len(rows) == 4 and {m.last_name for m in rows} == {"Liu"}
    assert view.table.currentIndex().row() == 0, "the best match is chosen at once"
    for key, row in ((Qt.Key.Key_Down, 1), (Qt.Key.Key_Down, 2), (Qt.Key.Key_Down, 3),
                     (Qt.Key.Key_Down, 3), (Qt.Key.Key_Up, 2)):
        qtbot.keyClick(view.query, key)
        assert view.table.currentIndex().row() == row
    assert view.query.hasFocus(), "the arrows move the choice, the typing stays in the box"
    qtbot.keyClick(view.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: workspace.patient is not None
                    and workspace.patient.id == rows[2].id, timeout=10_000)


def test_enter_before_the_results_searches_and_never_opens_an_older_choice(
    qtbot: QtBot, panel: SearchPanel, workspace: Workspace
) -> None:
    type_query(qtbot, panel, "liu")
    qtbot.keyClick(panel.view.query, Qt.Key.Key_Down)
    qtbot.keyClicks(panel.view.query, " sean")  # Enter before the pause ends
    qtbot.keyClick(panel.view.query, Qt.Key.Key_Return)
    assert panel.view.status.text() == "Searching…"
    qtbot.waitUntil(lambda: panel.current, timeout=10_000)
    qtbot.wait(300)
    assert workspace.patient is None, "the Liu chosen before is not opened"
    assert [m.display_name for m in panel.model.rows] == ["Liu, Seán"]
    qtbot.keyClick(panel.view.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: workspace.patient is not None, timeout=10_000)
    assert workspace.patient is not None and workspace.patient.first_name == "Seán"


def test_an_empty_box_lists_the_recently_opened_newest_first(
    qtbot: QtBot, panel: SearchPanel, workspace: Workspace, context: AppContext
) -> None:
    view = panel.view
    assert view.heading.text() == "Recently opened"
    assert panel.model.rowCount() == 0
    assert view.status.text() == "No patients opened yet: type to search."
    opened = []
    for name in ("garcia", "zhang"):
        type_query(qtbot, panel, name)
        qtbot.keyClick(view.query, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: workspace.patient is not None
                        and workspace.patient.id == panel.model.rows[0].id, timeout=10_000)
        opened.append(panel.model.rows[0].display_name)
        qtbot.keyClick(view.query, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: panel.current and panel.model.rowCount() == 2, timeout=10_000)
    assert view.heading.text() == "Recently opened"
    assert [m.display_name for m in panel.model.rows] == opened[::-1]
    # opening from the recent list by keyboard puts that patient back on top
    qtbot.keyClick(view.query, Qt.Key.Key_Down)
    qtbot.keyClick(view.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: [m.display_name for m in panel.model.rows] == opened,
                    timeout=10_000)
    settle(qtbot, context)


def test_a_restricted_record_is_marked_in_words_and_with_an_icon(
    qtbot: QtBot, panel: SearchPanel, workspace: Workspace
) -> None:
    type_query(qtbot, panel, "o'neil")
    rows = panel.model.rows
    marker = panel.model.columnCount() - 1
    assert panel.model.headerData(marker, Qt.Orientation.Horizontal) == "Record"
    restricted = next(i for i, m in enumerate(rows) if m.restricted)
    free = next(i for i, m in enumerate(rows) if not m.restricted)
    assert cell(panel, restricted, marker) == "Restricted"
    assert cell(panel, restricted, marker, Qt.ItemDataRole.AccessibleTextRole) == "Restricted"
    assert not cell(panel, restricted, marker, Qt.ItemDataRole.DecorationRole).isNull()
    assert cell(panel, free, marker) == ""
    assert cell(panel, free, marker, Qt.ItemDataRole.DecorationRole) is None
    # the front desk cannot break the glass: the refusal is shown, nothing opens
    for _ in range(restricted):
        qtbot.keyClick(panel.view.query, Qt.Key.Key_Down)
    qtbot.keyClick(panel.view.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(workspace.refusals), timeout=10_000)  # type: ignore[attr-defined]
    assert workspace.patient is None


def test_no_match_tells_how_to_register_to_those_who_may(
    qtbot: QtBot, panel: SearchPanel, context: AppContext, workspace: Workspace
) -> None:
    type_query(qtbot, panel, "zzyzx")
    assert panel.model.rowCount() == 0
    assert panel.view.status.text() == (
        "No patient matches “zzyzx”. Press Ctrl+N to register a new patient.")
    assistant = shown_panel(qtbot, context, sign_in(context.store, "assistant"), workspace)
    type_query(qtbot, assistant, "zzyzx")
    assert assistant.view.status.text() == "No patient matches “zzyzx”."


def test_a_stale_result_finishing_late_is_dropped(
    qtbot: QtBot, context: AppContext, frontdesk: Actor, workspace: Workspace
) -> None:
    finished: list[str] = []
    lock = threading.Lock()

    def slow_for_short_words(session: Any, actor: Actor, *, query: str,
                             today: date) -> list[PatientMatch]:
        if len(query) < 3:
            time.sleep(0.6)  # before its first statement: the write lock is not taken yet
        found = search_patients(session, actor, query=query, today=today)
        with lock:
            finished.append(query)
        return found

    panel = shown_panel(qtbot, context, frontdesk, workspace, search=slow_for_short_words)
    panel.view.query.setText("li")  # Li, Liu…: other results than García's
    panel.search_now()
    panel.view.query.setText("garcia")
    panel.search_now()
    qtbot.waitUntil(lambda: finished == ["garcia", "li"], timeout=10_000)
    settle(qtbot, context)
    assert [m.display_name for m in panel.model.rows] == ["García, Elijah"]
    assert panel.view.status.text() == "1 match" and panel.current


def test_a_change_to_patients_refreshes_the_results(
    qtbot: QtBot, panel: SearchPanel, context: AppContext, workspace: Workspace
) -> None:
    type_query(qtbot, panel, "garcia")
    assert panel.model.rowCount() == 1
    perform(context.store, sign_in(context.store, "frontdesk"), register_patient,
            demographics=Demographics(last_name="García-Núñez", first_name="Zoé", sex="female",
                                      date_of_birth=date(1990, 1, 2)),
            today=date(2026, 11, 25))
    workspace.announce(Changed.PATIENTS)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=10_000)
    assert {m.first_name for m in panel.model.rows} == {"Elijah", "Zoé"}
