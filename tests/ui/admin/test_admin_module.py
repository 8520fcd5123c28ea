"""The Administration module over a real encrypted demo database, driven by keyboard."""

from __future__ import annotations

import csv
from pathlib import Path

import pyotp
import pytest
from demo_users import sign_in
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from ui_support import make_workspace

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import authenticate
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.mfa import begin_enrolment, confirm_enrolment
from medtrack_desktop.domain.identity.models import Role, User
from medtrack_desktop.domain.patients.access import open_patient, set_privacy
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.admin.module import ADMIN
from medtrack_desktop.ui.admin.page import AdminPage
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.modules import modules_for

NEW_PASSWORD = "Clinic-Door-42"



@pytest.fixture
def page(qtbot: QtBot, context: AppContext) -> AdminPage:
    admin = sign_in(context.store, "admin")
    widget = AdminPage(context, admin, make_workspace(qtbot, context, admin))
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget)
    qtbot.waitUntil(lambda: widget.users.model.rowCount() == 7, timeout=10000)
    return widget


def _actions(store: Store) -> list[tuple[str, str | None]]:
    with store.read_session() as session:
        return [tuple(row) for row in session.execute(
            select(AuditEntry.action, AuditEntry.username).order_by(AuditEntry.seq))]


def _reactivate(qtbot: QtBot, page: AdminPage) -> None:
    """The offscreen platform has no window manager to give the window back its activation
    when a dialog closes, as a desktop does; do it by hand."""
    page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page)


def _fill_add_dialog(qtbot: QtBot, page: AdminPage, username: str, password: str) -> None:
    """Type into the Add user dialog by keyboard alone: Tab from field to field."""
    qtbot.keyClick(page.users.view, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.users.dialog is not None and page.users.dialog.isVisible())
    dialog = page.users.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.line("username").hasFocus())
    for text in (username, "Ada", "Brook", "ada@riverside.example.org", "1245319599", "",
                 "RN-1", "tx"):
        qtbot.keyClicks(QApplication.focusWidget(), text)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    # the role checkboxes: physician, nurse (tick with Space), then on to the password
    assert QApplication.focusWidget() is dialog.roles.boxes["physician"]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.roles.boxes["nurse"]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    while QApplication.focusWidget() is not dialog.line("password"):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), password)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), password)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def test_add_user_by_keyboard_appears_in_the_table(qtbot: QtBot, page: AdminPage) -> None:
    _fill_add_dialog(qtbot, page, "abrook", NEW_PASSWORD)
    model = page.users.model
    qtbot.waitUntil(lambda: model.row_of("abrook") >= 0, timeout=10000)
    assert page.users.dialog is None
    user = model.rows[model.row_of("abrook")]
    assert user.display_name == "Ada Brook" and user.roles == ("nurse",)
    row = model.row_of("abrook")
    assert [model.index(row, c).data() for c in range(model.columnCount())] == [
        "abrook", "Ada Brook", "nurse", "Active", "", "", ""]
    assert page.users.selected() == user
    assert ("user.create", "admin") in _actions(page.users._context.store)
    # the new user can sign in with the password typed
    assert sign_in(page.users._context.store, "abrook", NEW_PASSWORD).roles == ("nurse",)


def test_weak_password_shows_the_policy_reason_at_the_field(
    qtbot: QtBot, page: AdminPage
) -> None:
    _fill_add_dialog(qtbot, page, "weakling", "password")
    dialog = page.users.dialog
    assert dialog is not None
    error = dialog.fields["password"].error
    qtbot.waitUntil(error.isVisible, timeout=10000)
    assert "upper-case letter" in error.text() and "digit" in error.text()
    assert "Traceback" not in error.text()
    assert dialog.isVisible() and dialog.line("password").hasFocus()
    assert page.users.model.row_of("weakling") == -1
    dialog.reject()


def test_taken_user_name_is_shown_at_the_user_name(qtbot: QtBot, page: AdminPage) -> None:
    _fill_add_dialog(qtbot, page, "nurse", NEW_PASSWORD)
    dialog = page.users.dialog
    assert dialog is not None
    error = dialog.fields["username"].error
    qtbot.waitUntil(error.isVisible, timeout=10000)
    assert error.text() == "User name: 'nurse' is taken."
    dialog.reject()


