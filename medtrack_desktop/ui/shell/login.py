"""The sign-in dialog. The password check runs off the GUI thread (Argon2id takes a moment)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from medtrack_desktop.domain.identity.accounts import LoginOutcome
from medtrack_desktop.domain.identity.actor import Seat
from medtrack_desktop.ui.icons import app_icon
from medtrack_desktop.ui.tasks import TaskRunner

Attempt = Callable[[str, str], LoginOutcome]
_UNAVAILABLE = (
    "Sign-in is not possible right now. Try again; if it persists, call your administrator."
)


class LoginDialog(QDialog):
    """Asks for user name and password; emits ``sig_signed_in(actor)`` on success."""

    sig_signed_in = Signal(object)

    def __init__(self, *, seat: Seat, tasks: TaskRunner, attempt: Attempt) -> None:
        super().__init__()
        self._tasks, self._attempt = tasks, attempt
        self.setObjectName("loginDialog")
        self.setWindowTitle("MedTrack Desktop — Sign in")
        self.setWindowIcon(app_icon())

        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(QSize(64, 64)))
        title = QLabel("MedTrack Desktop", objectName="appTitle")
        where = QLabel(f"{seat.clinic_name} · {seat.workstation_name}", objectName="muted")
        self.username = QLineEdit()
        self.username.setAccessibleName("User name")
        self.username.setMaxLength(150)
        self.password = QLineEdit()
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setMaxLength(1024)
        self.error = QLabel(objectName="fieldError")
        self.error.setAccessibleName("Sign-in message")
        self.error.setWordWrap(True)
        self.error.hide()

        form = QFormLayout()
        form.addRow("&User name:", self.username)
        form.addRow("&Password:", self.password)
        self.buttons = QDialogButtonBox()
        self.sign_in = self.buttons.addButton("&Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_in.setDefault(True)
        quit_button = self.buttons.addButton("&Quit", QDialogButtonBox.ButtonRole.RejectRole)
        quit_button.setShortcut(QKeySequence("Ctrl+Q"))
        quit_button.setAutoDefault(False)  # Enter must never mean "quit"
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(10)
        layout.addWidget(logo, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(title, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(where, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.username.setFocus()

    def _show_error(self, message: str, *, focus: QLineEdit) -> None:
        self.error.setText(message)
        self.error.show()
        focus.setFocus()
        focus.selectAll()

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.username, self.password, self.sign_in):
            widget.setEnabled(not busy)
        self.sign_in.setText("Signing in…" if busy else "&Sign in")
        if not busy:
            self.sign_in.setDefault(True)

    def _submit(self) -> None:
        username, password = self.username.text().strip(), self.password.text()
        if not username:
            self._show_error("Enter your user name.", focus=self.username)
            return
        if not password:
            self._show_error("Enter your password.", focus=self.password)
            return
        self._set_busy(True)
        self._tasks.start(
            "sign-in",
            lambda _progress, _cancelled: self._attempt(username, password),
            on_done=self._finish,
            on_failed=lambda _exc: self._fail(_UNAVAILABLE),
        )

    def _finish(self, outcome: LoginOutcome) -> None:
        if outcome.ok:
            self.password.clear()
            self.sig_signed_in.emit(outcome.actor)
            self.accept()
            return
        self._fail(outcome.message or _UNAVAILABLE)

    def _fail(self, message: str) -> None:
        self._set_busy(False)
        self.password.clear()
        self._show_error(message, focus=self.password)
