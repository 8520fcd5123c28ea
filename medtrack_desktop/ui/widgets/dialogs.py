"""A screen's one open dialog: opened window-modal without blocking (the task runner's answers
keep arriving), deleted when it closes, and kept as the screen's ``dialog`` meanwhile (tests
answer it there)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget


def open_tracked(owner: QWidget, dialog: QDialog, on_closed: Callable[[], Any]) -> None:
    """Open ``dialog`` over ``owner`` as ``owner.dialog``; when it closes (and is still the
    one), ``owner.dialog`` is None again, ``owner``'s window active again (to go on by
    keyboard) and ``on_closed`` runs (the focus back where it was, say)."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def closed(_result: int) -> None:
        if getattr(owner, "dialog", None) is dialog:
            owner.dialog = None  # type: ignore[attr-defined]
            owner.window().activateWindow()
            on_closed()

    dialog.finished.connect(closed)
    owner.dialog = dialog  # type: ignore[attr-defined]
    dialog.open()