def _answer_next_question(qtbot: QtBot, button: QMessageBox.StandardButton, seen: list[str]):
    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        seen.append(box.text())
        box.button(button).click()

    QTimer.singleShot(0, answer)


def test_disable_needs_confirmation(qtbot: QtBot, page: AdminPage) -> None:
    users = page.users
    users.view.table.setFocus()
    users.view.table.selectRow(users.model.row_of("nurse"))
    assert users.view.toggle_active.text() == "Disable"

    seen: list[str] = []
    _answer_next_question(qtbot, QMessageBox.StandardButton.No, seen)
    qtbot.keyClick(users.view.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(seen) == 1)  # a button's shortcut clicks after a short flash
    assert "Disable Daniel O'Connor (nurse)?" in seen[0]
    users._context.tasks.wait(5000)
    assert users.model.rows[users.model.row_of("nurse")].is_active
    _reactivate(qtbot, page)

    _answer_next_question(qtbot, QMessageBox.StandardButton.Yes, seen)
    qtbot.keyClick(users.view.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(seen) == 2)
    qtbot.waitUntil(
        lambda: not users.model.rows[users.model.row_of("nurse")].is_active, timeout=10000)
    assert users.view.toggle_active.text() == "Enable"
    _reactivate(qtbot, page)
    assert ("user.disable", "admin") in _actions(users._context.store)
    with users._context.store.session() as session:
        assert not authenticate(session, seat=users._context.seat, username="nurse",
                                password=DEMO_PASSWORD).ok

    # enabling again asks nothing
    qtbot.keyClick(users.view.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: users.model.rows[users.model.row_of("nurse")].is_active, timeout=10000)
    qtbot.wait(200)
    assert len(seen) == 2


def test_disabling_yourself_is_refused_plainly(qtbot: QtBot, page: AdminPage) -> None:
    users = page.users
    users.view.table.selectRow(users.model.row_of("admin"))
    _answer_next_question(qtbot, QMessageBox.StandardButton.Yes, [])
    users.view.toggle_active.click()
    qtbot.waitUntil(users.view.error.isVisible, timeout=10000)
    assert users.view.error.text() == "You cannot disable your own account."


def test_reset_password_and_edit_roles(qtbot: QtBot, page: AdminPage) -> None:
    users = page.users
    store = users._context.store
    users.view.table.selectRow(users.model.row_of("assistant"))
    qtbot.keyClick(users.view.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: users.dialog is not None)
    dialog = users.dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.line("password"), NEW_PASSWORD)
    qtbot.keyClicks(dialog.line("confirm"), "different-1A!")
    qtbot.keyClick(dialog.line("confirm"), Qt.Key.Key_Return)
    assert dialog.fields["confirm"].error.text() == "The two passwords differ."
    dialog.line("confirm").clear()
    qtbot.keyClicks(dialog.line("confirm"), NEW_PASSWORD)
    qtbot.keyClick(dialog.line("confirm"), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: users.dialog is None, timeout=10000)
    qtbot.waitUntil(
        lambda: users.model.rows[users.model.row_of("assistant")].must_change_password,
        timeout=10000)
    _reactivate(qtbot, page)
    qtbot.keyClick(users.view.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: users.dialog is not None)
    roles = users.dialog
    assert roles is not None
    roles.roles.boxes["front_desk"].setChecked(True)
    roles.ok.click()
    qtbot.waitUntil(
        lambda: users.model.rows[users.model.row_of("assistant")].roles
        == ("front_desk", "medical_assistant"), timeout=10000)
    assert ("user.roles", "admin") in _actions(store)


def test_matrix_tab_shows_the_seven_roles(page: AdminPage) -> None:
    model = page.matrix.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["physician", "nurse", "medical assistant", "front desk", "biller",
                       "admin", "patient"]
    row = model.permissions.index("chart.sign")
    assert [model.index(row, c).data() for c in range(7)] == ["✓", "", "", "", "", "", ""]
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable


