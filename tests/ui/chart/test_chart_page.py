"""The chart by keyboard: a physician opens a patient, starts an encounter, writes the note
(autosaved), signs it with their password; the banner shows the allergies; a signed note is
read-only and can be amended."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from ui_support import settle

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.allergies import AllergyInput, save_allergy
from medtrack_desktop.domain.chart.encounters import encounter
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.chart.module import CHART
from medtrack_desktop.ui.chart.page import ChartPage
from medtrack_desktop.ui.chart.sign_dialog import SignDialog
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.modules import ALL_MODULES, modules_for
from medtrack_desktop.ui.shell.main_window import MainWindow
from medtrack_desktop.ui.widgets.date_field import clinic_today

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def chart_window(qtbot: QtBot, context: AppContext, actor: Actor,
                 patient_id: uuid.UUID) -> tuple[MainWindow, ChartPage]:
    window = MainWindow(context=context, actor=actor, modules=modules_for(actor))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.workspace.open_patient(patient_id)
    qtbot.waitUntil(lambda: window.patient_bar.patient is not None, timeout=10_000)
    qtbot.keyClick(window.nav, Qt.Key.Key_3, CTRL)
    page = window.pages.currentWidget()
    assert isinstance(page, ChartPage)
    return window, page


def focused() -> object:
    return QApplication.focusWidget()


def reactivate(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def test_the_chart_module_is_for_those_who_read_charts(context: AppContext) -> None:
    assert ALL_MODULES.index(CHART) == 2 and CHART.shortcut == "Ctrl+3"
    from demo_users import sign_in
    assert CHART in modules_for(sign_in(context.store, "nurse"))
    assert CHART not in modules_for(sign_in(context.store, "frontdesk"))


def test_a_physician_writes_and_signs_a_note_by_keyboard_and_the_banner_shows_allergies(
    qtbot: QtBot, context: AppContext, physician: Actor, patient_id: uuid.UUID,
) -> None:
    perform(context.store, physician, save_allergy, patient_id=patient_id,
            today=clinic_today(context.seat),
            allergy=AllergyInput(allergen="Sulfa drugs", reaction="Rash", severity="severe"))
    window, page = chart_window(qtbot, context, physician, patient_id)
    qtbot.waitUntil(lambda: "Sulfa drugs" in window.patient_bar.allergy_text, timeout=10_000)
    assert window.patient_bar.alerts_text == "Severe allergy: Sulfa drugs"
    qtbot.waitUntil(lambda: page.summary.summary is not None, timeout=10_000)
    assert "Sulfa drugs (severe)" in page.summary.view.safety.text()

    page.tab_widget.setCurrentWidget(page.encounters.view)
    tab = page.encounters
    settle(qtbot, context)
    tab.list.table.setFocus()
    qtbot.keyClick(tab.list.table, Qt.Key.Key_Insert)
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isVisible(), timeout=10_000)
    dialog = tab.dialog
    qtbot.waitUntil(lambda: dialog.reason.hasFocus(), timeout=5_000)
    qtbot.keyClicks(dialog.reason, "Cough for two weeks")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    editor = tab.editor
    qtbot.waitUntil(lambda: editor.detail is not None and tab.model.rowCount() == 1,
                    timeout=10_000)
    reactivate(qtbot, window)  # the offscreen platform gives the window back no focus
    qtbot.waitUntil(lambda: editor.view.sections["subjective"].hasFocus(), timeout=5_000)
    qtbot.keyClicks(focused(), "Dry cough, no fever.")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "Lungs clear.")
    qtbot.waitUntil(lambda: editor.view.saved.text() == "Saved", timeout=10_000)
    with context.store.session() as session:
        saved = encounter(session, physician, encounter_id=editor.detail.id)
    assert (saved.note.subjective, saved.note.objective, saved.status) == (
        "Dry cough, no fever.", "Lungs clear.", "in_progress"), "autosaved"

    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL_SHIFT)
    qtbot.waitUntil(lambda: isinstance(getattr(editor, "dialog", None), SignDialog)
                    and editor.dialog.isVisible(), timeout=10_000)
    sign = editor.dialog
    qtbot.waitUntil(lambda: sign.password.hasFocus(), timeout=5_000)
    qtbot.keyClicks(sign.password, "wrong password")
    qtbot.keyClick(sign.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sign.problem.isVisible(), timeout=10_000)
    assert "not correct" in sign.problem.text() and sign.password.text() == ""
    qtbot.keyClicks(sign.password, DEMO_PASSWORD)
    qtbot.keyClick(sign.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: editor.detail is not None and editor.detail.status == "signed",
                    timeout=10_000)
    reactivate(qtbot, window)
    qtbot.waitUntil(lambda: "Electronically signed by" in editor.view.signature.text(),
                    timeout=10_000)
    assert editor.view.sections["subjective"].isReadOnly()
    assert not editor.view.sign.isVisible() and editor.view.amend.isVisible()
    qtbot.waitUntil(lambda: tab.model.rows and tab.model.rows[0].status == "signed",
                    timeout=10_000)
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        window.grab().save("/tmp/chart-signed.png")
    window.close()
    settle(qtbot, context)


def test_a_nurse_adds_a_nursing_note_but_cannot_sign(
    qtbot: QtBot, context: AppContext, nurse: Actor, physician: Actor, patient_id: uuid.UUID,
) -> None:
    from medtrack_desktop.domain.chart.encounters import EncounterInput, start_encounter
    from medtrack_desktop.domain.chart.encounters import encounter as read_encounter

    visit = perform(context.store, nurse, start_encounter, patient_id=patient_id,
                    entered=EncounterInput(encounter_type="office", reason="BP check",
                                           starts_at=datetime.now(UTC),
                                           provider_id=physician.user_id))
    window, page = chart_window(qtbot, context, nurse, patient_id)
    page.tab_widget.setCurrentWidget(page.encounters.view)
    editor = page.encounters.editor
    qtbot.waitUntil(lambda: page.encounters.model.rowCount() == 1, timeout=10_000)
    page.encounters.list.table.selectRow(0)
    qtbot.waitUntil(lambda: editor.detail is not None and editor.detail.id == visit.id,
                    timeout=10_000)
    assert not editor.view.sign.isVisible() and editor.view.add_note.isVisible()
    editor.view.add_note.click()
    dialog = editor.dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.title.setText("Intake")
    dialog.body.setPlainText("BP 150/95 left arm, seated.")
    dialog.ok.click()
    qtbot.waitUntil(lambda: "Intake" in editor.view.notes.text(), timeout=10_000)
    with context.store.session() as session:
        notes = read_encounter(session, nurse, encounter_id=visit.id).clinical_notes
    assert [(n.note_type, n.title) for n in notes] == [("progress", "Intake")]
    window.close()
    settle(qtbot, context)


def test_the_timeline_loads_older_encounters_when_scrolled_to_its_end(
    qtbot: QtBot, context: AppContext, physician: Actor, patient_id: uuid.UUID,
) -> None:
    from datetime import timedelta

    from medtrack_desktop.domain.chart.encounters import EncounterInput, start_encounter

    now = datetime.now(UTC)
    with context.store.session() as session:
        for day in range(60):
            start_encounter(session, physician, patient_id=patient_id, now=now,
                            entered=EncounterInput(encounter_type="follow_up",
                                                   reason=f"Visit {day}",
                                                   starts_at=now - timedelta(days=day)))
    window, page = chart_window(qtbot, context, physician, patient_id)
    page.tab_widget.setCurrentWidget(page.encounters.view)
    tab = page.encounters
    qtbot.waitUntil(lambda: tab.model.rowCount() == 50, timeout=10_000)
    bar = tab.list.table.verticalScrollBar()
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: tab.model.rowCount() >= 60, timeout=10_000)
    assert "Visit 59" in [row.reason for row in tab.model.rows]
    assert not tab.more.isEnabled()
    window.close()
    settle(qtbot, context)


def test_a_signed_note_is_amended_and_its_versions_listed(
    qtbot: QtBot, context: AppContext, physician: Actor, patient_id: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from medtrack_desktop.domain.chart.encounters import (
        EncounterInput,
        NoteDraft,
        save_note,
        start_encounter,
    )
    from medtrack_desktop.domain.chart.signing import sign_encounter

    visit = perform(context.store, physician, start_encounter, patient_id=patient_id,
                    entered=EncounterInput(encounter_type="office", reason="Rash",
                                           starts_at=datetime.now(UTC)))
    version = perform(context.store, physician, save_note, encounter_id=visit.id,
                      draft=NoteDraft(plan="Hydrocortisone 1% twice daily"),
                      version=visit.version)
    assert perform(context.store, physician, sign_encounter, encounter_id=visit.id,
                   version=version, password=DEMO_PASSWORD).signature is not None
    window, page = chart_window(qtbot, context, physician, patient_id)
    page.tab_widget.setCurrentWidget(page.encounters.view)
    tab, editor = page.encounters, page.encounters.editor
    qtbot.waitUntil(lambda: tab.model.rowCount() >= 1, timeout=10_000)
    tab.list.table.selectRow(0)
    qtbot.waitUntil(lambda: editor.detail is not None and editor.detail.id == visit.id
                    and editor.view.amend.isVisible(), timeout=10_000)
    monkeypatch.setattr("PySide6.QtWidgets.QInputDialog.getText",
                        lambda *_args, **_kwargs: ("Strength was 2.5%", True))
    editor.view.amend.click()
    qtbot.waitUntil(lambda: editor.view.version.count() == 2
                    and editor.view.version.currentText() == "Amendment 1 (draft)",
                    timeout=10_000)
    plan = editor.view.sections["plan"]
    assert not plan.isReadOnly(), "the draft amendment is written here"
    plan.setPlainText("Hydrocortisone 2.5% twice daily")
    qtbot.waitUntil(lambda: editor.view.saved.text() == "Saved", timeout=10_000)
    editor.sign()
    qtbot.waitUntil(lambda: isinstance(getattr(editor, "dialog", None), SignDialog)
                    and editor.dialog.isVisible(), timeout=10_000)
    editor.dialog.password.setText(DEMO_PASSWORD)
    editor.dialog.ok.click()
    qtbot.waitUntil(lambda: editor.view.version.currentText() == "Amendment 1"
                    and plan.isReadOnly(), timeout=10_000)
    assert plan.toPlainText() == "Hydrocortisone 2.5% twice daily"
    assert "Strength was 2.5%" in editor.view.signature.text()
    editor.view.version.setCurrentIndex(0)
    editor.view.version.activated.emit(0)
    qtbot.waitUntil(lambda: plan.toPlainText() == "Hydrocortisone 1% twice daily",
                    timeout=10_000)
    window.close()
    settle(qtbot, context)
