"""The sign-in dialog's later steps over a real demo database: second-factor code, recovery
code, set-up of an authenticator at sign-in, a forced password change, and unlock with a code."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
from demo_users import sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.accounts import authenticate, reset_password
from medtrack_desktop.domain.identity.mfa import (
    SIGN_IN_CODE_REFUSED,
    begin_enrolment,
    confirm_enrolment,
    set_role_mfa_required,
)
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.shell.controller import ShellController
from medtrack_desktop.ui.shell.lock_screen import LockScreen
from medtrack_desktop.ui.shell.locking import WorkstationLocker
from medtrack_desktop.ui.shell.login import LoginDialog

LONG = 600_000
SHOTS = Path(__file__).parent / "screenshots"  # written only when MEDTRACK_SCREENSHOTS is set


def _screenshot(widget: QWidget, name: str) -> None:
    """Keep a picture of a step for a person to look at (MEDTRACK_SCREENSHOTS=1)."""
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        SHOTS.mkdir(exist_ok=True)
        widget.grab().save(str(SHOTS / f"{name}.png"))


def _with_store(shell: ShellController) -> Store:
    assert shell.context is not None
    return shell.context.store



def _enrol(store: Store, username: str) -> tuple[pyotp.TOTP, list[str]]:
    actor = sign_in(store, username)
    with store.session() as session:
        totp = pyotp.TOTP(begin_enrolment(session, actor).secret)
    past = datetime.now(UTC) - timedelta(minutes=3)  # leave the current code unused
    with store.session() as session:
        codes = confirm_enrolment(session, actor, code=totp.at(past), now=past)
    return totp, codes


def _type_password(qtbot: QtBot, login: LoginDialog, username: str, password: str) -> None:
    login.username.setFocus()
    login.username.clear()
    qtbot.keyClicks(login.username, username)
    qtbot.keyClick(login.username, Qt.Key.Key_Tab)
    qtbot.keyClicks(login.password, password)
    qtbot.keyClick(login.password, Qt.Key.Key_Return)


def _wait_step(qtbot: QtBot, login: LoginDialog, step: object) -> None:
    qtbot.waitUntil(lambda: login.step is step and login.sign_in.isEnabled(), timeout=20_000)


def _signed_in(qtbot: QtBot, shell: ShellController) -> None:
    qtbot.waitUntil(lambda: shell.window is not None and shell.window.isVisible(),
                    timeout=20_000)


def _logins(store: Store) -> list[tuple[str, str, str | None]]:
    with store.read_session() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.username, AuditEntry.reason)
            .where(AuditEntry.action.in_(("login", "login.password", "login.mfa")))
            .order_by(AuditEntry.seq))
        return [tuple(row) for row in rows]


def _at_code_step(
    qtbot: QtBot, shell: ShellController, username: str
) -> tuple[LoginDialog, pyotp.TOTP, list[str]]:
    """``username`` enrolled in two-step sign-in, past the password step of the dialog."""
    totp, codes = _enrol(_with_store(shell), username)
    login = shell.login
    assert login is not None
    _type_password(qtbot, login, username, DEMO_PASSWORD)
    _wait_step(qtbot, login, login.code_step)
    return login, totp, codes


def test_an_enrolled_user_needs_the_code_after_the_password(
    qtbot: QtBot, make_shell: Callable[[int | None], ShellController]
) -> None:
    shell = make_shell(LONG)
    store = _with_store(shell)
    before = len(_logins(store)) + 1  # from the password step on (enrolment signs in once)
    login, totp, _codes = _at_code_step(qtbot, shell, "physician")
    assert shell.window is None, "no window before the second factor"
    assert login.code_step.code.hasFocus()
    assert login.back.isVisible()

    qtbot.keyClicks(login.code_step.code, "000000")
    qtbot.keyClick(login.code_step.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: login.error.isVisible() and login.sign_in.isEnabled(),
                    timeout=20_000)
    assert login.error.text() == SIGN_IN_CODE_REFUSED
    assert login.step is login.code_step and login.code_step.code.text() == ""

    qtbot.keyClicks(login.code_step.code, totp.now())
    qtbot.keyClick(login.code_step.code, Qt.Key.Key_Return)
    _signed_in(qtbot, shell)
    assert [(a, u, r) for a, u, r in _logins(store)[before:]] == [
        ("login.password", "physician", "second factor: code"),
        ("login.mfa", "physician", "wrong code"),
        ("login.mfa", "physician", "authenticator code"),
        ("login", "physician", "password + second factor"),
    ]


def test_escape_on_the_code_step_goes_back_and_a_recovery_code_works_once(
    qtbot: QtBot, make_shell: Callable[[int | None], ShellController]
) -> None:
    shell = make_shell(LONG)
    store = _with_store(shell)
    login, _totp, codes = _at_code_step(qtbot, shell, "nurse")
    qtbot.keyClick(login.code_step.code, Qt.Key.Key_Escape)
    assert login.step is login.credentials and login.isVisible(), "Escape goes back, not out"
    assert login.password.text() == "" and login.password.hasFocus()

    qtbot.keyClicks(login.password, DEMO_PASSWORD)
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    _wait_step(qtbot, login, login.code_step)
    qtbot.keyClicks(login.code_step.code, codes[0].upper())  # case and dash do not matter
    qtbot.keyClick(login.code_step.code, Qt.Key.Key_Return)
    _signed_in(qtbot, shell)
    assert _logins(store)[-2][2] == "recovery code"


def test_a_role_that_requires_mfa_enrols_the_user_at_sign_in(
    qtbot: QtBot, make_shell: Callable[[int | None], ShellController]
) -> None:
    shell = make_shell(LONG)
    store = _with_store(shell)
    with store.session() as session:
        set_role_mfa_required(session, sign_in(store, "admin"), role="front_desk", required=True)
    login = shell.login
    assert login is not None

    _type_password(qtbot, login, "frontdesk", DEMO_PASSWORD)
    _wait_step(qtbot, login, login.enrol_step)
    step = login.enrol_step
    pixmap = step.qr.pixmap()
    assert not pixmap.isNull() and pixmap.width() >= 100, "a scannable QR code is shown"
    secret = step.manual_key.text().replace(" ", "")
    assert len(secret) >= 16
    _screenshot(login, "sign-in-enrol")

    qtbot.keyClicks(step.code, "123456" if pyotp.TOTP(secret).now() != "123456" else "654321")
    qtbot.keyClick(step.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: login.error.isVisible() and login.sign_in.isEnabled(),
                    timeout=20_000)
    assert login.error.text().startswith("Code:")
    assert step.manual_key.text(), "the key stays up to try again"

    qtbot.keyClicks(step.code, pyotp.TOTP(secret).now())
    qtbot.keyClick(step.code, Qt.Key.Key_Return)
    _wait_step(qtbot, login, login.recovery_step)
    codes = login.recovery_step.codes.toPlainText().split()
    assert len(codes) == 10
    assert step.manual_key.text() == "" and step.qr.pixmap().isNull(), "key taken off screen"
    _screenshot(login, "sign-in-recovery-codes")

    login.sign_in.click()
    assert login.error.isVisible() and shell.window is None, "the codes must be acknowledged"
    login.recovery_step.kept.setChecked(True)
    login.sign_in.click()
    _signed_in(qtbot, shell)
    assert login.recovery_step.codes.toPlainText() == ""


def _at_password_change(qtbot: QtBot, shell: ShellController) -> LoginDialog:
    """The biller's password reset by the admin; the biller signs in with it."""
    store = _with_store(shell)
    with store.session() as session:
        reset_password(session, sign_in(store, "admin"), username="biller",
                       new_password="Temp0rary!Pass")
    login = shell.login
    assert login is not None
    _type_password(qtbot, login, "biller", "Temp0rary!Pass")
    _wait_step(qtbot, login, login.password_step)
    return login


