"""The yes/no question every view asks before something that cannot be taken back."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

# (parent, title, question) -> yes? Views take one so tests can answer for the user.
Confirm = Callable[[QWidget, str, str], bool]


def ask(parent: QWidget, title: str, question: str) -> bool:
    """A yes/no question whose default answer is No (Enter never confirms by accident)."""
    answer = QMessageBox.question(
        parent, title, question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes
