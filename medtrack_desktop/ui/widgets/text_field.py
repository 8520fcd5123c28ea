"""The one-line text field every form uses: a length cap (the column's) and a hint."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit


def text_field(limit: int = 200, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(placeholderText=placeholder)
    edit.setMaxLength(limit)
    return edit
