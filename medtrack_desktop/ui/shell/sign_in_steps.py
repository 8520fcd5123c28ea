"""The steps of the sign-in dialog after the password: a second-factor code, setting up an
authenticator (QR code and manual key), the recovery codes shown once, and a forced password
change. Each step lays out its fields and says which one has focus; the dialog decides."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.identity.accounts import AccountError
from medtrack_desktop.domain.identity.mfa import Enrolment
from medtrack_desktop.domain.identity.policy import PasswordRejected


def _intro(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def _code_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setAccessibleName(name)
    field.setMaxLength(32)  # a 6-digit code, or a recovery code such as "abcde-fghjk"
    field.setInputMethodHints(Qt.InputMethodHint.ImhNoPredictiveText)
    return field


def _monospace() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class CodeStep(QWidget):
    """Asks for the authenticator's 6-digit code, or one of the user's recovery codes."""

    def __init__(self) -> None:
        super().__init__()
        self.code = _code_field("Authenticator code")
        self.code.setPlaceholderText("123456")
        form = QFormLayout()
        form.addRow("&Code:", self.code)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_intro(
            "Enter the 6-digit code your authenticator app shows now. Without your phone, "
            "enter one of your recovery codes instead."
        ))
        layout.addLayout(form)
        self.setFocusProxy(self.code)


class EnrolStep(QWidget):
    """Shows a new authenticator key as a QR code and as text, and asks for its first code."""

    def __init__(self) -> None:
        super().__init__()
        self.qr = QLabel()
        self.qr.setAccessibleName("QR code of the authenticator key")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.manual_key = QLabel()
        self.manual_key.setAccessibleName("Authenticator key to type by hand")
        self.manual_key.setFont(_monospace())
        self.manual_key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code = _code_field("First code from the authenticator")
        self.code.setPlaceholderText("123456")
        form = QFormLayout()
        form.addRow("Key:", self.manual_key)
        form.addRow("&Code:", self.code)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_intro(
            "Your role requires two-step sign-in. Scan this code with an authenticator app "
            "(or type the key into it), then enter the 6-digit code the app shows."
        ))
        layout.addWidget(self.qr)
        layout.addLayout(form)
        self.setFocusProxy(self.code)

    def show_enrolment(self, enrolment: Enrolment) -> None:
        pixmap = QPixmap()
        pixmap.loadFromData(enrolment.qr_png(scale=5), "PNG")
        self.qr.setPixmap(pixmap)
        self.manual_key.setText(enrolment.manual_key)
        self.code.clear()

    def forget(self) -> None:
        """Take the key off the screen once it is no longer needed."""
        self.qr.clear()
        self.manual_key.clear()


class RecoveryCodesStep(QWidget):
    """Shows the new recovery codes once; going on needs the user to say they kept them."""

    def __init__(self) -> None:
        super().__init__()
        self.codes = QPlainTextEdit()
        self.codes.setAccessibleName("Recovery codes")
        self.codes.setReadOnly(True)
        self.codes.setFont(_monospace())
        self.codes.setFixedHeight(self.codes.fontMetrics().lineSpacing() * 11)
        self.kept = QCheckBox("I have written these codes down and will keep them safe")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_intro(
            "Two-step sign-in is on. Write these recovery codes down and keep them away from "
            "this computer: each one lets you sign in once without your phone. They are not "
            "shown again."
        ))
        layout.addWidget(self.codes)
        layout.addWidget(self.kept)
        self.setFocusProxy(self.kept)

    def show_codes(self, codes: list[str]) -> None:
        self.codes.setPlainText("\n".join(codes))
        self.kept.setChecked(False)

    def forget(self) -> None:
        self.codes.clear()


class NewPasswordStep(QWidget):
    """A password the user must change now (reset by an administrator, or expired)."""

    def __init__(self) -> None:
        super().__init__()
        self.current = self._password_field("Current password")
        self.new = self._password_field("New password")
        self.repeat = self._password_field("Repeat the new password")
        form = QFormLayout()
        form.addRow("C&urrent password:", self.current)
        form.addRow("&New password:", self.new)
        form.addRow("&Repeat:", self.repeat)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_intro(
            "Your password must be changed before you go on. Use at least 8 characters with "
            "upper and lower case letters, a digit and a special character."
        ))
        layout.addLayout(form)
        self.setFocusProxy(self.current)

    @staticmethod
    def _password_field(name: str) -> QLineEdit:
        field = QLineEdit()
        field.setAccessibleName(name)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setMaxLength(1024)
        return field

    def clear(self) -> None:
        for field in (self.current, self.new, self.repeat):
            field.clear()

    def problem(self) -> tuple[str, QLineEdit] | None:
        """What to fix before the change is sent, and the field to fix it in."""
        if not self.current.text():
            return "Enter your current password.", self.current
        if not self.new.text():
            return "Enter a new password.", self.new
        if self.new.text() != self.repeat.text():
            self.repeat.clear()
            return "The two new passwords differ; type it again.", self.repeat
        return None

    def refusal(self, error: Exception, *, unavailable: str) -> tuple[str, QLineEdit]:
        """The service's refusal as a message at the field it concerns (cleared for retyping)."""
        if isinstance(error, PasswordRejected):
            self.repeat.clear()
            return str(error).replace("Password:", "New password:", 1), self.new
        if isinstance(error, AccountError):
            field = self.current if str(error).startswith("Current") else self.new
            field.clear()
            return str(error), field
        return unavailable, self.current
