"""The duplicate warning shown before a new patient is saved: the likely matches, and a choice
between opening one of them (nothing is registered) and registering a new patient anyway.
"Open existing" is the default, so Enter never creates a second chart by accident."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.patients.duplicates import DuplicateCandidate
from medtrack_desktop.ui.models.patient_rows import DuplicatesTableModel


class DuplicatesDialog(QDialog):
    """``sig_open_existing(candidate id)`` or ``sig_register_new()``; closing it (Esc) goes
    back to the form with nothing saved."""

    sig_open_existing = Signal(object)
    sig_register_new = Signal()

    def __init__(self, candidates: Sequence[DuplicateCandidate],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Possible duplicate")
        self.setMinimumWidth(720)
        heading = QLabel("This may be a patient we already have", objectName="sectionTitle")
        count = len(candidates)
        intro = QLabel(
            ("This record looks" if count == 1 else f"These {count} records look")
            + " like the patient you are registering. Open the right one instead of "
            "registering the same person twice; register a new patient only if none is them.",
            wordWrap=True)
        self.model = DuplicatesTableModel()
        self.model.setParent(self)
        self.model.set_rows(candidates)
        self.table = QTableView()
        self.table.setAccessibleName("Possible duplicates")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.selectRow(0)
        self.table.doubleClicked.connect(self._open)

        buttons = QDialogButtonBox()
        self.open_existing = buttons.addButton("&Open existing",
                                               QDialogButtonBox.ButtonRole.AcceptRole)
        self.register_new = buttons.addButton("Register as &new",
                                              QDialogButtonBox.ButtonRole.ActionRole)
        self.back = buttons.addButton("&Back to the form", QDialogButtonBox.ButtonRole.RejectRole)
        self.open_existing.setDefault(True)
        self.open_existing.clicked.connect(self._open)
        self.register_new.clicked.connect(self._register)
        self.back.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.table.setFocus()

    def _open(self) -> None:
        chosen = self.model.row_at(max(self.table.currentIndex().row(), 0))
        if chosen is not None:
            self.accept()
            self.sig_open_existing.emit(chosen.id)

    def _register(self) -> None:
        self.accept()
        self.sig_register_new.emit()
