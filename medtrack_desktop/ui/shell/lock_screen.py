"""The lock screen: covers the main window while its user is away. It shows no PHI — only who is
signed in, where, and how to come back. The password (and code) check runs off the GUI
thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.icons import app_icon
from medtrack_desktop.ui.tasks import TaskRunner

Attempt = Callable[[str, str | None], bool]
REFUSED = "The password is not correct, or the account is locked."
REFUSED_WITH_CODE = "The password or code is not correct, or the account is locked."
UNAVAILABLE = "Unlocking is not possible right now. Try again, or switch user."


class LockScreen(QWidget):
    """Emits ``sig_unlocked`` after the locked user's password is accepted, and
    ``sig_switch_user`` when someone else wants to sign in."""

    sig_unlocked = Signal()
    sig_switch_user = Signal()

    def __init__(
        self, *, actor: Actor, tasks: TaskRunner, attempt: Attempt, ask_code: bool = False
    ) -> None:
        super().__init__(objectName="lockScreen")
        self._tasks, self._attempt = tasks, attempt
        self.setAccessibleName("Workstation locked")
        seat = actor.seat

        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(QSize(64, 64)))
        title = QLabel("Workstation locked", objectName="appTitle")
        self.user = QLabel(actor.display_name, objectName="lockUser")
        where = QLabel(f"{seat.clinic_name} · {seat.workstation_name}", objectName="muted")
        self.password = QLineEdit()
        self.password.setAccessibleName("Password")
        self.password.setPlaceholderText("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setMaxLength(1024)
        self.password.returnPressed.connect(self._submit)
        self.code = QLineEdit()
        self.code.setAccessibleName("Authenticator code")
        self.code.setPlaceholderText("Code from your authenticator app")
        self.code.setMaxLength(32)
        self.code.returnPressed.connect(self._submit)
        self.code.setVisible(ask_code)
        self.error = QLabel(objectName="fieldError")
        self.error.setAccessibleName("Unlock message")
        self.error.setWordWrap(True)
        self.error.hide()
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._submit)
        self.switch_button = QPushButton("S&witch user")
        self.switch_button.clicked.connect(self.sig_switch_user)

        panel = QFrame(objectName="card")
        panel.setFixedWidth(380)
        column = QVBoxLayout(panel)
        column.setContentsMargins(28, 24, 28, 20)
        column.setSpacing(10)
        for widget in (logo, title, self.user, where):
            column.addWidget(widget, alignment=Qt.AlignmentFlag.AlignHCenter)
        column.addSpacing(8)
        column.addWidget(self.password)
        column.addWidget(self.code)
        column.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addWidget(self.switch_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        column.addLayout(buttons)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(panel, alignment=Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.setFocusProxy(self.password)

    def set_ask_code(self, ask: bool) -> None:
        self.code.setVisible(ask)

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.password, self.code, self.unlock_button, self.switch_button):
            widget.setEnabled(not busy)
        self.unlock_button.setText("Unlocking…" if busy else "&Unlock")

    def _submit(self) -> None:
        password = self.password.text()
        code = self.code.text().strip() if self.code.isVisibleTo(self) else None
        if not password:
            self._fail("Enter your password.")
            return
        self._set_busy(True)
        self._tasks.start(
            "unlock",
            lambda _progress, _cancelled: self._attempt(password, code or None),
            on_done=self._finish,
            on_failed=lambda _exc: self._fail(UNAVAILABLE),
        )

    def _finish(self, accepted: bool) -> None:
        if accepted:
            self.password.clear()
            self.code.clear()
            self.sig_unlocked.emit()
        else:
            self._fail(REFUSED_WITH_CODE if self.code.isVisibleTo(self) else REFUSED)

    def _fail(self, message: str) -> None:
        self._set_busy(False)
        self.password.clear()
        self.code.clear()
        self.error.setText(message)
        self.error.show()
        self.password.setFocus()
