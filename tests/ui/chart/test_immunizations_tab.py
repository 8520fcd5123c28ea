"""The Immunizations tab by keyboard: the vaccine picked by typing part of its name, a dose
refused without a vaccine from the list, then recorded by a nurse (given by herself, picked
from the list); removal as entered in error, after a yes."""

from __future__ import annotations

from datetime import date

from chart_tab_ui import adult_patient, focused, key_in_list, press, show_tab
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from ui_support import settle

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.immunizations import (
    ImmunizationInput,
    immunizations,
    record_immunization,
    remove_immunization,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.immunizations_tab import ImmunizationDialog, ImmunizationsTab
from medtrack_desktop.ui.context import AppContext


def test_record_and_remove_a_dose(qtbot: QtBot, context: AppContext, nurse: Actor) -> None:
    patient_id = adult_patient(context.store, "Vaccinated")
    questions: list[str] = []

    def confirm(_parent: QWidget, _title: str, question: str) -> bool:
        questions.append(question)
        return True

    tab, _workspace = show_tab(qtbot, context, nurse, ImmunizationsTab, patient_id,
                               confirm=confirm)
    assert isinstance(tab, ImmunizationsTab)
    assert tab.list.status.text() == "No immunizations recorded"

    press(qtbot, tab, Qt.Key.Key_Insert)
    form = tab.dialog
    assert isinstance(form, ImmunizationDialog)
    assert focused() is form.vaccine
    qtbot.keyClicks(form.vaccine.lineEdit(), "zzz")  # matches no vaccine
    form.ok.click()
    qtbot.waitUntil(lambda: bool(form.errors.message("cvx_code")), timeout=10_000)
    assert form.errors.message("cvx_code") == "Vaccine: choose one from the list (CVX code)."

    form.vaccine.lineEdit().clear()
    qtbot.keyClicks(form.vaccine.lineEdit(), "quadrivalent, adj")  # any part of the name
    popup = form.vaccine.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    assert form.vaccine.completer().completionCount() == 1
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert form.vaccine.cvx() == "205"
    qtbot.waitUntil(lambda: not popup.isVisible())
    form.activateWindow()  # offscreen, the closed popup leaves no window active
    qtbot.waitUntil(form.isActiveWindow)
    form.lot.setFocus()
    qtbot.keyClicks(form.lot, "FL2291")
    qtbot.keyClick(form.lot, Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "Seqirus")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is form.route
    qtbot.keyClicks(form.route, "i")  # Intramuscular
    qtbot.keyClick(form.route, Qt.Key.Key_Tab)
    qtbot.keyClicks(form.site, "l")  # Left deltoid
    qtbot.keyClick(form.site, Qt.Key.Key_Tab)
    assert focused() is form.given_by.lineEdit() or focused() is form.given_by
    qtbot.keyClicks(form.given_by.lineEdit(), nurse.display_name)
    assert form.given_by.chosen() == (nurse.user_id, "")
    form.ok.click()
    qtbot.waitUntil(lambda: len(tab.model.rows) == 1, timeout=10_000)
    settle(qtbot, context)
    (dose,) = perform(context.store, nurse, immunizations, patient_id=patient_id)
    assert (dose.cvx_code, dose.lot_number, dose.manufacturer, dose.route, dose.site,
            dose.administered_by_id) == ("205", "FL2291", "Seqirus", "intramuscular",
                                         "left_deltoid", nurse.user_id)
    row = [tab.model.index(0, column).data() for column in range(1, 8)]
    assert row == [dose.vaccine, "205", "FL2291", "Seqirus", "Intramuscular", "Left deltoid",
                   nurse.display_name]

    tab.list.table.selectRow(0)
    key_in_list(qtbot, tab, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: not tab.model.rows, timeout=10_000)
    assert questions == [f"Remove the {dose.vaccine} dose of {dose.administered_on:%Y-%m-%d} "
                         "as entered in error? It stays in the record as removed."]
    assert perform(context.store, nurse, immunizations, patient_id=patient_id) == []


def test_removing_a_dose_someone_else_removed(qtbot: QtBot, context: AppContext,
                                             nurse: Actor) -> None:
    patient_id = adult_patient(context.store, "Twice")
    dose = perform(context.store, nurse, record_immunization, patient_id=patient_id,
                   today=date(2026, 11, 25),
                   immunization=ImmunizationInput(cvx_code="115",
                                                  administered_on=date(2026, 1, 5)))
    tab, _workspace = show_tab(qtbot, context, nurse, ImmunizationsTab, patient_id,
                               confirm=lambda *_args: True)
    assert isinstance(tab, ImmunizationsTab) and len(tab.model.rows) == 1
    perform(context.store, nurse, remove_immunization, patient_id=patient_id,
            immunization_id=dose.id)  # at another workstation, meanwhile
    key_in_list(qtbot, tab, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: tab.list.error.isVisible(), timeout=10_000)
    settle(qtbot, context)
    assert tab.list.error.text() == ("This immunization was removed or is not part of this "
                                     "chart; reload the chart.")
    assert tab.model.rows == [], "the list was read again"
    assert tab.list.status.text() == "No immunizations recorded"
