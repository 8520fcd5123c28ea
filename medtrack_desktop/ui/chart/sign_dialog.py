"""The encounter editor's small forms: signing a note — the signer types their password again
(and a code from their authenticator when they use two-step sign-in) and says what the
signature means (21 CFR 11.50) — and adding a clinical note of another kind."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from medtrack_desktop.domain.chart.models import NOTE_TYPES, SIGNATURE_MEANINGS
from medtrack_desktop.domain.chart.signing import MEANING_TEXT
from medtrack_desktop.ui.widgets.list_tab import FormDialog


class SignDialog(FormDialog):
    """``password``, ``code`` (shown only when needed) and ``meaning``; ``sig_submit`` on OK."""

    def __init__(self, *, signer: str, what: str, code_required: bool, meaning: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(f"Sign {what}", "Sign", parent)
        attest = QLabel(
            f"Signing as {signer}. Once signed, the {what} and everything in it can no longer "
            "be changed; corrections are made as amendments.", wordWrap=True)
        self.form.addRow(attest)
        self.meaning = QComboBox()
        for value in SIGNATURE_MEANINGS:
            self.meaning.addItem(MEANING_TEXT[value].capitalize(), value)
        self.meaning.setCurrentIndex(SIGNATURE_MEANINGS.index(meaning))
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password.setMaxLength(256)
        self.code = QLineEdit(placeholderText="6 digits, or a recovery code")
        self.code.setMaxLength(32)
        self.add_row("meaning", "&Meaning:", self.meaning)
        self.add_row("password", "&Password:", self.password)
        if code_required:
            self.add_row("code", "&Code:", self.code)
        self.code_required = code_required
        self.password.setFocus()

    def signature_refused(self, message: str) -> None:
        """The service said no (wrong password or code): say so, clear them, try again."""
        self.set_busy(False)
        self.password.clear()
        self.code.clear()
        self.set_problem(message)
        self.password.setFocus()


class ClinicalNoteDialog(FormDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Add a note", "Add note", parent)
        self.note_type = QComboBox()
        for value in NOTE_TYPES:
            self.note_type.addItem(value.capitalize(), value)
        self.title = QLineEdit()
        self.title.setMaxLength(200)
        self.body = QPlainTextEdit()
        self.body.setTabChangesFocus(True)
        self.add_row("note_type", "&Kind:", self.note_type)
        self.add_row("title", "&Title:", self.title)
        self.add_row("body", "&Note:", self.body)
