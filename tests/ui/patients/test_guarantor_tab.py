"""The Guarantor tab: someone other than the patient needs a last name (refused at the field),
is saved with Ctrl+S and read back; "self" empties the rest."""

from __future__ import annotations

import os
from datetime import date

from demo_users import sign_in
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from registry_ui import CTRL, focused, new_patient, show_tab, summary_on
from ui_support import settle

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.patients.insurance import get_guarantor
from medtrack_desktop.ui.context import AppContext


def test_a_parent_pays_then_the_patient_again(qtbot: QtBot, context: AppContext) -> None:
    frontdesk = sign_in(context.store, "frontdesk")
    patient_id = new_patient(context.store, "Minor")
    summary, _workspace = summary_on(qtbot, context, frontdesk, patient_id)
    tab = summary.guarantor
    view = tab.view
    show_tab(qtbot, context, summary, view)
    assert view.status.text() == "The patient pays their own balance."
    assert not view.lines["last_name"].isEnabled()

    view.relation.setFocus()
    qtbot.keyClicks(view.relation, "p")  # Parent
    assert view.relation.currentData() == "parent" and view.lines["last_name"].isEnabled()
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "Maria")
    view.lines["phone"].setText("512 555 0142")
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: bool(view.errors.message("last_name")), timeout=10_000)
    assert view.errors.message("last_name") == (
        "Last name: required for a guarantor other than the patient.")
    assert focused() is view.lines["last_name"]
    qtbot.keyClicks(focused(), "Lopez")
    view.date_of_birth.setText("1979-09-30")
    view.lines["address_line1"].setText("12 Elm St")
    view.lines["city"].setText("Austin")
    view.state.setEditText("TX")
    view.lines["postal_code"].setText("78702")
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: view.status.text() == "Statements go to the guarantor below.",
                    timeout=10_000)
    settle(qtbot, context)
    saved = perform(context.store, frontdesk, get_guarantor, patient_id=patient_id)
    assert saved is not None
    assert (saved.relation, saved.first_name, saved.last_name, saved.date_of_birth,
            saved.state, saved.phone) == ("parent", "Maria", "Lopez", date(1979, 9, 30), "TX",
                                          "(512) 555-0142")
    assert view.lines["phone"].text() == "(512) 555-0142", "read back as stored"
    assert view.errors.shown() == {}
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        summary.grab().save("/tmp/guarantor_tab.png")

    view.relation.setCurrentIndex(view.relation.findData("self"))
    view.save.click()
    qtbot.waitUntil(lambda: view.status.text() == "The patient pays their own balance.",
                    timeout=10_000)
    saved = perform(context.store, frontdesk, get_guarantor, patient_id=patient_id)
    assert saved is not None and (saved.relation, saved.last_name) == ("self", None)
