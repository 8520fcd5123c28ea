"""The Privacy tab (``privacy.admin``): restrict a record and name its care team; an unknown
user name is refused at the field. Others never see the tab."""

from __future__ import annotations

from demo_users import sign_in
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from registry_ui import CTRL, focused, new_patient
from ui_support import make_workspace, settle

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.patients.access import privacy_settings
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.patients.privacy_tab import PrivacyTab
from medtrack_desktop.ui.patients.summary import PatientSummary


def test_restrict_a_record_to_its_care_team(qtbot: QtBot, context: AppContext) -> None:
    admin = sign_in(context.store, "admin")
    patient_id = new_patient(context.store, "Private")
    tab = PrivacyTab(context, admin, make_workspace(qtbot, context, admin))
    view = tab.view
    qtbot.addWidget(view)
    view.show()
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    tab.set_patient(patient_id)
    tab.refresh()
    settle(qtbot, context)
    assert view.status.text() == "Not restricted: staff who read records open it."
    assert tab.members() == ()

    view.restricted.setFocus()
    qtbot.keyClick(view.restricted, Qt.Key.Key_Space)
    view.user.setFocus()
    qtbot.keyClicks(view.user, "Physician")
    qtbot.keyClick(view.user, Qt.Key.Key_Return)
    qtbot.keyClicks(view.user, "nosuchuser")
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)  # the name typed is added first
    qtbot.waitUntil(lambda: bool(view.errors.message("care_team")), timeout=10_000)
    assert view.errors.message("care_team") == "Care team: no user nosuchuser."
    assert tab.members() == ("physician", "nosuchuser")
    assert perform(context.store, admin, privacy_settings, patient_id=patient_id).restricted \
        is False, "nothing saved"

    view.activateWindow()  # the user name completer's popup took it (offscreen)
    qtbot.waitUntil(view.isActiveWindow)
    view.team.setFocus()
    view.team.setCurrentRow(1)
    qtbot.keyClick(view.team, Qt.Key.Key_Delete)
    assert tab.members() == ("physician",)
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: view.errors.message("care_team") == "" and view.save.isEnabled(),
                    timeout=10_000)
    settle(qtbot, context)
    settings = perform(context.store, admin, privacy_settings, patient_id=patient_id)
    assert (settings.restricted, settings.care_team) == (True, ("physician",))


def test_only_privacy_officers_see_the_tab(qtbot: QtBot, context: AppContext) -> None:
    frontdesk = sign_in(context.store, "frontdesk")
    summary = PatientSummary(context, frontdesk, make_workspace(qtbot, context, frontdesk))
    qtbot.addWidget(summary)
    titles = [summary.view.tabs.tabText(i) for i in range(summary.view.tabs.count())]
    assert titles == ["&History", "&Insurance", "C&onsent", "&Guarantor"]
    assert summary.privacy is None
