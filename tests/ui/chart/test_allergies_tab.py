"""The Allergies tab by keyboard: the status line above the list goes from "not recorded" to
"no known allergies" to "1 active allergy" as the patient is asked and an allergy is added (an
onset in the future refused at its field first); a resolved allergy leaves the allergies not
recorded again; "No known allergies" over an active allergy added elsewhere is refused with
the service's message and the list reloaded; an allergy removed as entered in error."""

from __future__ import annotations

import uuid
from datetime import timedelta

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
from medtrack_desktop.domain.chart.allergies import AllergyInput, save_allergy
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.allergies_tab import AllergiesTab, AllergyDialog
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.widgets.date_field import clinic_today
from medtrack_desktop.ui.workspace import Changed

ALT = Qt.KeyboardModifier.AltModifier


def _row(tab: AllergiesTab, row: int) -> list[str]:
    return [tab.model.index(row, column).data() for column in range(tab.model.columnCount())]


def test_the_allergy_status_as_the_patient_is_asked_and_allergies_listed(
    qtbot: QtBot, context: AppContext, physician: Actor, patient_id: uuid.UUID
) -> None:
    workspace = make_workspace(qtbot, context, physician)
    announced: list[Changed] = []
    workspace.sig_changed.connect(announced.append)
    answers = Answers()
    tab = AllergiesTab(context, physician, workspace, confirm=answers)
    show_tab(qtbot, context, tab, workspace, patient_id)
    today = clinic_today(context.seat)
    assert tab.headline.text() == "Allergies not recorded"
    assert tab.model.rows == [] and tab.nka.isEnabled()

    back_in(qtbot, tab)
    qtbot.keyClick(tab.view.table, Qt.Key.Key_N, ALT)  # No known allergies
    qtbot.waitUntil(lambda: tab.headline.text().startswith("No known allergies (recorded "),
                    timeout=TIMEOUT)
    assert today.isoformat() in tab.headline.text()
    assert len(answers.asked) == 1 and "no known allergies" in answers.asked[0]
    assert announced == [Changed.CHART]

    form = form_by_key(qtbot, tab, Qt.Key.Key_Insert)
    assert isinstance(form, AllergyDialog) and focused() is form.allergen
    qtbot.keyClicks(form.allergen, "Penicillin")
    assert form.allergen_type.currentData() == "drug", "a drug unless told"
    qtbot.keyClick(form, Qt.Key.Key_R, ALT)
    qtbot.keyClicks(focused(), "Hives and wheezing")
    qtbot.keyClick(form, Qt.Key.Key_V, ALT)
    qtbot.keyClicks(focused(), "s")
    assert form.severity.currentData() == "severe"
    qtbot.keyClick(form, Qt.Key.Key_O, ALT)
    qtbot.keyClicks(focused(), (today + timedelta(days=1)).strftime("%m/%d/%Y"))
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(form.errors.message("onset_on")), timeout=TIMEOUT)
    assert form.errors.message("onset_on") == "Onset: cannot be in the future."
    assert focused() is form.onset_on and form.isVisible()
    screenshot(form, "allergy_form")
    form.onset_on.clear()
    qtbot.keyClicks(form.onset_on, "2001-06-15")
    qtbot.keyClick(form.onset_on, Qt.Key.Key_Return)
    rows_shown(qtbot, context, tab, 1)
    assert tab.headline.text() == "1 active allergy"
    assert _row(tab, 0) == ["Penicillin", "Drug", "Hives and wheezing", "Severe", "Active",
                            "2001-06-15"]
    assert not tab.nka.isEnabled(), "not while an active allergy is listed"
    assert "active allergy is listed" in tab.nka.toolTip()
    screenshot(tab.view, "allergies")

    back_in(qtbot, tab)
    qtbot.keyClick(tab.view.table, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isActiveWindow())
    change = tab.dialog
    assert isinstance(change, AllergyDialog) and change.allergen.text() == "Penicillin"
    qtbot.keyClick(change, Qt.Key.Key_S, ALT)
    qtbot.keyClicks(focused(), "r")
    assert change.status.currentData() == "resolved"
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.headline.text() == "Allergies not recorded", timeout=TIMEOUT)
    settle(qtbot, context)
    assert _row(tab, 0)[4] == "Resolved" and tab.nka.isEnabled()
    assert tab.view.status.text() == "Also listed: 1 past allergy (resolved or inactive)"

    # Another workstation lists an allergy; this tab has not reloaded yet.
    perform(context.store, physician, save_allergy, patient_id=patient_id, today=today,
            allergy=AllergyInput(allergen="Latex", allergen_type="environmental"))
    tab.nka.click()
    qtbot.waitUntil(lambda: tab.view.error.isVisible(), timeout=TIMEOUT)
    assert tab.view.error.text().startswith("No known allergies: the list has an active "
                                            "allergy.")
    rows_shown(qtbot, context, tab, 2)
    assert tab.headline.text() == "1 active allergy" and not tab.nka.isEnabled()
    assert tab.view.error.isVisible(), "the reload keeps the refusal on screen"

    latex = next(i for i, row in enumerate(tab.model.rows) if row.allergen == "Latex")
    tab.view.table.selectRow(latex)
    back_in(qtbot, tab)
    qtbot.keyClick(tab.view.table, Qt.Key.Key_Delete)
    rows_shown(qtbot, context, tab, 1)
    assert "Latex" in answers.asked[-1] and "entered in error" in answers.asked[-1]
    assert tab.headline.text() == "Allergies not recorded"
