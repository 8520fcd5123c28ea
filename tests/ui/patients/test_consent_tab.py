"""The Consent tab by keyboard: a disclosure consent refused until it names a recipient, then
recorded; a withdrawal refused without a reason, then recorded; withdrawn stays withdrawn."""

from __future__ import annotations

import os

from demo_users import sign_in
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from registry_ui import focused, new_patient, show_tab, summary_on
from ui_support import settle

from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.patients.consent_tab import ConsentDialog, ConsentTab, WithdrawDialog
from medtrack_desktop.ui.widgets.date_field import clinic_today


def _press(qtbot: QtBot, tab: ConsentTab, key: Qt.Key) -> None:
    tab.view.window().activateWindow()
    qtbot.waitUntil(tab.view.window().isActiveWindow)
    tab.view.table.setFocus()
    qtbot.keyClick(tab.view.table, key)
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isActiveWindow(),
                    timeout=10_000)


def test_record_and_withdraw_a_consent(qtbot: QtBot, context: AppContext) -> None:
    patient_id = new_patient(context.store, "Consenting")
    summary, _workspace = summary_on(qtbot, context, sign_in(context.store, "frontdesk"),
                                     patient_id)
    tab = summary.consent
    show_tab(qtbot, context, summary, tab.view)
    assert tab.view.status.text() == ("No consent recorded \u00b7 no consent to treatment in "
                                      "force")
    assert not tab.withdraw.isEnabled()

    _press(qtbot, tab, Qt.Key.Key_Insert)
    form = tab.dialog
    assert isinstance(form, ConsentDialog)
    assert focused() is form.kind
    assert form.granted_on.value() == clinic_today(context.seat), "given today, unless told"
    qtbot.keyClicks(form.kind, "d")  # "Disclosing health information"
    assert form.kind.currentData() == "phi_disclosure" and form.disclosure_to.isEnabled()
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(form.errors.message("disclosure_to")), timeout=10_000)
    assert form.errors.message("disclosure_to") == (
        "Disclose to: name who may receive the information.")
    assert focused() is form.disclosure_to
    qtbot.keyClicks(form.disclosure_to, "Dr. Ames, Austin Cardiology")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(tab.model.rows) == 1, timeout=10_000)
    settle(qtbot, context)
    (consent,) = tab.model.rows
    assert (consent.kind, consent.disclosure_to, consent.recorded_by) == (
        "phi_disclosure", "Dr. Ames, Austin Cardiology", "frontdesk")
    assert tab.model.index(0, 4).data() == "In force"
    assert tab.withdraw.isEnabled()

    tab.view.table.selectRow(0)
    _press(qtbot, tab, Qt.Key.Key_Delete)
    withdrawal = tab.dialog
    assert isinstance(withdrawal, WithdrawDialog) and focused() is withdrawal.reason
    withdrawal.ok.click()
    qtbot.waitUntil(lambda: bool(withdrawal.errors.message("withdrawal_reason")),
                    timeout=10_000)
    assert withdrawal.errors.message("withdrawal_reason") == (
        "Reason: say why (as the patient put it).")
    withdrawal.reason.setPlainText("Changed cardiologist")
    withdrawal.ok.click()
    qtbot.waitUntil(lambda: tab.model.rows and tab.model.rows[0].withdrawn_on is not None,
                    timeout=10_000)
    settle(qtbot, context)
    assert tab.model.index(0, 4).data().startswith("Withdrawn ")
    assert tab.model.index(0, 4).data().endswith(": Changed cardiologist")
    tab.view.table.selectRow(0)
    assert not tab.withdraw.isEnabled(), "a withdrawn consent is withdrawn once"
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        summary.grab().save("/tmp/consent_tab.png")
