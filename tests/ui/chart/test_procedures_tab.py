"""The Procedures tab by keyboard: a code of the wrong shape refused at its field, then a
procedure recorded (performer typed); removal asks first and No keeps the entry."""

from __future__ import annotations

from chart_tab_ui import adult_patient, focused, key_in_list, press, show_tab
from demo_users import sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from ui_support import settle

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.procedures import procedures
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.procedures_tab import ProcedureDialog, ProceduresTab
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.widgets.date_field import clinic_today


def test_record_and_remove_a_procedure(qtbot: QtBot, context: AppContext,
                                       physician: Actor) -> None:
    patient_id = adult_patient(context.store, "Procedural")
    answers: list[bool] = []
    questions: list[str] = []

    def confirm(_parent: QWidget, _title: str, question: str) -> bool:
        questions.append(question)
        return answers.pop(0)

    tab, _workspace = show_tab(qtbot, context, physician, ProceduresTab, patient_id,
                               confirm=confirm)
    assert isinstance(tab, ProceduresTab)
    assert tab.list.status.text() == "No procedures recorded"
    assert not tab.remove.isEnabled()

    press(qtbot, tab, Qt.Key.Key_Insert)
    form = tab.dialog
    assert isinstance(form, ProcedureDialog)
    assert focused() is form.code_system and form.code_system.currentText() == "CPT"
    qtbot.keyClick(form.code_system, Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "9921")  # a digit short
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "Office visit, established patient")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is form.performed_on
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "Dr. Ames (outside)")
    qtbot.keyClick(form.description, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(form.errors.message("code")), timeout=10_000)
    assert form.errors.message("code").startswith("Code: a CPT code is 5 digits")
    assert focused() is form.code
    assert perform(context.store, physician, procedures, patient_id=patient_id) == []

    qtbot.keyClicks(form.code, "3")
    qtbot.keyClick(form.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(tab.model.rows) == 1, timeout=10_000)
    settle(qtbot, context)
    assert tab.dialog is None
    assert [tab.model.index(0, column).data() for column in range(5)] == [
        f"{clinic_today(context.seat):%Y-%m-%d}", "CPT", "99213",
        "Office visit, established patient", "Dr. Ames (outside)"]
    assert tab.list.status.text() == "1 procedure"

    tab.list.table.selectRow(0)
    answers.append(False)
    key_in_list(qtbot, tab, Qt.Key.Key_Delete)
    settle(qtbot, context)
    assert questions[-1].startswith(
        "Remove CPT 99213 \u201cOffice visit, established patient\u201d")
    assert len(perform(context.store, physician, procedures, patient_id=patient_id)) == 1

    answers.append(True)
    key_in_list(qtbot, tab, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: not tab.model.rows, timeout=10_000)
    assert perform(context.store, physician, procedures, patient_id=patient_id) == []


def test_record_buttons_hidden_without_chart_write(qtbot: QtBot, context: AppContext) -> None:
    patient_id = adult_patient(context.store, "Readonly")
    tab, _workspace = show_tab(qtbot, context, sign_in(context.store, "frontdesk"),
                               ProceduresTab, patient_id)
    assert isinstance(tab, ProceduresTab)
    assert tab.record.isHidden() and tab.remove.isHidden()
