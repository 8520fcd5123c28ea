"""Layout of the Find tab: one search box over its results. No logic: ``SearchPanel`` decides."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.ui.models.patient_matches import PatientMatchesModel
from medtrack_desktop.ui.widgets.tables import read_only_table

PLACEHOLDER = "Name, DOB, MRN, phone or SSN last 4"
_MOVES = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -10,
          Qt.Key.Key_PageDown: 10}


class SearchLineEdit(QLineEdit):
    """The search box keeps the focus while the arrows move through the results:
    ``sig_move(rows)`` for Up/Down (±1) and Page Up/Down (±10), ``sig_escape`` for Esc."""

    sig_move = Signal(int)
    sig_escape = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        if key in _MOVES and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.sig_move.emit(_MOVES[key])
        elif key == Qt.Key.Key_Escape and self.text():
            self.sig_escape.emit()
        else:
            super().keyPressEvent(event)


def patient_table(model: QAbstractItemModel, name: str) -> QTableView:
    """A read-only, whole-row-selecting table of patients (search results, the list)."""
    table = read_only_table(name, fit_contents=False)
    table.setModel(model)
    for column, width in enumerate((230, 110, 60, 80, 100, 130)):
        table.setColumnWidth(column, width)
    return table


class SearchPanelView(QWidget):
    def __init__(self, model: PatientMatchesModel) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 10, 8, 6)
        self.query = SearchLineEdit(placeholderText=PLACEHOLDER)
        self.query.setAccessibleName("Find patient")
        self.query.setToolTip("Type to search; Up/Down choose, Enter opens, Esc clears (Ctrl+F)")
        self.query.setClearButtonEnabled(True)
        self.query.setStyleSheet("padding: 5px; font-size: 12pt;")  # the page's main control
        layout.addWidget(self.query)
        self.heading = QLabel(objectName="sectionTitle")
        self.heading.setAccessibleName("Results heading")
        layout.addWidget(self.heading)
        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.setAccessibleName("Search error")
        self.error.hide()
        layout.addWidget(self.error)
        self.table = patient_table(model, "Patient matches")
        layout.addWidget(self.table, 1)
        self.status = QLabel(objectName="muted", wordWrap=True)
        self.status.setAccessibleName("Search status")
        layout.addWidget(self.status)
        self.setFocusProxy(self.query)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
