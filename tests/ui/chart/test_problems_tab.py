"""The Problems tab by keyboard: a coded problem found by words in the ICD-10-CM search, picked
with the arrows and Enter, saved and shown billable; a resolved date before the onset refused
at its field, then a free-text problem saved, changed and removed as entered in error; the
code search saying it is loading the code set, and dropping a search that finished late."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from chart_ui import (
    TIMEOUT,
    Answers,
    back_in,
    focused,
    form_by_key,
    rows_shown,
    screenshot,
    show_tab,
)
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from ui_support import make_workspace, settle

from medtrack_desktop.domain.chart import icd10
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.problems_tab import ProblemDialog, ProblemsTab
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.widgets.date_field import clinic_today
from medtrack_desktop.ui.workspace import Changed

ALT = Qt.KeyboardModifier.AltModifier


def _tab(qtbot: QtBot, context: AppContext, physician: Actor, patient_id: uuid.UUID,
         answers: Answers | None = None) -> tuple[ProblemsTab, list[Changed]]:
    workspace = make_workspace(qtbot, context, physician)
    announced: list[Changed] = []
    workspace.sig_changed.connect(announced.append)
    tab = ProblemsTab(context, physician, workspace, confirm=answers or Answers())
    show_tab(qtbot, context, tab, workspace, patient_id)
    return tab, announced


def _form(qtbot: QtBot, tab: ProblemsTab, key: Qt.Key) -> ProblemDialog:
    form = form_by_key(qtbot, tab, key)
    assert isinstance(form, ProblemDialog)
    return form


def _cell(tab: ProblemsTab, row: int, header: str) -> str:
    model = tab.model
    column = next(c for c in range(model.columnCount())
                  if model.headerData(c, Qt.Orientation.Horizontal) == header)
    return model.index(row, column).data()


def test_a_coded_problem_found_by_words_and_picked_by_keyboard(
    qtbot: QtBot, context: AppContext, physician: Actor, patient_id: uuid.UUID
) -> None:
    tab, announced = _tab(qtbot, context, physician, patient_id)
    assert tab.view.status.text() == "No problems recorded."
    assert tab.add.isVisible() and not tab.change.isEnabled()

    form = _form(qtbot, tab, Qt.Key.Key_Insert)
    search = form.search
    assert focused() is search.edit
    qtbot.keyClicks(search.edit, "type 2 diab")
    qtbot.waitUntil(lambda: search.current and search.count() > 2, timeout=TIMEOUT)
    first = search.line(0)
    assert first == "E11.9 \u2014 Type 2 diabetes mellitus without complications \u00b7 billable"
    qtbot.keyClick(search.edit, Qt.Key.Key_Down)
    qtbot.keyClick(search.edit, Qt.Key.Key_Down)
    assert search.chosen() is not None and search.chosen().code == search.list.topLevelItem(2).data(
        0, Qt.ItemDataRole.UserRole).code != "E11.9"
    qtbot.keyClick(search.edit, Qt.Key.Key_Up)
    qtbot.keyClick(search.edit, Qt.Key.Key_Up)
    assert focused() is search.edit, "the arrows move in the list, the focus stays in the box"
    qtbot.keyClick(search.edit, Qt.Key.Key_Return)
    assert form.isVisible(), "Enter in the search picks a code; it does not save the form"
    assert form.code.text() == "E11.9"
    assert form.title.text() == "Type 2 diabetes mellitus without complications"
    assert form.billable.text() == "billable"
    assert focused() is form.title
    screenshot(form, "problem_form")

    qtbot.keyClick(form.title, Qt.Key.Key_Return)
    rows_shown(qtbot, context, tab, 1)
    assert not form.isVisible()
    assert [_cell(tab, 0, h) for h in ("Status", "Code", "Problem", "Billable")] == [
        "Active", "E11.9", "Type 2 diabetes mellitus without complications", "Yes"]
    assert announced == [Changed.CHART]
    assert tab.view.status.text() == "1 current problem"
    screenshot(tab.view, "problems")


def test_a_field_error_then_a_free_text_problem_changed_and_removed(
    qtbot: QtBot, context: AppContext, physician: Actor, patient_id: uuid.UUID
) -> None:
    answers = Answers()
    tab, announced = _tab(qtbot, context, physician, patient_id, answers)
    today = clinic_today(context.seat)
    onset, before = today - timedelta(days=10), today - timedelta(days=20)

    form = _form(qtbot, tab, Qt.Key.Key_Insert)
    qtbot.keyClicks(form.search.edit, "zzqx")
    qtbot.waitUntil(lambda: form.search.current, timeout=TIMEOUT)
    assert form.search.count() == 0
    assert "No ICD-10-CM code matches" in form.search.status.text()
    qtbot.keyClick(form.search.edit, Qt.Key.Key_Escape)
    assert form.isVisible() and form.search.edit.text() == "", "Esc clears the search first"
    qtbot.keyClick(form, Qt.Key.Key_T, ALT)
    assert focused() is form.title
    qtbot.keyClicks(form.title, "Low back pain after a fall")
    qtbot.keyClick(form, Qt.Key.Key_S, ALT)
    qtbot.keyClicks(focused(), "r")
    assert form.status.currentData() == "resolved"
    qtbot.keyClick(form, Qt.Key.Key_O, ALT)
    qtbot.keyClicks(focused(), onset.strftime("%m/%d/%Y"))
    qtbot.keyClick(form, Qt.Key.Key_R, ALT)
    assert focused() is form.resolved_on
    qtbot.keyClicks(focused(), before.strftime("%m/%d/%Y"))
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(form.errors.message("resolved_on")), timeout=TIMEOUT)
    assert form.errors.message("resolved_on") == "Resolved: on or after the onset date."
    assert focused() is form.resolved_on and form.isVisible()
    assert form.title.text() == "Low back pain after a fall", "what was typed stays"
    assert tab.model.rows == [] and announced == []

    form.resolved_on.clear()
    qtbot.keyClicks(form.resolved_on, today.strftime("%m/%d/%Y"))
    qtbot.keyClick(form.resolved_on, Qt.Key.Key_Return)
    rows_shown(qtbot, context, tab, 1)
    assert [_cell(tab, 0, h) for h in ("Status", "Code", "Billable", "Onset", "Resolved")] == [
        "Resolved", "", "", onset.isoformat(), today.isoformat()]

    back_in(qtbot, tab)
    qtbot.keyClick(tab.view.table, Qt.Key.Key_Return)  # Enter changes the selected problem
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isActiveWindow())
    change = tab.dialog
    assert isinstance(change, ProblemDialog) and focused() is change.status
    assert change.title.text() == "Low back pain after a fall"
    assert change.onset_on.value() == onset
    qtbot.keyClicks(change.status, "c")  # chronic: a resolved date no longer fits
    qtbot.keyClick(change.status, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(change.errors.message("resolved_on")), timeout=TIMEOUT)
    assert change.errors.message("resolved_on").startswith("Resolved: only for a resolved")
    change.resolved_on.clear()
    change.ok.click()
    qtbot.waitUntil(lambda: not change.isVisible(), timeout=TIMEOUT)
    settle(qtbot, context)
    assert _cell(tab, 0, "Status") == "Chronic" and _cell(tab, 0, "Resolved") == ""

    answers.answer = False
    back_in(qtbot, tab)
    qtbot.keyClick(tab.view.table, Qt.Key.Key_Delete)
    settle(qtbot, context)
    assert len(answers.asked) == 1 and "entered in error" in answers.asked[0]
    assert len(tab.model.rows) == 1, "No keeps the problem"
    answers.answer = True
    qtbot.keyClick(tab.view.table, Qt.Key.Key_Delete)
    rows_shown(qtbot, context, tab, 0)
    assert tab.view.status.text() == "No problems recorded."
    assert announced == [Changed.CHART] * 3


def test_the_search_says_it_loads_the_code_set_and_drops_a_late_search(
    qtbot: QtBot, context: AppContext, physician: Actor, patient_id: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = threading.Event()
    warm_up, search_codes = icd10.warm_up, icd10.search_codes

    def slow_warm_up() -> int:
        assert loaded.wait(10)
        return warm_up()

    def search_late(text: str, *, limit: int) -> list[icd10.IcdCode]:
        if text == "asthma":
            time.sleep(0.8)  # the first search finishes after the second
        return search_codes(text, limit=limit)

    monkeypatch.setattr(icd10, "is_ready", lambda: False)
    monkeypatch.setattr(icd10, "warm_up", slow_warm_up)
    monkeypatch.setattr(icd10, "search_codes", search_late)
    tab, _announced = _tab(qtbot, context, physician, patient_id)
    form = _form(qtbot, tab, Qt.Key.Key_Insert)
    search = form.search
    assert search.status.text() == "Loading the code set\u2026"
    qtbot.keyClicks(search.edit, "e11.9")
    qtbot.wait(300)
    assert search.status.text() == "Loading the code set\u2026" and search.count() == 0
    qtbot.keyClick(search.edit, Qt.Key.Key_Return)
    assert form.isVisible() and form.code.text() == "", "nothing to pick yet, nothing saved"
    loaded.set()
    qtbot.waitUntil(lambda: search.current and search.count() > 0, timeout=TIMEOUT)
    assert search.chosen() is not None and search.chosen().code == "E11.9"

    search.edit.clear()
    qtbot.keyClicks(search.edit, "asthma")
    qtbot.wait(300)  # that search is sent (and takes its time)
    qtbot.keyClicks(search.edit, " mild")
    qtbot.waitUntil(lambda: search.current and search.count() > 0, timeout=TIMEOUT)
    qtbot.wait(1000)  # the "asthma" search ends now, too late to be shown
    settle(qtbot, context)
    assert search.current and search.text() == "asthma mild"
    shown = [search.line(i) for i in range(search.count())]
    assert shown and all("Mild" in line for line in shown), shown
