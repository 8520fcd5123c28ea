"""The Patients module in the main window: who sees it, Ctrl+2, Ctrl+F, Ctrl+N, its tabs."""

from __future__ import annotations

import os

from demo_users import sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot
from registry_ui import CTRL
from sqlalchemy import select
from ui_support import make_workspace, settle

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.paths import resource
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.home.module import HOME
from medtrack_desktop.ui.modules import ALL_MODULES, modules_for
from medtrack_desktop.ui.patients.labels_dialog import LabelsDialog
from medtrack_desktop.ui.patients.merge_dialog import MergeDialog
from medtrack_desktop.ui.patients.module import PATIENTS
from medtrack_desktop.ui.patients.page import PatientsPage
from medtrack_desktop.ui.patients.registration import RegistrationDialog
from medtrack_desktop.ui.shell.main_window import MainWindow


def shown_page(qtbot: QtBot, context: AppContext, actor: Actor) -> PatientsPage:
    page = PatientsPage(context, actor, make_workspace(qtbot, context, actor))
    qtbot.addWidget(page)
    page.resize(1180, 700)
    page.show()
    page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page)
    settle(qtbot, context)
    return page


def test_the_module_follows_home_for_those_who_read_patient_records(
    demo_store: Store,
) -> None:
    assert ALL_MODULES.index(PATIENTS) == ALL_MODULES.index(HOME) + 1
    assert (PATIENTS.key, PATIENTS.title, PATIENTS.shortcut, PATIENTS.permission) == (
        "patients", "Patients", "Ctrl+2", "patient.read")
    assert resource("icons", PATIENTS.icon).is_file()
    for username in ("physician", "nurse", "assistant", "frontdesk", "biller"):
        assert PATIENTS in modules_for(sign_in(demo_store, username))
    for username in ("admin", "patient"):
        assert PATIENTS not in modules_for(sign_in(demo_store, username))


def test_ctrl_2_shows_the_search_box_ready_to_type(qtbot: QtBot, context: AppContext) -> None:
    actor = sign_in(context.store, "frontdesk")
    window = MainWindow(context=context, actor=actor, modules=modules_for(actor))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window.nav, Qt.Key.Key_2, CTRL)
    page = window.pages.currentWidget()
    assert isinstance(page, PatientsPage)
    assert page.search.view.query.hasFocus()
    qtbot.keyClicks(QApplication.focusWidget(), "garcia")
    qtbot.waitUntil(lambda: page.search.current and page.search.model.rowCount() == 1,
                    timeout=10_000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.patient_bar.patient is not None, timeout=10_000)
    assert window.patient_bar.summary_text.startswith("García, Elijah · ")
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        window.grab().save("/tmp/patients-module.png")
    window.close()
    settle(qtbot, context)


def test_tabs_keys_and_the_new_patient_button(qtbot: QtBot, context: AppContext) -> None:
    page = shown_page(qtbot, context, sign_in(context.store, "frontdesk"))
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == [
        "Fin&d", "All &patients", "&Record"]
    assert page.list.model.rowCount() == 0, "the list is read when its tab is first shown"
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.list.model.rowCount() == 40, timeout=10_000)
    qtbot.waitUntil(lambda: page.list.view.stats.total.text() == "40", timeout=10_000)
    page.setFocus()
    assert page.list.view.table.hasFocus(), "the page's focus goes to the tab in front"

    page.search.view.query.setText("garcia")
    qtbot.keyClick(page.list.view.table, Qt.Key.Key_F, CTRL)
    assert page.tabs.currentWidget() is page.search.view
    assert page.search.view.query.hasFocus()
    assert page.search.view.query.selectedText() == "garcia", "typing replaces the old search"

    assert page.new_patient is not None and page.new_patient.isVisible()
    with qtbot.waitSignal(page.sig_register_requested, timeout=1_000):
        qtbot.keyClick(page.search.view.query, Qt.Key.Key_N, CTRL)
    assert isinstance(page.dialog, RegistrationDialog) and page.dialog.isVisible()
    page.dialog.reject()

    extra = QLabel("Summary")
    index = page.add_tab(extra, "&Summary")
    assert page.tabs.widget(index) is extra
    page.show_tab(extra)
    assert page.tabs.currentWidget() is extra
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        page.grab().save("/tmp/patients-page.png")


