"""The shell over a real encrypted demo database: sign-in by keyboard, errors, sign-out."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from keyring.backends.fail import Keyring as NoKeyring
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from ui_support import when_passphrase_asked

from medtrack_desktop.config import Settings
from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.accounts import LOGIN_FAILED_MESSAGE
from medtrack_desktop.store.keys import KeyStore, WrappedKey, key_file_path
from medtrack_desktop.ui.shell.controller import ShellController
from medtrack_desktop.ui.shell.passphrase import PassphraseDialog
from medtrack_desktop.ui.tasks import TaskRunner


def _controller(
    path: Path, keys: KeyStore, errors: list[str], tmp_path: Path
) -> ShellController:
    settings = Settings(
        data_dir=tmp_path, db_path=path, backup_dir=tmp_path / "backups", demo=False
    )
    return ShellController(
        settings=settings, keys=keys, tasks=TaskRunner(), show_error=errors.append
    )


@pytest.fixture
def shell(qtbot: QtBot, demo_db: tuple[Path, bytes], tmp_path: Path):
    path, key = demo_db
    errors: list[str] = []
    controller = _controller(
        path, KeyStore(keyring_backend=NoKeyring(), environ={"MEDTRACK_DB_KEY": key.hex()}),
        errors, tmp_path,
    )
    controller.start()
    assert errors == []
    assert controller.login is not None
    qtbot.addWidget(controller.login)
    yield controller
    controller.tasks.wait(5000)
    if controller.window is not None:
        controller.window.close()
    if controller.context is not None:
        controller.context.store.close()


def _type_credentials(qtbot: QtBot, controller: ShellController, username: str, password: str):
    login = controller.login
    assert login is not None
    login.activateWindow()
    qtbot.waitUntil(lambda: login.username.hasFocus())
    qtbot.keyClicks(QApplication.focusWidget(), username)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert login.password.hasFocus()
    qtbot.keyClicks(QApplication.focusWidget(), password)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def _audit_actions(controller: ShellController) -> list[tuple[str, str, str | None]]:
    assert controller.context is not None
    with controller.context.store.read_session() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.outcome, AuditEntry.username).order_by(
                AuditEntry.seq
            )
        )
        return [tuple(row) for row in rows]


def test_sign_in_by_keyboard_shows_user_and_clinic(qtbot: QtBot, shell: ShellController) -> None:
    login = shell.login
    assert login is not None and login.isVisible()
    assert login.windowTitle() == "MedTrack Desktop — Sign in"

    _type_credentials(qtbot, shell, "physician", DEMO_PASSWORD)

    qtbot.waitUntil(lambda: shell.window is not None and shell.window.isVisible(), timeout=10000)
    window = shell.window
    assert window is not None
    qtbot.addWidget(window)
    assert not login.isVisible()
    assert window.user_label.text() == "User: Elena Márquez (physician)"
    assert window.clinic_label.text() == "Clinic: Riverside Family Clinic"
    assert window.workstation_label.text() == "Workstation: Exam 1"
    assert window.patient_bar.summary_text == "No patient selected"
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
        "Home", "Patients", "Chart", "Calendar", "Front desk", "Sync conflicts"]
    assert "Welcome, Elena Márquez" in window.pages.currentWidget().findChild(
        type(window.user_label), "pageTitle"
    ).text()
    assert ("login", "success", "physician") in _audit_actions(shell)


def test_wrong_password_and_unknown_user_get_the_same_message(
    qtbot: QtBot, shell: ShellController
) -> None:
    login = shell.login
    assert login is not None
    _type_credentials(qtbot, shell, "physician", "not-the-password")
    qtbot.waitUntil(lambda: login.error.isVisible() and login.sign_in.isEnabled(), timeout=10000)
    assert login.error.text() == LOGIN_FAILED_MESSAGE
    assert login.password.text() == ""
    assert login.password.hasFocus()
    assert login.sign_in.isDefault(), "Enter must sign in again, never quit"

    login.username.clear()
    login.username.setFocus()
    qtbot.keyClicks(login.username, "nobody-here")
    qtbot.keyClick(login.username, Qt.Key.Key_Tab)
    qtbot.keyClicks(login.password, "whatever-1A!")
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: login.sign_in.isEnabled(), timeout=10000)
    assert login.error.text() == LOGIN_FAILED_MESSAGE
    assert shell.window is None

    failures = [row for row in _audit_actions(shell) if row[:2] == ("login", "failure")]
    assert [row[2] for row in failures] == ["physician", "nobody-here"]


def test_empty_fields_are_refused_at_the_field(qtbot: QtBot, shell: ShellController) -> None:
    login = shell.login
    assert login is not None
    qtbot.keyClick(login.username, Qt.Key.Key_Return)
    assert login.error.text() == "Enter your user name."
    assert login.username.hasFocus()
    qtbot.keyClicks(login.username, "nurse")
    qtbot.keyClick(login.username, Qt.Key.Key_Return)
    assert login.error.text() == "Enter your password."
    assert login.password.hasFocus()


def test_sign_out_returns_to_sign_in_and_is_audited(qtbot: QtBot, shell: ShellController) -> None:
    _type_credentials(qtbot, shell, "frontdesk", DEMO_PASSWORD)
    qtbot.waitUntil(lambda: shell.window is not None and shell.window.isVisible(), timeout=10000)
    window = shell.window
    assert window is not None
    # the session's long-lived objects are kept out of full collections while signed in
    assert gc.get_freeze_count() > 0
    first_login = shell.login
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(
        lambda: shell.login is not first_login and shell.login is not None
        and shell.login.isVisible(), timeout=10000,
    )
    assert not window.isVisible()
    assert ("logout", "success", "frontdesk") in _audit_actions(shell)
    assert gc.get_freeze_count() == 0, "signed out: the old window may be collected"


def test_every_main_window_action_has_a_listed_shortcut(
    qtbot: QtBot, shell: ShellController
) -> None:
    _type_credentials(qtbot, shell, "admin", DEMO_PASSWORD)
    qtbot.waitUntil(lambda: shell.window is not None, timeout=10000)
    window = shell.window
    assert window is not None
    lines = window.shortcut_lines()
    for expected in ("Ctrl+1\tHome", "F1\tKeyboard shortcuts", "Ctrl+Q\tQuit",
                     "Ctrl+Shift+Q\tSign out"):
        assert expected in lines


def test_wrong_key_is_reported_and_nothing_opens(
    qtbot: QtBot, demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, _key = demo_db
    before = path.read_bytes()
    errors: list[str] = []
    controller = _controller(
        path, KeyStore(keyring_backend=NoKeyring(), environ={"MEDTRACK_DB_KEY": "ab" * 32}),
        errors, tmp_path,
    )
    controller.start()
    assert len(errors) == 1 and "wrong key" in errors[0]
    assert controller.login is None and controller.exit_code == 1
    assert path.read_bytes() == before


def test_missing_database_says_how_to_create_one(qtbot: QtBot, tmp_path: Path) -> None:
    errors: list[str] = []
    controller = _controller(tmp_path / "none.db", KeyStore(keyring_backend=NoKeyring(),
                             environ={}), errors, tmp_path)
    controller.start()
    assert len(errors) == 1
    assert "medtrack-admin init" in errors[0] and "--demo" in errors[0]


def test_passphrase_dialog_unlocks_a_key_file(
    qtbot: QtBot, demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    WrappedKey.wrap(key, "correct horse battery").write(key_file_path(path))
    errors: list[str] = []
    controller = _controller(path, KeyStore(keyring_backend=NoKeyring(), environ={}), errors,
                             tmp_path)
    seen: dict[str, str] = {}

    def answer(dialog: PassphraseDialog) -> None:
        qtbot.keyClicks(dialog.passphrase, "wrong passphrase")
        qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
        seen["error"] = dialog.error.text()
        dialog.passphrase.clear()
        qtbot.keyClicks(dialog.passphrase, "correct horse battery")
        qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)

    when_passphrase_asked(answer)
    controller.start()
    try:
        assert errors == []
        assert seen["error"] == "The passphrase is not correct."
        assert controller.login is not None and controller.login.isVisible()
        assert controller.context is not None
        assert controller.context.database.key_source == "key file"
    finally:
        if controller.login is not None:
            controller.login.close()
        if controller.context is not None:
            controller.context.store.close()
