"""The Medications tab by keyboard: a medication started (a naked decimal point refused at the
dose), its dose changed with a reason, discontinued only with a reason, and the three changes
in its history with who made them and the medication after each; a course completed after a
yes, and its history opened from the list."""

from __future__ import annotations

import uuid

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

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.medications import (
    MedicationInput,
    change_medication,
    start_medication,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.chart_tab_parts import STALE_ENTRY
from medtrack_desktop.ui.chart.medications_tab import (
    ChangeDialog,
    DiscontinueDialog,
    HistoryDialog,
    MedicationsTab,
    StartDialog,
)
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.widgets.date_field import clinic_today
from medtrack_desktop.ui.workspace import Changed

ALT = Qt.KeyboardModifier.AltModifier


def _tab(qtbot: QtBot, context: AppContext, physician: Actor, patient_id: uuid.UUID,
         answers: Answers | None = None) -> tuple[MedicationsTab, list[Changed]]:
    workspace = make_workspace(qtbot, context, physician)
    announced: list[Changed] = []
    workspace.sig_changed.connect(announced.append)
    tab = MedicationsTab(context, physician, workspace, confirm=answers or Answers())
    show_tab(qtbot, context, tab, workspace, patient_id)
    return tab, announced


def _row(tab: MedicationsTab, row: int) -> list[str]:
    return [tab.model.index(row, column).data() for column in range(tab.model.columnCount())]


def _history(qtbot: QtBot, context: AppContext, tab: MedicationsTab) -> HistoryDialog:
    back_in(qtbot, tab)
    qtbot.keyClick(tab.view.table, Qt.Key.Key_R, ALT)
    qtbot.waitUntil(lambda: isinstance(tab.dialog, HistoryDialog)
                    and tab.dialog.model.rowCount() > 0, timeout=TIMEOUT)
    settle(qtbot, context)
    assert isinstance(tab.dialog, HistoryDialog)
    return tab.dialog


def test_start_change_discontinue_and_the_history(
    qtbot: QtBot, context: AppContext, physician: Actor, patient_id: uuid.UUID
) -> None:
    tab, announced = _tab(qtbot, context, physician, patient_id)
    today = clinic_today(context.seat).isoformat()
    assert tab.view.status.text() == "No medications recorded."
    assert not tab.change.isEnabled() and not tab.history.isEnabled()

    start = form_by_key(qtbot, tab, Qt.Key.Key_Insert)
    assert isinstance(start, StartDialog) and focused() is start.name
    qtbot.keyClicks(start.name, "Metformin 500 mg tablet")
    qtbot.keyClick(start, Qt.Key.Key_O, ALT)
    qtbot.keyClicks(focused(), ".5")
    qtbot.keyClick(start, Qt.Key.Key_U, ALT)
    qtbot.keyClicks(focused(), "mg")
    qtbot.keyClick(start, Qt.Key.Key_R, ALT)
    qtbot.keyClicks(focused(), "o")
    assert start.route.currentData() == "oral"
    qtbot.keyClick(start, Qt.Key.Key_F, ALT)
    qtbot.keyClicks(focused(), "twice daily")
    qtbot.keyClick(start, Qt.Key.Key_P, ALT)
    assert focused() is start.prescriber
    qtbot.keyClick(focused(), Qt.Key.Key_Down)  # the user at the keyboard comes first
    assert start.prescriber.chosen() == (physician.user_id, "")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(start.errors.message("dose")), timeout=TIMEOUT)
    assert start.errors.message("dose").startswith("Dose: a number above 0 such as 500 or 0.5")
    assert focused() is start.dose and start.isVisible()
    screenshot(start, "medication_form")
    start.dose.clear()
    qtbot.keyClicks(start.dose, "500")
    qtbot.keyClick(start.dose, Qt.Key.Key_Return)
    rows_shown(qtbot, context, tab, 1)
    assert _row(tab, 0) == ["Metformin 500 mg tablet", "500 mg", "Oral", "twice daily", today,
                            "", "Active", physician.display_name]

    change = form_by_key(qtbot, tab, Qt.Key.Key_F2)
    assert isinstance(change, ChangeDialog) and focused() is change.dose
    assert change.dose.text() == "500" and change.route.currentData() == "oral"
    change.dose.selectAll()
    qtbot.keyClicks(change.dose, "1000")
    qtbot.keyClick(change, Qt.Key.Key_A, ALT)
    qtbot.keyClicks(focused(), "A1c still high")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _row(tab, 0)[1] == "1000 mg", timeout=TIMEOUT)

    stop = form_by_key(qtbot, tab, Qt.Key.Key_Delete)
    assert isinstance(stop, DiscontinueDialog) and focused() is stop.reason
    assert stop.end_on.text() != "", "stopped today, unless told"
    qtbot.keyClick(stop.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(stop.errors.message("reason")), timeout=TIMEOUT)
    assert stop.errors.message("reason") == "Reason: say why the medication is stopped."
    assert stop.isVisible() and _row(tab, 0)[6] == "Active"
    qtbot.keyClicks(stop.reason, "GI upset")
    qtbot.keyClick(stop.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _row(tab, 0)[6] == "Discontinued", timeout=TIMEOUT)
    settle(qtbot, context)
    assert _row(tab, 0)[5] == today
    assert tab.model.index(0, 6).data(Qt.ItemDataRole.ToolTipRole) == "GI upset"
    assert not tab.change.isEnabled() and not tab.discontinue.isEnabled()
    assert tab.history.isEnabled()
    assert announced == [Changed.CHART] * 3
    screenshot(tab.view, "medications")

    history = _history(qtbot, context, tab)
    rows = [[history.model.index(r, c).data() for c in range(1, 5)]
            for r in range(history.model.rowCount())]
    me = physician.display_name
    assert rows == [
        [me, "Started", "", "500 mg \u00b7 Oral \u00b7 twice daily \u00b7 Active"],
        [me, "Changed", "A1c still high", "1000 mg \u00b7 Oral \u00b7 twice daily \u00b7 Active"],
        [me, "Discontinued", "GI upset",
         f"1000 mg \u00b7 Oral \u00b7 twice daily \u00b7 Discontinued {today}"],
    ]
    assert history.status.text() == "3 changes"
    screenshot(history, "medication_history")
    qtbot.keyClick(history.table, Qt.Key.Key_Escape)
    assert not history.isVisible() and tab.dialog is None


