"""The workstation lock over a real encrypted demo database: idle lock, Ctrl+L, unlock, switch."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.patients.access import open_patient
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.ui.shell.controller import ShellController
from medtrack_desktop.ui.shell.lock_screen import REFUSED, LockScreen
from medtrack_desktop.ui.shell.locking import WorkstationLocker
from medtrack_desktop.ui.shell.main_window import MainWindow

LONG = 600_000  # idle interval for tests that lock by hand
CTRL = Qt.KeyboardModifier.ControlModifier


def _sign_in(qtbot: QtBot, shell: ShellController, username: str = "physician") -> MainWindow:
    login = shell.login
    assert login is not None
    login.username.setText(username)
    login.password.setText(DEMO_PASSWORD)
    login.sign_in.click()
    qtbot.waitUntil(lambda: shell.window is not None and shell.window.isVisible(), timeout=20_000)
    assert shell.window is not None
    locker = shell.window.findChild(WorkstationLocker)
    qtbot.waitUntil(lambda: locker.settings is not None, timeout=10_000)
    return shell.window


def _audit(shell: ShellController, action: str) -> list[tuple[str, str | None, str | None]]:
    shell.tasks.wait(10_000)
    assert shell.context is not None
    with shell.context.store.read_session() as session:
        rows = session.execute(
            select(AuditEntry.outcome, AuditEntry.reason, AuditEntry.username)
            .where(AuditEntry.action == action).order_by(AuditEntry.seq)
        )
        return [tuple(row) for row in rows]


def _lock_screen(window: MainWindow) -> LockScreen:
    screen = window.lock_screen
    assert isinstance(screen, LockScreen)
    return screen


def _visible_label_texts(root: QWidget) -> set[str]:
    return {label.text() for label in root.findChildren(QLabel)
            if label.isVisibleTo(root) and label.text()}


def test_idle_time_locks_and_input_postpones_it(qtbot: QtBot, make_shell) -> None:
    shell = make_shell(600)
    window = _sign_in(qtbot, shell)
    for _ in range(12):  # 1.2 s of typing: never 600 ms without input
        qtbot.keyClick(window.nav, Qt.Key.Key_Down)
        qtbot.wait(100)
        assert not window.locked
    qtbot.waitUntil(lambda: window.locked, timeout=10_000)
    assert _audit(shell, "workstation.lock") == [("success", "idle", "physician")]


def test_lock_screen_shows_no_patient_data(qtbot: QtBot, make_shell) -> None:
    shell = make_shell(200)
    window = _sign_in(qtbot, shell)
    assert shell.context is not None
    with shell.context.store.read_session() as session:
        patient = session.scalars(select(Patient).limit(1)).one()
        name = f"{patient.first_name} {patient.last_name}"
    # An open patient in the context bar, and (standing in for a chart) in the module area.
    window.set_patient(perform(shell.context.store, window.actor, open_patient,
                               patient_id=patient.id))
    window.pages.currentWidget().findChild(QLabel, "pageTitle").setText(f"Chart — {name}")
    assert any(patient.last_name in text for text in _visible_label_texts(window))

    qtbot.waitUntil(lambda: window.locked, timeout=10_000)
    screen = _lock_screen(window)
    allowed = {"Workstation locked", "Elena Márquez", "Riverside Family Clinic · Exam 1"}
    assert {label.text() for label in screen.findChildren(QLabel) if label.text()} == allowed
    assert _visible_label_texts(window) == allowed, "nothing else on screen: no bar, no status"
    assert not window.menuBar().isVisible() and not window.statusBar().isVisible()
    assert window.screens.currentWidget() is screen
    assert patient.last_name not in window.windowTitle()
    assert window.windowTitle() == "MedTrack Desktop — Locked"
    assert screen.password.hasFocus()
    window.grab().save("/tmp/lock.png")


def test_ctrl_l_locks_at_once_and_shortcuts_are_dead_while_locked(
    qtbot: QtBot, make_shell
) -> None:
    shell = make_shell(LONG)
    window = _sign_in(qtbot, shell, "admin")  # two modules: Ctrl+1 and Ctrl+2
    assert "Ctrl+L\tLock workstation" in window.shortcut_lines()
    go_home = next(a for a in window.actions() if a.shortcut().toString() == "Ctrl+1")
    fired: list[bool] = []
    go_home.triggered.connect(lambda: fired.append(True))
    window.activateWindow()
    qtbot.keyClick(window.nav, Qt.Key.Key_1, CTRL)
    assert fired == [True], "Ctrl+1 works while unlocked"

    qtbot.keyClick(window.nav, Qt.Key.Key_L, CTRL)
    assert window.locked
    screen = _lock_screen(window)
    assert screen.password.hasFocus()
    assert not any(action.isEnabled() for action in window.actions())

    any_action: list[str] = []
    for action in window.actions():
        action.triggered.connect(lambda _=False, a=action: any_action.append(a.text()))
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_L, Qt.Key.Key_Q):
        qtbot.keyClick(screen.password, key, CTRL)
    qtbot.keyClick(screen.password, Qt.Key.Key_F1)
    assert fired == [True], "Ctrl+1 does nothing while locked"
    assert any_action == [] and window.locked
    assert window.screens.currentWidget() is screen
    assert screen.password.hasFocus()
    assert _audit(shell, "workstation.lock") == [("success", "manual", "admin")]


def test_wrong_password_stays_locked_right_password_unlocks(qtbot: QtBot, make_shell) -> None:
    shell = make_shell(LONG)
    window = _sign_in(qtbot, shell)
    qtbot.keyClick(window.nav, Qt.Key.Key_L, CTRL)
    screen = _lock_screen(window)

    qtbot.keyClicks(screen.password, "not-the-password")
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.error.isVisible() and screen.password.isEnabled(),
                    timeout=20_000)
    assert screen.error.text() == REFUSED
    assert window.locked and screen.password.text() == "" and screen.password.hasFocus()

    qtbot.keyClicks(screen.password, DEMO_PASSWORD)
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.locked, timeout=20_000)
    assert window.menuBar().isVisible() and window.statusBar().isVisible()
    assert all(action.isEnabled() for action in window.actions())
    assert window.windowTitle() == "MedTrack Desktop — Riverside Family Clinic"
    assert _audit(shell, "workstation.unlock") == [
        ("failure", "wrong password", "physician"), ("success", None, "physician"),
    ]


def test_switch_user_signs_out_and_closes_the_window(qtbot: QtBot, make_shell) -> None:
    shell = make_shell(LONG)
    window = _sign_in(qtbot, shell, "nurse")
    first_login = shell.login
    qtbot.keyClick(window.nav, Qt.Key.Key_L, CTRL)
    screen = _lock_screen(window)
    screen.switch_button.click()
    qtbot.waitUntil(lambda: shell.login is not first_login and shell.login is not None
                    and shell.login.isVisible(), timeout=20_000)
    qtbot.addWidget(shell.login)
    qtbot.waitUntil(lambda: not shiboken6.isValid(window), timeout=5_000)
    assert shell.window is None
    assert _audit(shell, "logout") == [("success", "switch user", "nurse")]

    second = _sign_in(qtbot, shell, "frontdesk")
    assert not second.locked
    assert second.user_label.text().startswith("User: ")
    assert "nurse" not in second.user_label.text().lower()


def test_idle_interval_comes_from_the_clinic_setting(qtbot: QtBot, make_shell) -> None:
    shell = make_shell(None)
    window = _sign_in(qtbot, shell)
    locker = window.findChild(WorkstationLocker)
    assert locker is not None
    qtbot.waitUntil(lambda: locker.idle is not None, timeout=10_000)
    assert locker.idle.interval_ms == 5 * 60_000 and locker.idle.active
    assert not window.locked


def test_idle_lock_closes_dialogs_left_open_over_the_window(qtbot: QtBot, make_shell) -> None:
    shell = make_shell(300)
    window = _sign_in(qtbot, shell)
    box = QMessageBox(QMessageBox.Icon.Information, "Patient", "A chart detail", parent=window)
    box.show()
    qtbot.waitUntil(lambda: window.locked, timeout=10_000)
    assert not box.isVisible()