def test_a_patient_opened_from_the_page_is_announced(
    qtbot: QtBot, context: AppContext
) -> None:
    page = shown_page(qtbot, context, sign_in(context.store, "frontdesk"))
    qtbot.keyClicks(page.search.view.query, "zhang")
    qtbot.waitUntil(lambda: page.search.current and page.search.model.rowCount() == 1,
                    timeout=10_000)
    with qtbot.waitSignal(page.sig_patient_opened, timeout=10_000) as opened:
        qtbot.keyClick(page.search.view.query, Qt.Key.Key_Return)
    assert opened.args[0].last_name == "Zhang"
    assert page.tabs.currentWidget() is page.summary, "the record comes forward"
    qtbot.waitUntil(lambda: page.summary.record is not None, timeout=10_000)
    assert page.summary.view.name.text().startswith("Zhang, ")


def test_a_patient_opened_elsewhere_brings_the_record_forward(
    qtbot: QtBot, context: AppContext
) -> None:
    page = shown_page(qtbot, context, sign_in(context.store, "frontdesk"))
    page.tabs.setCurrentWidget(page.list.view)
    with context.store.read_session() as session:
        zhang = session.scalars(select(Patient.id).where(Patient.last_name == "Zhang")).first()
    page._workspace.open_patient(zhang)  # as the flow board's "Open record" does
    qtbot.waitUntil(lambda: page.tabs.currentWidget() is page.summary, timeout=10_000)
    qtbot.waitUntil(lambda: page.summary.record is not None, timeout=10_000)
    assert page.summary.view.name.text().startswith("Zhang, ")


def test_print_labels_shows_the_open_patients_label_and_audits_the_print(
    qtbot: QtBot, context: AppContext
) -> None:
    page = shown_page(qtbot, context, sign_in(context.store, "frontdesk"))
    assert not page.labels.isEnabled(), "no patient open: nothing to print"
    qtbot.keyClicks(page.search.view.query, "zhang")
    qtbot.waitUntil(lambda: page.search.current and page.search.model.rowCount() == 1,
                    timeout=10_000)
    with qtbot.waitSignal(page.sig_patient_opened, timeout=10_000) as opened:
        qtbot.keyClick(page.search.view.query, Qt.Key.Key_Return)
    patient = opened.args[0]
    assert page.labels.isEnabled()
    qtbot.keyClick(page, Qt.Key.Key_B, CTRL | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: isinstance(page.dialog, LabelsDialog), timeout=10_000)
    assert isinstance(page.dialog, LabelsDialog)
    assert [label.mrn for label in page.dialog.labels] == [patient.mrn]
    page.dialog.reject()
    with context.store.read_session() as session:
        printed = session.scalars(select(AuditEntry.reason).where(
            AuditEntry.action == "patient.print", AuditEntry.patient_id == patient.id)).all()
    assert printed == ["labels"]


def test_merge_duplicates_only_for_those_who_merge(qtbot: QtBot, context: AppContext) -> None:
    front = shown_page(qtbot, context, sign_in(context.store, "frontdesk"))
    assert front.merge is not None
    qtbot.keyClick(front, Qt.Key.Key_M, CTRL | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: isinstance(front.dialog, MergeDialog), timeout=5_000)
    assert front.dialog is not None and front.dialog.isVisible()
    front.dialog.reject()
    assert shown_page(qtbot, context, sign_in(context.store, "nurse")).merge is None


def test_no_new_patient_button_without_patient_write(qtbot: QtBot, context: AppContext) -> None:
    page = shown_page(qtbot, context, sign_in(context.store, "assistant"))
    assert page.new_patient is None
    fired: list[bool] = []
    page.sig_register_requested.connect(lambda: fired.append(True))
    qtbot.keyClick(page.search.view.query, Qt.Key.Key_N, CTRL)
    assert fired == []
