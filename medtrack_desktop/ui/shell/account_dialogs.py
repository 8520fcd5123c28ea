"""The signed-in user's own account: change their password, set up two-step sign-in.

Both reuse the sign-in dialog's steps (same fields, same messages) and run the service off the
GUI thread in a unit of work of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QStackedWidget, QVBoxLayout

from medtrack_desktop.domain.identity.accounts import change_password
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.mfa import MfaError, begin_enrolment, confirm_enrolment
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.shell.sign_in_steps import EnrolStep, NewPasswordStep, RecoveryCodesStep
from medtrack_desktop.ui.tasks import TaskRunner

_UNAVAILABLE = "This could not be done right now. Try again."


class _AccountDialog(QDialog):
    """A dialog with a stack of steps, one primary button (each subclass connects it to its own
    ``submit``), and a message line."""

    def __init__(self, *, title: str, store: Store, actor: Actor, tasks: TaskRunner,
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.store, self.actor, self.tasks = store, actor, tasks
        self.setWindowTitle(title)
        self.steps = QStackedWidget()
        self.error = QLabel(objectName="fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox()
        self.primary = self.buttons.addButton("&OK", QDialogButtonBox.ButtonRole.AcceptRole)
        self.primary.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.steps)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def show_error(self, message: str, focus: Any) -> None:
        self.error.setText(message)
        self.error.show()
        focus.setFocus()

    def run(self, job: Callable[[Any], Any], on_done: Callable[[Any], None],
            on_failed: Callable[[Exception], None]) -> None:
        """``job(session)`` in one unit of work, off the GUI thread."""
        store = self.store
        self.primary.setEnabled(False)

        def work(_progress: object, _cancelled: object) -> Any:
            with store.session() as session:
                return job(session)

        def done(result: Any) -> None:
            self.primary.setEnabled(True)
            on_done(result)

        def failed(error: Exception) -> None:
            self.primary.setEnabled(True)
            on_failed(error)

        self.tasks.start("account", work, on_done=done, on_failed=failed)


class ChangePasswordDialog(_AccountDialog):
    def __init__(self, *, store: Store, actor: Actor, tasks: TaskRunner,
                 parent: Any = None) -> None:
        super().__init__(title="Change password", store=store, actor=actor, tasks=tasks,
                         parent=parent)
        self.form = NewPasswordStep()
        self.steps.addWidget(self.form)
        self.primary.setText("&Change password")
        self.buttons.accepted.connect(self.submit)
        self.form.setFocus()

    def submit(self) -> None:
        form, actor = self.form, self.actor
        if problem := form.problem():
            self.show_error(*problem)
            return
        current, new = form.current.text(), form.new.text()
        self.run(lambda session: change_password(session, actor, current_password=current,
                                                 new_password=new),
                 lambda _none: self.accept(),
                 lambda error: self.show_error(*form.refusal(error, unavailable=_UNAVAILABLE)))


class TwoStepSetupDialog(_AccountDialog):
    """Shows a new authenticator key, confirms its first code, then the recovery codes."""

    def __init__(self, *, store: Store, actor: Actor, tasks: TaskRunner,
                 parent: Any = None) -> None:
        super().__init__(title="Set up two-step sign-in", store=store, actor=actor,
                         tasks=tasks, parent=parent)
        self.enrol = EnrolStep()
        self.codes = RecoveryCodesStep()
        self.steps.addWidget(self.enrol)
        self.steps.addWidget(self.codes)
        self.primary.setText("&Verify")
        self.buttons.accepted.connect(self.submit)
        self.enrol.setFocus()
        self.run(lambda session: begin_enrolment(session, actor), self.enrol.show_enrolment,
                 self._start_failed)

    def _start_failed(self, error: Exception) -> None:
        self.primary.setEnabled(False)
        self.show_error(str(error) if isinstance(error, MfaError) else _UNAVAILABLE,
                        self.buttons)

    def submit(self) -> None:
        if self.steps.currentWidget() is self.codes:
            if not self.codes.kept.isChecked():
                self.show_error("Tick the box once you have kept the codes.", self.codes.kept)
                return
            self.codes.forget()
            self.accept()
            return
        code, actor = self.enrol.code.text().strip(), self.actor
        if not code:
            self.show_error("Enter the code your authenticator app shows.", self.enrol.code)
            return
        self.run(lambda session: confirm_enrolment(session, actor, code=code), self._enrolled,
                 self._confirm_failed)

    def _confirm_failed(self, error: Exception) -> None:
        self.enrol.code.clear()
        self.show_error(str(error) if isinstance(error, MfaError) else _UNAVAILABLE,
                        self.enrol.code)

    def _enrolled(self, codes: list[str]) -> None:
        self.enrol.forget()
        self.codes.show_codes(codes)
        self.steps.setCurrentWidget(self.codes)
        self.primary.setText("&Done")
        self.error.hide()
        self.codes.setFocus()
