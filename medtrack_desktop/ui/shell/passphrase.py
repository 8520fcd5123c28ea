"""Asks for the passphrase that unwraps this workstation's database key (no OS keyring)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from medtrack_desktop.store.errors import StoreError
from medtrack_desktop.ui.icons import app_icon


class PassphraseDialog(QDialog):
    """``unlock(passphrase)`` must return the key or raise a StoreError whose text is shown."""

    def __init__(self, *, database_name: str, unlock: Callable[[str], bytes]) -> None:
        super().__init__()
        self._unlock = unlock
        self.key: bytes | None = None
        self.setObjectName("passphraseDialog")
        self.setWindowTitle("MedTrack Desktop — Unlock database")
        self.setWindowIcon(app_icon())
        intro = QLabel(
            f"The key of the database “{database_name}” is protected by a passphrase "
            "because this computer has no system keyring."
        )
        intro.setWordWrap(True)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Database passphrase")
        self.error = QLabel(objectName="fieldError")
        self.error.setAccessibleName("Passphrase message")
        self.error.hide()
        form = QFormLayout()
        form.addRow("&Passphrase:", self.passphrase)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Unlock")
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _submit(self) -> None:
        # Argon2id unwrapping takes a fraction of a second; the dialog is modal and nothing
        # else is on screen yet, so it runs here rather than through the task runner.
        try:
            self.key = self._unlock(self.passphrase.text())
        except StoreError as exc:
            self.error.setText(str(exc))
            self.error.show()
            self.passphrase.selectAll()
            self.passphrase.setFocus()
            return
        self.accept()
