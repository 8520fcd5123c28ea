"""The read-only role x permission matrix: one row per permission, one column per role."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from medtrack_desktop.domain.identity.permissions import RoleRow

Index = QModelIndex | QPersistentModelIndex
GRANTED = "✓"


class RoleMatrixModel(QAbstractTableModel):
    def __init__(self, roles: list[RoleRow], permissions: list[str]) -> None:
        super().__init__()
        self.roles = roles
        self.permissions = permissions

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.permissions)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.roles)

    def granted(self, row: int, column: int) -> bool:
        return self.permissions[row] in self.roles[column].permissions

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        granted = self.granted(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return GRANTED if granted else ""
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return "granted" if granted else "not granted"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self.roles[section].role.replace("_", " ")
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.roles[section].description
        elif role == Qt.ItemDataRole.DisplayRole:
            return self.permissions[section]
        return None