def test_a_reset_password_must_be_changed_before_the_window_opens(
    qtbot: QtBot, make_shell: Callable[[int | None], ShellController]
) -> None:
    shell = make_shell(LONG)
    store = _with_store(shell)
    login = _at_password_change(qtbot, shell)
    step = login.password_step
    assert step.current.hasFocus() and shell.window is None

    def submit(current: str, new: str, repeat: str) -> None:
        for field, text in ((step.current, current), (step.new, new), (step.repeat, repeat)):
            field.setText(text)
        qtbot.keyClick(step.repeat, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: login.sign_in.isEnabled(), timeout=20_000)

    submit("Temp0rary!Pass", "N3w!Password-1", "N3w!Password-2")
    assert "differ" in login.error.text() and step.repeat.hasFocus()
    submit("Temp0rary!Pass", "short", "short")
    assert login.error.text().startswith("New password:")
    assert "at least 8 characters" in login.error.text() and step.new.hasFocus()
    submit("wrong-current-1A!", "N3w!Password-1", "N3w!Password-1")
    assert login.error.text().startswith("Current password:") and step.current.hasFocus()
    submit("Temp0rary!Pass", "N3w!Password-1", "N3w!Password-1")
    _signed_in(qtbot, shell)
    with store.session() as session:
        seat = current_seat(session)
        assert seat is not None
        again = authenticate(session, seat=seat, username="biller", password="N3w!Password-1")
    assert again.ok and not again.must_change_password


def test_quitting_at_the_password_change_signs_the_user_out(
    qtbot: QtBot, make_shell: Callable[[int | None], ShellController]
) -> None:
    shell = make_shell(LONG)
    store = _with_store(shell)
    login = _at_password_change(qtbot, shell)
    with qtbot.waitSignal(shell.sig_finished, timeout=20_000):
        qtbot.keyClick(login.password_step.current, Qt.Key.Key_Escape)
    shell.tasks.wait(10_000)
    with store.read_session() as session:
        last = session.execute(select(AuditEntry.action, AuditEntry.reason)
                               .order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert tuple(last) == ("logout", "password change not done")


def test_unlock_asks_the_code_of_a_user_with_two_step_sign_in(
    qtbot: QtBot, make_shell: Callable[[int | None], ShellController]
) -> None:
    shell = make_shell(LONG)
    login, totp, _codes = _at_code_step(qtbot, shell, "physician")
    first = totp.now()
    qtbot.keyClicks(login.code_step.code, first)
    qtbot.keyClick(login.code_step.code, Qt.Key.Key_Return)
    _signed_in(qtbot, shell)
    window = shell.window
    assert window is not None
    locker = window.findChild(WorkstationLocker)
    qtbot.waitUntil(lambda: locker.settings is not None, timeout=10_000)

    window.sig_lock_requested.emit()
    screen = window.lock_screen
    assert isinstance(screen, LockScreen) and screen.code.isVisibleTo(screen)
    screen.password.setText(DEMO_PASSWORD)
    screen.code.setText(first)  # already used at sign-in: a replay is refused
    qtbot.keyClick(screen.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.error.isVisible() and screen.password.isEnabled(),
                    timeout=20_000)
    assert window.locked
    screen.password.setText(DEMO_PASSWORD)
    later = datetime.now(UTC) + timedelta(seconds=30)  # the next step, inside the drift window
    screen.code.setText(totp.at(later))
    qtbot.keyClick(screen.code, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.locked, timeout=20_000)
