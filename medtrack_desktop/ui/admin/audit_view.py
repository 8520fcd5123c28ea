"""Layout of the Audit log tab: filters, results, export."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.ui.models.audit import AuditTableModel

COMMON_ACTIONS = (
    "", "login", "logout", "account.lock", "permission.denied", "break_glass", "patient.open",
    "patient.privacy", "workstation.lock", "workstation.unlock", "login.mfa", "user.create",
    "user.disable", "user.enable", "user.unlock", "user.roles", "user.password_reset",
    "user.password_change", "user.mfa_enable", "user.mfa_reset", "audit.export",
)


def _date_edit(name: str, value: QDate) -> QDateEdit:
    edit = QDateEdit(value)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setAccessibleName(name)
    return edit


class AuditView(QWidget):
    def __init__(self, model: AuditTableModel, *, today: QDate) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        left, right = QFormLayout(), QFormLayout()
        self.username = QLineEdit(placeholderText="any user")
        self.username.setAccessibleName("User name filter")
        self.patient_id = QLineEdit(placeholderText="any patient (patient id)")
        self.patient_id.setAccessibleName("Patient id filter")
        self.action = QComboBox(editable=True)
        self.action.addItems(COMMON_ACTIONS)
        self.action.setAccessibleName("Action filter")
        self.action.lineEdit().setPlaceholderText("any action")
        self.start = _date_edit("From date", today.addDays(-30))
        self.end = _date_edit("To date", today)
        for form, rows in (
            (left, (("&User name:", self.username), ("&Patient id:", self.patient_id))),
            (right, (("&Action:", self.action), ("&From:", self.start), ("&To:", self.end))),
        ):
            for label, widget in rows:
                form.addRow(label, widget)
        filters.addLayout(left, 1)
        filters.addSpacing(24)
        filters.addLayout(right, 1)
        layout.addLayout(filters)

        buttons = QHBoxLayout()
        self.search = QPushButton("&Search")
        self.search.setShortcut(QKeySequence("F5"))
        self.search.setToolTip("Search with these filters (F5 or Enter)")
        self.search.setDefault(True)
        self.more = QPushButton("Load &more")
        self.more.setToolTip("Load the next, older entries")
        self.export = QPushButton("&Export CSV…")
        self.export.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.export.setToolTip("Export every entry matching the filters (Ctrl+Shift+E)")
        buttons.addWidget(self.search)
        buttons.addWidget(self.more)
        buttons.addStretch(1)
        buttons.addWidget(self.export)
        layout.addLayout(buttons)

        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.setAccessibleName("Audit error")
        self.error.hide()
        layout.addWidget(self.error)
        self.table = QTableView()
        self.table.setAccessibleName("Audit entries")
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((45, 175, 110, 110, 140, 75, 180, 150, 130)):
            self.table.setColumnWidth(column, width)
        layout.addWidget(self.table, 1)
        self.status = QLabel(objectName="muted")
        self.status.setAccessibleName("Audit status")
        layout.addWidget(self.status)

    def focus_on_reasons(self) -> None:
        """For a report of one action: drop the columns that repeat it, widen the reason."""
        for column in (4, 5, 6, 9):  # action, outcome, resource, changes
            self.table.setColumnHidden(column, True)
        self.table.setColumnWidth(7, 340)  # the patient id, whole

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
