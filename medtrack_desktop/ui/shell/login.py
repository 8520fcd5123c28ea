"""The sign-in dialog: password, then (when the user or a role needs it) a second-factor code or
the set-up of an authenticator, then a forced password change if one is due. Every check runs off
the GUI thread (Argon2id takes a moment); no actor leaves the dialog before every step passed.
Escape on a later step goes back to the password; on the first it quits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.identity.accounts import LoginOutcome, PendingSignIn
from medtrack_desktop.domain.identity.actor import Actor, Seat
from medtrack_desktop.domain.identity.mfa import Enrolment, MfaError
from medtrack_desktop.ui.icons import app_icon
from medtrack_desktop.ui.shell.sign_in_steps import (
    CodeStep,
    EnrolStep,
    NewPasswordStep,
    RecoveryCodesStep,
)
from medtrack_desktop.ui.tasks import TaskRunner

_UNAVAILABLE = (
    "Sign-in is not possible right now. Try again; if it persists, call your administrator."
)


@dataclass(frozen=True)
class SignInCalls:
    """The services the dialog needs, each run in its own unit of work by the caller."""

    password: Callable[[str, str], LoginOutcome]
    code: Callable[[PendingSignIn, str], LoginOutcome]
    begin_enrolment: Callable[[PendingSignIn], Enrolment]
    confirm_enrolment: Callable[[PendingSignIn, str], tuple[LoginOutcome, list[str]]]
    change_password: Callable[[Actor, str, str], None]


class LoginDialog(QDialog):
    """Emits ``sig_signed_in(actor)`` once every step passed. ``admitted`` holds an actor that
    was let in but has not finished (a password change is due): the caller signs it out if the
    dialog is left there."""

    sig_signed_in = Signal(object)

    def __init__(self, *, seat: Seat, tasks: TaskRunner, calls: SignInCalls) -> None:
        super().__init__()
        self._tasks, self._calls = tasks, calls
        self._pending: PendingSignIn | None = None
        self._outcome: LoginOutcome | None = None
        self.admitted: Actor | None = None
        self.setObjectName("loginDialog")
        self.setWindowTitle("MedTrack Desktop — Sign in")
        self.setWindowIcon(app_icon())

        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(QSize(64, 64)))
        title = QLabel("MedTrack Desktop", objectName="appTitle")
        where = QLabel(f"{seat.clinic_name} · {seat.workstation_name}", objectName="muted")

        self.credentials = QWidget()
        self.username = QLineEdit()
        self.username.setAccessibleName("User name")
        self.username.setMaxLength(150)
        self.password = QLineEdit()
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setMaxLength(1024)
        form = QFormLayout(self.credentials)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&User name:", self.username)
        form.addRow("&Password:", self.password)

        self.code_step = CodeStep()
        self.enrol_step = EnrolStep()
        self.recovery_step = RecoveryCodesStep()
        self.password_step = NewPasswordStep()
        self.steps = QStackedWidget()
        for step in (self.credentials, self.code_step, self.enrol_step, self.recovery_step,
                     self.password_step):
            self.steps.addWidget(step)

        self.error = QLabel(objectName="fieldError")
        self.error.setAccessibleName("Sign-in message")
        self.error.setWordWrap(True)
        self.error.hide()

        self.buttons = QDialogButtonBox()
        self.sign_in = self.buttons.addButton("&Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_in.setDefault(True)
        self.back = self.buttons.addButton("&Back", QDialogButtonBox.ButtonRole.ResetRole)
        self.back.setAutoDefault(False)
        self.back.clicked.connect(self.start_over)
        quit_button = self.buttons.addButton("&Quit", QDialogButtonBox.ButtonRole.RejectRole)
        quit_button.setShortcut(QKeySequence("Ctrl+Q"))
        quit_button.setAutoDefault(False)  # Enter must never mean "quit"
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.quit)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(10)
        layout.addWidget(logo, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(title, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(where, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(8)
        layout.addWidget(self.steps)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._show_step(self.credentials)

    # -- steps ---------------------------------------------------------------------------------

    @property
    def step(self) -> QWidget:
        return self.steps.currentWidget()

    def _show_step(self, step: QWidget, *, message: str | None = None) -> None:
        self.steps.setCurrentWidget(step)
        labels = {self.credentials: "&Sign in", self.code_step: "&Verify",
                  self.enrol_step: "&Verify", self.recovery_step: "&Continue",
                  self.password_step: "&Change password"}
        self._primary_text = labels[step]
        self.sign_in.setText(self._primary_text)
        self.back.setVisible(step in (self.code_step, self.enrol_step))
        self.error.setVisible(message is not None)
        self.error.setText(message or "")
        self.adjustSize()
        if step is self.credentials:
            (self.password if self.username.text() else self.username).setFocus()
        else:
            step.setFocus()

    def start_over(self, message: str | None = None) -> None:
        """Back to user name and password; whatever was pending is dropped."""
        self._pending = self._outcome = None
        self.enrol_step.forget()
        self.recovery_step.forget()
        self.password.clear()
        self._show_step(self.credentials, message=message)

    def reject(self) -> None:  # Escape
        if self.step in (self.code_step, self.enrol_step):
            self.start_over()
        else:
            self.quit()

    def quit(self) -> None:
        super().reject()

    # -- running a check ------------------------------------------------------------------------

    def _show_error(self, message: str, focus: QLineEdit) -> None:
        self.error.setText(message)
        self.error.show()
        focus.setFocus()
        focus.selectAll()

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.steps, self.sign_in, self.back):
            widget.setEnabled(not busy)
        self.sign_in.setText("Checking…" if busy else self._primary_text)
        if not busy:
            self.sign_in.setDefault(True)

    def _run(self, name: str, job: Callable[[], Any], on_done: Callable[[Any], None],
             on_failed: Callable[[Exception], None]) -> None:
        self._set_busy(True)

        def done(result: Any) -> None:
            self._set_busy(False)
            on_done(result)

        def failed(exc: Exception) -> None:
            self._set_busy(False)
            on_failed(exc)

        self._tasks.start(name, lambda _progress, _cancelled: job(), on_done=done,
                          on_failed=failed)

    def _submit(self) -> None:
        {self.credentials: self._submit_password, self.code_step: self._submit_code,
         self.enrol_step: self._submit_enrolment, self.recovery_step: self._submit_kept_codes,
         self.password_step: self._submit_new_password}[self.step]()

    # -- password -------------------------------------------------------------------------------

    def _submit_password(self) -> None:
        username, password = self.username.text().strip(), self.password.text()
        if not username:
            self._show_error("Enter your user name.", self.username)
            return
        if not password:
            self._show_error("Enter your password.", self.password)
            return
        self._run("sign-in", lambda: self._calls.password(username, password),
                  self._after_password, lambda _exc: self._password_failed(_UNAVAILABLE))

    def _password_failed(self, message: str) -> None:
        self.password.clear()
        self._show_error(message, self.password)

    def _after_password(self, outcome: LoginOutcome) -> None:
        self.password.clear()
        if outcome.ok:
            self._admitted(outcome)
        elif outcome.pending is not None and outcome.pending.step == "code":
            self._pending = outcome.pending
            self.code_step.code.clear()
            self._show_step(self.code_step)
        elif outcome.pending is not None:
            self._pending = outcome.pending
            pending = outcome.pending
            self._run("mfa-enrol", lambda: self._calls.begin_enrolment(pending),
                      self._show_enrolment, self._second_step_failed)
        else:
            self._password_failed(outcome.message or _UNAVAILABLE)

    # -- second factor ------------------------------------------------------------------------

    def _second_step_failed(self, exc: Exception) -> None:
        self.start_over(str(exc) if isinstance(exc, MfaError) else _UNAVAILABLE)

    def _show_enrolment(self, enrolment: Enrolment) -> None:
        self.enrol_step.show_enrolment(enrolment)
        self._show_step(self.enrol_step)

    def _submit_code(self) -> None:
        code, pending = self.code_step.code.text().strip(), self._pending
        if not code:
            self._show_error("Enter the code.", self.code_step.code)
            return
        assert pending is not None
        self._run("sign-in-code", lambda: self._calls.code(pending, code), self._after_code,
                  self._second_step_failed)

    def _after_code(self, outcome: LoginOutcome) -> None:
        if outcome.ok:
            self._admitted(outcome)
        elif outcome.pending is not None:
            self.code_step.code.clear()
            self._show_error(outcome.message or _UNAVAILABLE, self.code_step.code)
        else:
            self.start_over(outcome.message)

    def _submit_enrolment(self) -> None:
        code, pending = self.enrol_step.code.text().strip(), self._pending
        if not code:
            self._show_error("Enter the code your authenticator app shows.",
                             self.enrol_step.code)
            return
        assert pending is not None
        self._run("mfa-confirm", lambda: self._calls.confirm_enrolment(pending, code),
                  self._after_enrolment, self._enrolment_failed)

    def _enrolment_failed(self, exc: Exception) -> None:
        if isinstance(exc, MfaError) and str(exc).startswith("Code:"):
            self.enrol_step.code.clear()
            self._show_error(str(exc), self.enrol_step.code)
        else:
            self._second_step_failed(exc)

    def _after_enrolment(self, result: tuple[LoginOutcome, list[str]]) -> None:
        outcome, codes = result
        self._outcome, self._pending = outcome, None
        if outcome.actor is not None:
            self.admitted = outcome.actor
        self.enrol_step.forget()
        self.recovery_step.show_codes(codes)
        self._show_step(self.recovery_step)

    def _submit_kept_codes(self) -> None:
        if not self.recovery_step.kept.isChecked():
            self.error.setText("Tick the box once you have kept the codes.")
            self.error.show()
            self.recovery_step.kept.setFocus()
            return
        assert self._outcome is not None
        self.recovery_step.forget()
        self._admitted(self._outcome)

    # -- admitted ----------------------------------------------------------------------------

    def _admitted(self, outcome: LoginOutcome) -> None:
        assert outcome.actor is not None
        self.admitted = outcome.actor
        if outcome.must_change_password:
            self.password_step.clear()
            self._show_step(self.password_step)
            return
        self._finish(outcome.actor)

    def _finish(self, actor: Actor) -> None:
        self.admitted = None
        self.sig_signed_in.emit(actor)
        self.accept()

    def _submit_new_password(self) -> None:
        step = self.password_step
        if problem := step.problem():
            self._show_error(*problem)
            return
        actor, current, new = self.admitted, step.current.text(), step.new.text()
        assert actor is not None
        self._run("password-change", lambda: self._calls.change_password(actor, current, new),
                  lambda _none: self._finish(actor),
                  lambda exc: self._show_error(*step.refusal(exc, unavailable=_UNAVAILABLE)))
