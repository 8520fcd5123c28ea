"""A stored picture (a patient's photo) scaled down for showing small."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap


def thumbnail(photo: bytes | None, width: int, height: int) -> QPixmap | None:
    """``photo`` scaled to fit ``width`` by ``height`` (None: no photo, or unreadable)."""
    if not photo:
        return None
    picture = QPixmap()
    if not picture.loadFromData(photo):
        return None
    return picture.scaled(width, height, Qt.AspectRatioMode.KeepAspectRatio,
                          Qt.TransformationMode.SmoothTransformation)