def test_complete_a_course_after_a_yes(
    qtbot: QtBot, context: AppContext, physician: Actor, patient_id: uuid.UUID
) -> None:
    today = clinic_today(context.seat)
    perform(context.store, physician, start_medication, patient_id=patient_id, today=today,
            medication=MedicationInput(name="Amoxicillin 500 mg capsule", dose="500",
                                       dose_unit="mg", route="oral",
                                       frequency="three times daily", start_on=today,
                                       prescriber_name="Dr. Walk-In"))
    answers = Answers(answer=False)
    tab, _announced = _tab(qtbot, context, physician, patient_id, answers)
    assert _row(tab, 0)[7] == "Dr. Walk-In"
    back_in(qtbot, tab)
    qtbot.keyClick(tab.view.table, Qt.Key.Key_M, ALT)  # Complete
    qtbot.waitUntil(lambda: len(answers.asked) == 1)
    settle(qtbot, context)
    assert "Amoxicillin 500 mg capsule" in answers.asked[0] and _row(tab, 0)[6] == "Active"
    answers.answer = True
    tab.complete.click()
    qtbot.waitUntil(lambda: _row(tab, 0)[6] == "Completed", timeout=TIMEOUT)
    settle(qtbot, context)
    assert tab.view.status.text() == "0 active medications, 1 ended"

    back_in(qtbot, tab)
    qtbot.keyClick(tab.view.table, Qt.Key.Key_Return)  # an ended one shows its history
    qtbot.waitUntil(lambda: isinstance(tab.dialog, HistoryDialog)
                    and tab.dialog.model.rowCount() == 2, timeout=TIMEOUT)
    assert [tab.dialog.model.index(r, 2).data() for r in range(2)] == ["Started", "Completed"]


def test_a_change_saved_elsewhere_first_is_refused_and_the_list_reloaded(
    qtbot: QtBot, context: AppContext, physician: Actor, patient_id: uuid.UUID
) -> None:
    today = clinic_today(context.seat)
    for name in ("Amoxicillin 500 mg capsule", "Metformin 500 mg tablet"):
        perform(context.store, physician, start_medication, patient_id=patient_id, today=today,
                medication=MedicationInput(name=name, dose="500", dose_unit="mg"))
    tab, announced = _tab(qtbot, context, physician, patient_id)
    tab.view.table.selectRow(1)
    form = form_by_key(qtbot, tab, Qt.Key.Key_F2)
    assert isinstance(form, ChangeDialog) and form.medication.name == "Metformin 500 mg tablet"
    perform(context.store, physician, change_medication, patient_id=patient_id,
            medication_id=form.medication.id, version=form.medication.version, dose="750",
            dose_unit="mg", route="", frequency="", instructions="")
    form.dose.selectAll()
    qtbot.keyClicks(form.dose, "1000")
    qtbot.keyClick(form.dose, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.problem.isVisible(), timeout=TIMEOUT)
    assert form.problem.text() == STALE_ENTRY and form.isVisible()
    qtbot.waitUntil(lambda: _row(tab, 1)[1] == "750 mg", timeout=TIMEOUT)
    settle(qtbot, context)
    assert tab.view.table.currentIndex().row() == 1, "the same medication stays selected"
    assert announced == [], "nothing was saved here"
