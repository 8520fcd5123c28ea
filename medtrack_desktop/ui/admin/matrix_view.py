"""Roles and permissions, read-only: the matrix is data (resources/seed/permissions.toml)."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from medtrack_desktop.domain.identity.permissions import all_permissions, role_matrix_rows
from medtrack_desktop.ui.models.role_matrix import RoleMatrixModel


class MatrixView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        roles = role_matrix_rows()
        self.model = RoleMatrixModel(roles, all_permissions())
        self.model.setParent(self)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            "What each role may do. A user may hold several roles and gets every permission "
            "of each. The matrix is clinic data; it is shown here read-only.", objectName="muted",
            wordWrap=True,
        ))
        self.table = QTableView()
        self.table.setAccessibleName("Role and permission matrix")
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        legend = "\n".join(f"{row.role.replace('_', ' ')} — {row.description}" for row in roles)
        self.legend = QLabel(legend, objectName="muted")
        self.legend.setAccessibleName("Role descriptions")
        layout.addWidget(self.legend)
