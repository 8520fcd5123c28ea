"""The Sync conflicts page's layout: the open conflicts above; the selected one below, field by
field (Field | Base | This workstation | Server), with the choices under it. Layout only: the
controller (``page.ConflictsPage``) fills it and decides."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.ui.widgets.list_tab import ListTabView

FIELD_COLUMNS = ("Field", "Base", "This workstation", "Server")


class ConflictsView(QWidget):
    """``sig_shown`` each time the page comes into view (the list is read the first time)."""

    sig_shown = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Sync conflicts")
        self.refresh = QPushButton("Refresh (F5)")
        self.refresh.setToolTip("Read the open conflicts again (F5)")
        self.list = ListTabView("Open conflicts", [self.refresh])
        self.heading = QLabel(objectName="sectionTitle", wordWrap=True)
        self.heading.setAccessibleName("Conflict")
        self.facts = QLabel(objectName="muted", wordWrap=True)
        self.facts.setAccessibleName("Conflict facts")
        self.note = QLabel(wordWrap=True)
        self.note.setAccessibleName("What can be chosen")
        self.note.hide()
        self.fields = QTableWidget(0, len(FIELD_COLUMNS))
        self.fields.setAccessibleName("Fields in conflict")
        self.fields.setHorizontalHeaderLabels(list(FIELD_COLUMNS))
        self.fields.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.fields.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.fields.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.fields.setWordWrap(True)
        self.fields.verticalHeader().hide()
        header = self.fields.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.hint = QLabel(objectName="muted", wordWrap=True)
        self.field_errors = QLabel(objectName="fieldError", wordWrap=True)
        self.field_errors.setAccessibleName("Field problems")
        self.field_errors.hide()
        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.setAccessibleName("Conflict error")
        self.error.hide()
        self.keep_server = QPushButton("Keep &server's")
        self.keep_server.setToolTip("Keep the record as the server has it (Ctrl+Enter)")
        self.keep_mine = QPushButton("Keep &mine")
        self.keep_mine.setToolTip("Write this workstation's values over the record")
        self.merge = QPushButton("Mer&ge selected")
        self.merge.setToolTip("Keep, field by field, the side ticked in the table "
                              "(Space switches the selected field)")
        self.reapply = QPushButton("&Re-apply\u2026")
        self.reapply.setToolTip("Make the refused record again with the values in "
                                "This workstation (F2 corrects the selected one)")
        buttons = QHBoxLayout()
        for button in (self.keep_server, self.keep_mine, self.merge, self.reapply):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.detail = QWidget()
        detail = QVBoxLayout(self.detail)
        detail.setContentsMargins(0, 0, 0, 0)
        for widget in (self.heading, self.facts, self.note):
            detail.addWidget(widget)
        detail.addWidget(self.fields, 1)
        for widget in (self.hint, self.field_errors, self.error):
            detail.addWidget(widget)
        detail.addLayout(buttons)
        self.empty = QLabel("Select a conflict above to see its fields.", objectName="muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.empty)
        lower_layout.addWidget(self.detail, 1)
        self.detail.hide()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.list)
        splitter.addWidget(lower)
        splitter.setSizes([220, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(8)
        layout.addWidget(QLabel("Sync conflicts", objectName="pageTitle"))
        intro = QLabel("Changes the clinic server could not apply without overwriting someone "
                       "else's wait here. Settling one syncs to every workstation.",
                       objectName="muted", wordWrap=True)
        layout.addWidget(intro)
        layout.addWidget(splitter, 1)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.sig_shown.emit()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def show_field_errors(self, message: str) -> None:
        self.field_errors.setText(message)
        self.field_errors.setVisible(bool(message))