def test_audit_tab_filters_by_action(qtbot: QtBot, page: AdminPage) -> None:
    assert page.audit is not None
    audit = page.audit
    page.tabs.setCurrentWidget(audit.view)
    audit.view.action.setFocus()
    audit.view.action.lineEdit().clear()
    qtbot.keyClicks(audit.view.action.lineEdit(), "login")
    qtbot.keyClick(audit.view.action.lineEdit(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: audit.model.rowCount() > 0, timeout=10000)
    actions = {audit.model.index(r, 4).data() for r in range(audit.model.rowCount())}
    assert actions == {"login"}
    assert audit.view.status.text().startswith(f"{audit.model.rowCount()} entr")

    # a date range before anything happened finds nothing
    audit.view.start.setDate(QDate(2020, 1, 1))
    audit.view.end.setDate(QDate(2020, 1, 31))
    audit.view.search.click()
    qtbot.waitUntil(lambda: audit.model.rowCount() == 0, timeout=10000)

    # a bad patient id is said plainly
    audit.view.patient_id.setText("not-an-id")
    audit.view.search.click()
    qtbot.waitUntil(audit.view.error.isVisible, timeout=10000)
    assert audit.view.error.text() == "Patient id: not a valid patient id."


def test_audit_export_writes_csv_and_is_audited(
    qtbot: QtBot, context: AppContext, tmp_path: Path
) -> None:
    admin = sign_in(context.store, "admin")
    target = tmp_path / "export"
    page = AdminPage(context, admin, make_workspace(qtbot, context, admin))
    qtbot.addWidget(page)
    assert page.audit is not None
    page.audit._choose_path = lambda _parent: target
    page.audit.view.action.setCurrentText("login")
    page.audit.view.export.click()
    qtbot.waitUntil(lambda: page.audit.view.status.text().startswith("Exported"), timeout=10000)
    written = target.with_name("export.csv")
    rows = list(csv.DictReader(written.open(encoding="utf-8", newline="")))
    assert rows and {row["action"] for row in rows} == {"login"}
    assert all(len(row["entry_hash"]) == 64 for row in rows)
    assert not list(tmp_path.glob("*.part"))
    assert ("audit.export", "admin") in _actions(context.store)


def test_module_is_only_for_user_administrators(demo_store: Store) -> None:
    assert ADMIN in modules_for(sign_in(demo_store, "admin"))
    for username in ("physician", "nurse", "assistant", "frontdesk", "biller", "patient"):
        assert ADMIN not in modules_for(sign_in(demo_store, username))


def test_page_without_audit_read_has_no_audit_tab(qtbot: QtBot, context: AppContext) -> None:
    admin = sign_in(context.store, "admin")
    user_admin_only = Actor(
        user_id=admin.user_id, username=admin.username, display_name=admin.display_name,
        roles=admin.roles, permissions=frozenset({"user.admin"}), seat=admin.seat,
    )
    page = AdminPage(context, user_admin_only,
                     make_workspace(qtbot, context, user_admin_only))
    qtbot.addWidget(page)
    assert page.audit is None and page.tabs.count() == 2


def test_break_the_glass_report_lists_each_access_with_its_reason(
    qtbot: QtBot, context: AppContext
) -> None:
    store = context.store
    with store.read_session() as session:
        target = session.scalars(select(Patient.id).order_by(Patient.mrn).limit(1)).one()
    perform(store, sign_in(store, "admin"), set_privacy, patient_id=target, restricted=True)
    reason = "Covering for Dr Márquez; patient calling about results"
    perform(store, sign_in(store, "nurse"), open_patient, patient_id=target,
            break_glass_reason=reason)

    admin = sign_in(store, "admin")
    page = AdminPage(context, admin, make_workspace(qtbot, context, admin))
    qtbot.addWidget(page)
    report = page.break_glass
    assert report is not None and not report.view.action.isEnabled()
    qtbot.waitUntil(lambda: report.model.rowCount() == 1, timeout=10000)
    row = [report.model.index(0, column).data() for column in range(report.model.columnCount())]
    assert row[2] == "nurse" and row[4] == "break_glass"
    assert row[7] == str(target) and row[8] == reason


def test_roles_tab_requires_two_step_sign_in_per_role(qtbot: QtBot, page: AdminPage) -> None:
    boxes = page.role_mfa.view.boxes
    assert "patient" not in boxes
    qtbot.waitUntil(lambda: all(box.isEnabled() for box in boxes.values()), timeout=10000)
    assert not any(box.isChecked() for box in boxes.values())
    boxes["nurse"].setChecked(True)
    qtbot.waitUntil(lambda: "now required for the nurse role" in
                    page.role_mfa.view.status.text(), timeout=10000)
    store = page.users._context.store
    with store.read_session() as session:
        assert session.scalar(select(Role.mfa_required).where(Role.name == "nurse"))
        assert not session.scalar(select(Role.mfa_required).where(Role.name == "physician"))
    entry = _actions(store)[-1]
    assert entry == ("role.mfa_required", "admin")


def test_reset_two_step_needs_confirmation_and_clears_it(
    qtbot: QtBot, context: AppContext
) -> None:
    store = context.store
    nurse = sign_in(store, "nurse")
    with store.session() as session:
        secret = begin_enrolment(session, nurse).secret
    with store.session() as session:
        confirm_enrolment(session, nurse, code=pyotp.TOTP(secret).now())
    answers = [False, True]
    admin = sign_in(store, "admin")
    page = AdminPage(context, admin, make_workspace(qtbot, context, admin))
    page.users._confirm = lambda *_args: answers.pop(0)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.users.model.rowCount() == 7, timeout=10000)
    page.users.view.table.selectRow(page.users.model.row_of("nurse"))
    assert page.users.view.reset_mfa.isEnabled()
    column = next(i for i in range(page.users.model.columnCount())
                  if page.users.model.headerData(i, Qt.Orientation.Horizontal) ==
                  "Two-step sign-in")
    assert page.users.model.index(page.users.model.row_of("nurse"), column).data() == "On"

    page.users.reset_mfa()  # answered No
    page.users.reset_mfa()  # answered Yes
    nurse_row = page.users.model.row_of("nurse")
    qtbot.waitUntil(lambda: page.users.model.index(nurse_row, column).data() == "",
                    timeout=10000)
    assert not page.users.view.reset_mfa.isEnabled()
    with store.read_session() as session:
        assert not session.scalar(select(User.mfa_enabled).where(User.username == "nurse"))
    assert [a for a, _u in _actions(store)].count("user.mfa_reset") == 1


