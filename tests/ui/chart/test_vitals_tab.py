"""The Vitals tab: a nurse records a set in US units by keyboard and the list shows it in
metric (BMI computed) or US units, the session's choice; an unusual value asks "Save anyway?"
(No saves nothing, Yes saves it); an impossible one is refused at its field; the trend plot
draws what was recorded; a long history loads a page at a time."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from chart_tab_ui import adult_patient, focused, press, show_tab
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from ui_support import settle

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.vital_measures import Vital
from medtrack_desktop.domain.chart.vitals import VitalsInput, record_vitals, vital_sets
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.vitals_form import VitalsDialog
from medtrack_desktop.ui.chart.vitals_tab import VitalsTab
from medtrack_desktop.ui.context import AppContext

COLUMNS = ("Taken", "Height", "Weight", "BMI", "Temp.", "Pulse")


def _row(tab: VitalsTab, row: int = 0) -> dict[str, str]:
    return {tab.model.headerData(column, Qt.Orientation.Horizontal): tab.model.index(
        row, column).data() for column in range(tab.model.columnCount())}


def _type(qtbot: QtBot, text: str) -> None:
    """Type into the focused field (or pick in the focused list), then Tab on."""
    field = focused()
    if text:
        qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Tab)


def _open_form(qtbot: QtBot, tab: VitalsTab) -> VitalsDialog:
    press(qtbot, tab, Qt.Key.Key_Insert)
    form = tab.dialog
    assert isinstance(form, VitalsDialog)
    assert focused() is form.fields[Vital.HEIGHT].value
    return form


def test_a_set_typed_in_us_units(qtbot: QtBot, context: AppContext, nurse: Actor) -> None:
    patient_id = adult_patient(context.store, "Measured")
    tab, workspace = show_tab(qtbot, context, nurse, VitalsTab, patient_id)
    assert isinstance(tab, VitalsTab)
    assert tab.list.status.text() == "No vital signs recorded"
    assert tab.trend.summary.text() == "No weight recorded yet."

    form = _open_form(qtbot, tab)
    _type(qtbot, "5")
    _type(qtbot, "f")     # height unit: ft + in, and the inches field appears
    assert form.fields[Vital.HEIGHT].rest.isVisible()
    _type(qtbot, "10")    # inches
    _type(qtbot, "154")
    _type(qtbot, "l")     # weight unit: lb
    assert form.bmi.text() == "22.1 kg/m\u00b2", "BMI shown as it is typed"
    _type(qtbot, "98.6")
    qtbot.keyClick(focused(), Qt.Key.Key_Down)  # temperature unit: °F
    assert form.fields[Vital.TEMPERATURE].unit.currentText() == "\u00b0F"
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(tab.model.rows) == 1, timeout=10_000)
    settle(qtbot, context)
    assert tab.dialog is None

    (stored,) = perform(context.store, nurse, vital_sets, patient_id=patient_id)
    assert (stored.height_cm, stored.weight_kg, stored.temperature_c, stored.bmi) == (
        Decimal("177.8"), Decimal("69.853"), Decimal("37.00"), Decimal("22.1"))
    row = _row(tab)
    assert (row["Height"], row["Weight"], row["BMI"], row["Temp."], row["Pulse"]) == (
        "177.8 cm", "69.85 kg", "22.1", "37.0 \u00b0C", "")
    assert tab.list.status.text() == "1 set"

    (xs, ys) = tab.trend.curves[Vital.WEIGHT].getData()
    assert list(xs) == [stored.taken_at.timestamp()] and list(ys) == [pytest.approx(69.85)]

    tab.units.setCurrentIndex(tab.units.findData("us"))
    row = _row(tab)
    assert (row["Height"], row["Weight"], row["Temp."]) == (
        "5 ft 10.0 in", "154.0 lb", "98.6 \u00b0F")
    (_xs, ys) = tab.trend.curves[Vital.WEIGHT].getData()
    assert list(ys) == [pytest.approx(154.0)], "the plot follows the units"
    assert tab.trend.plot.getAxis("left").labelText == "Weight (lb)"

    # The choice holds for this sign-in: another chart tab opens in US units, and its form too.
    again = VitalsTab(context, nurse, workspace)
    qtbot.addWidget(again.view)
    assert again.current_units() == "us" and again.model.units == "us"
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        tab.view.grab().save("/tmp/uib_vitals.png")


def test_an_unusual_value_is_saved_only_when_confirmed(
    qtbot: QtBot, context: AppContext, nurse: Actor
) -> None:
    patient_id = adult_patient(context.store, "Tachy")
    questions: list[str] = []
    answers: list[bool] = []

    def confirm(_parent: QWidget, _title: str, question: str) -> bool:
        questions.append(question)
        return answers.pop(0)

    tab, _workspace = show_tab(qtbot, context, nurse, VitalsTab, patient_id, confirm=confirm)
    assert isinstance(tab, VitalsTab)
    form = _open_form(qtbot, tab)
    form.fields[Vital.PULSE].value.setFocus()
    qtbot.keyClicks(focused(), "162")
    answers.append(False)
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(questions), timeout=10_000)
    settle(qtbot, context)
    assert questions == ["These values are unusual:\n\n\u2022 Pulse above 150 /min is "
                         "unusual.\n\nSave anyway?"]
    assert form.errors.message("bp_systolic") == ""
    assert form.errors.message("pulse") == "Pulse above 150 /min is unusual: confirm."
    assert form.isVisible() and form.ok.isEnabled(), "No: the form stays, to correct"
    assert perform(context.store, nurse, vital_sets, patient_id=patient_id) == []

    answers.append(True)
    form.ok.click()
    qtbot.waitUntil(lambda: len(tab.model.rows) == 1, timeout=10_000)
    settle(qtbot, context)
    assert len(questions) == 2 and not answers
    (stored,) = perform(context.store, nurse, vital_sets, patient_id=patient_id)
    assert stored.pulse == 162
    assert _row(tab)["Pulse"] == "162"


def test_an_impossible_value_is_refused_at_its_field(
    qtbot: QtBot, context: AppContext, nurse: Actor
) -> None:
    patient_id = adult_patient(context.store, "Feverish")
    tab, _workspace = show_tab(qtbot, context, nurse, VitalsTab, patient_id,
                               confirm=lambda *_args: pytest.fail("nothing to confirm"))
    assert isinstance(tab, VitalsTab)
    form = _open_form(qtbot, tab)
    form.fields[Vital.TEMPERATURE].value.setFocus()
    qtbot.keyClicks(focused(), "120")  # in °C
    form.fields[Vital.RESPIRATION].value.setFocus()
    qtbot.keyClicks(focused(), "1o")   # a letter o for a zero
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(form.errors.message("respiration")), timeout=10_000)
    assert form.errors.message("respiration") == "Respiration must be a number."
    assert focused() is form.fields[Vital.RESPIRATION].value  # the first bad field, in order

    form.fields[Vital.RESPIRATION].value.clear()
    form.ok.click()
    qtbot.waitUntil(lambda: bool(form.errors.message("temperature")), timeout=10_000)
    assert form.errors.message("temperature") == (
        "Temperature must be between 25.0 \u00b0C and 45.0 \u00b0C.")
    assert form.errors.message("respiration") == ""
    assert focused() is form.fields[Vital.TEMPERATURE].value
    settle(qtbot, context)
    assert perform(context.store, nurse, vital_sets, patient_id=patient_id) == []
    assert tab.dialog is form and form.isVisible()


def test_a_long_history_loads_a_page_at_a_time(
    qtbot: QtBot, context: AppContext, nurse: Actor
) -> None:
    patient_id = adult_patient(context.store, "Followed")
    start = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)
    for week in range(12):
        perform(context.store, nurse, record_vitals, patient_id=patient_id,
                taken_at=start + timedelta(weeks=week),
                entered=VitalsInput(weight=f"{80 + week / 10:.1f}", pulse=str(60 + week)))
    tab, _workspace = show_tab(qtbot, context, nurse, VitalsTab, patient_id, page_size=5)
    assert isinstance(tab, VitalsTab)
    assert len(tab.model.rows) == 5 and tab.more.isEnabled()
    assert tab.list.status.text() == "5 sets shown \u00b7 older sets load as you scroll to the end"

    bar = tab.list.table.verticalScrollBar()
    tab.list.table.resize(tab.list.table.width(), 120)  # so that five rows scroll
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum())  # scrolled to the end: the next page
    qtbot.waitUntil(lambda: len(tab.model.rows) == 10, timeout=10_000)
    tab.more.click()
    qtbot.waitUntil(lambda: len(tab.model.rows) == 12, timeout=10_000)
    settle(qtbot, context)
    assert not tab.more.isEnabled() and tab.list.status.text() == "12 sets"
    taken = [row.taken_at for row in tab.model.rows]
    assert taken == sorted(taken, reverse=True) and len(set(taken)) == 12

    (xs, ys) = tab.trend.curves[Vital.WEIGHT].getData()
    assert list(ys) == [pytest.approx(80 + week / 10) for week in range(12)]
    assert list(xs) == [(start + timedelta(weeks=week)).timestamp() for week in range(12)]
    tab.trend.choice.setCurrentIndex(tab.trend.choice.findText("Pulse"))
    qtbot.waitUntil(lambda: Vital.PULSE in tab.trend.curves, timeout=10_000)
    assert list(tab.trend.curves[Vital.PULSE].getData()[1]) == list(range(60, 72))
