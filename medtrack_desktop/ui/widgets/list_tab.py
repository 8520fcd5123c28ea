"""The pieces a list page is built of: a list with its actions above and its status below, a
small form dialog that shows problems at their fields, and keys that work inside one view."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.ui.service_calls import error_text, invalid_fields
from medtrack_desktop.ui.widgets.field_errors import FieldErrors
from medtrack_desktop.ui.widgets.tables import read_only_table


def tab_key(view: QWidget, key: QKeySequence | str, slot: Callable[[], None]) -> QShortcut:
    """A key that works while the focus is inside ``view`` (so Delete in a list never reaches
    a field of another tab or of the page)."""
    shortcut = QShortcut(QKeySequence(key), view, slot)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    return shortcut


class ListTabView(QWidget):
    """A tab's list: ``buttons`` above the table, a status line and an error line below."""

    def __init__(self, name: str, buttons: list[QPushButton]) -> None:
        super().__init__()
        self.table = read_only_table(name)
        row = QHBoxLayout()
        for button in buttons:
            button.setAutoDefault(False)
            row.addWidget(button)
        row.addStretch(1)
        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.setAccessibleName(f"{name} error")
        self.error.hide()
        self.status = QLabel(objectName="muted")
        self.status.setAccessibleName(f"{name} status")
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.status)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))


class FormDialog(QDialog):
    """A tab's small form: fields with their messages and OK / Cancel. ``sig_submit`` when
    OK is pressed; the tab's controller saves, then ``accept()``s or shows the problems."""

    sig_submit = Signal()

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.errors = FieldErrors()
        self.problem = QLabel(objectName="fieldError", wordWrap=True)
        self.problem.setAccessibleName("Problem")
        self.problem.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(ok_text)
        self.ok.setDefault(True)
        buttons.accepted.connect(self.sig_submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def add_row(self, key: str, label: str, widget: QWidget, shown: QWidget | None = None) -> None:
        self.errors.add_row(self.form, key, label, widget, shown)

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message at its field (the first focused); the rest above the buttons."""
        self.set_problem(" ".join(self.errors.show(errors).values()))

    def set_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))

    def set_busy(self, busy: bool) -> None:
        self.ok.setEnabled(not busy)

    def refused(self, error: Exception, *, doing: str) -> None:
        """A save the service refused: a validation error (``…Invalid.errors``) at its
        fields, anything else above the buttons. What was typed stays."""
        self.set_busy(False)
        if (errors := invalid_fields(error)) is not None:
            self.show_errors(errors)
        else:
            self.set_problem(error_text(error, doing=doing))