def test_record_privacy_restricts_a_record_found_by_mrn(
    qtbot: QtBot, context: AppContext
) -> None:
    admin = sign_in(context.store, "admin")
    page = AdminPage(context, admin, make_workspace(qtbot, context, admin))
    qtbot.addWidget(page)
    tab = page.record_privacy
    assert tab is not None and not tab.privacy.view.isEnabled()
    with context.store.read_session() as session:
        mrn = session.scalars(select(Patient.mrn).where(Patient.restricted.is_(False))
                              .order_by(Patient.mrn)).first()
    assert mrn is not None
    qtbot.keyClicks(tab.mrn, "NO-SUCH")
    qtbot.keyClick(tab.mrn, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "does not exist" in tab.found.text(), timeout=10_000)
    tab.mrn.clear()
    qtbot.keyClicks(tab.mrn, mrn)
    qtbot.keyClick(tab.mrn, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.privacy.view.status.text().startswith("Not restricted"),
                    timeout=10_000)
    assert tab.found.text() == f"Record MRN {mrn}", "the MRN only: no patient data"
    view = tab.privacy.view
    view.restricted.setChecked(True)
    qtbot.keyClicks(view.user, "physician")
    qtbot.keyClick(view.user, Qt.Key.Key_Return)
    view.save.click()
    qtbot.waitUntil(lambda: view.status.text().startswith("Restricted"), timeout=10_000)
    with context.store.read_session() as session:
        assert session.scalar(select(Patient.restricted).where(Patient.mrn == mrn))
    assert ("patient.privacy", "admin") in _actions(context.store)
