"""The user's own account dialogs over a real demo database: password change, two-step set-up."""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.identity.accounts import authenticate
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.mfa import mfa_status
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.shell.account_dialogs import ChangePasswordDialog, TwoStepSetupDialog
from medtrack_desktop.ui.tasks import TaskRunner


@pytest.fixture
def tasks() -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.wait(10_000)


def _sign_in(store: Store, username: str, password: str = DEMO_PASSWORD) -> Actor | None:
    with store.session() as session:
        seat = current_seat(session)
        assert seat is not None
        return authenticate(session, seat=seat, username=username, password=password).actor


def test_change_password_checks_at_the_field_then_changes_it(
    qtbot: QtBot, demo_store: Store, tasks: TaskRunner
) -> None:
    actor = _sign_in(demo_store, "nurse")
    assert actor is not None
    dialog = ChangePasswordDialog(store=demo_store, actor=actor, tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    form = dialog.form

    def submit(current: str, new: str, repeat: str) -> None:
        form.current.setText(current)
        form.new.setText(new)
        form.repeat.setText(repeat)
        qtbot.keyClick(form.repeat, Qt.Key.Key_Return)
        qtbot.waitUntil(dialog.primary.isEnabled, timeout=10_000)

    submit("", "x", "x")
    assert dialog.error.text() == "Enter your current password." and form.current.hasFocus()
    submit(DEMO_PASSWORD, "Better!Pass-2027", "Better!Pass-2028")
    assert "differ" in dialog.error.text()
    submit(DEMO_PASSWORD, "alllowercase", "alllowercase")
    qtbot.waitUntil(lambda: dialog.error.text().startswith("New password:"), timeout=10_000)
    assert "upper-case" in dialog.error.text()
    submit("Not!The-Password1", "Better!Pass-2027", "Better!Pass-2027")
    qtbot.waitUntil(lambda: dialog.error.text().startswith("Current password:"),
                    timeout=10_000)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        submit(DEMO_PASSWORD, "Better!Pass-2027", "Better!Pass-2027")
    assert _sign_in(demo_store, "nurse", "Better!Pass-2027") is not None
    assert _sign_in(demo_store, "nurse") is None


def test_two_step_set_up_shows_the_key_then_the_recovery_codes(
    qtbot: QtBot, demo_store: Store, tasks: TaskRunner
) -> None:
    actor = _sign_in(demo_store, "physician")
    assert actor is not None
    dialog = TwoStepSetupDialog(store=demo_store, actor=actor, tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: bool(dialog.enrol.manual_key.text()), timeout=10_000)
    assert not dialog.enrol.qr.pixmap().isNull()
    totp = pyotp.TOTP(dialog.enrol.manual_key.text().replace(" ", ""))

    dialog.enrol.code.setText("12345")
    dialog.primary.click()
    qtbot.waitUntil(lambda: dialog.error.isVisible() and dialog.primary.isEnabled(),
                    timeout=10_000)
    assert dialog.error.text().startswith("Code:")
    dialog.enrol.code.setText(totp.now())
    dialog.primary.click()
    qtbot.waitUntil(lambda: dialog.steps.currentWidget() is dialog.codes, timeout=10_000)
    assert len(dialog.codes.codes.toPlainText().split()) == 10
    dialog.primary.click()
    assert dialog.isVisible() and "Tick the box" in dialog.error.text()
    dialog.codes.kept.setChecked(True)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.primary.click()
    with demo_store.read_session() as session:
        status = mfa_status(session, actor)
    assert status.enabled and status.recovery_codes_left == 10

    again = TwoStepSetupDialog(store=demo_store, actor=actor, tasks=tasks)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(again.error.isVisible, timeout=10_000)
    assert "already set up" in again.error.text() and not again.primary.isEnabled()
