"""Asks why a user outside a restricted record's care team needs it now (break the glass)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.patients.access import BreakGlassReasonError, clean_reason


class BreakGlassDialog(QDialog):
    """``reason`` holds the checked reason once the user chose to open the record."""

    def __init__(self, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reason: str | None = None
        self.setWindowTitle("Restricted record")
        intro = QLabel(message)
        intro.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Reason for opening the restricted record")
        self.text.setPlaceholderText("e.g. Covering for the patient's physician; urgent call")
        self.text.setTabChangesFocus(True)
        self.text.setFixedHeight(self.text.fontMetrics().lineSpacing() * 5)
        self.error = QLabel(objectName="fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox()
        self.open_button = buttons.addButton("&Open record",
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(QLabel("&Reason:", buddy=self.text))
        layout.addWidget(self.text)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.text.setFocus()

    def _submit(self) -> None:
        try:
            self.reason = clean_reason(self.text.toPlainText())
        except BreakGlassReasonError as error:
            self.error.setText(str(error))
            self.error.show()
            self.text.setFocus()
            return
        self.accept()
