"""Icons from resources/icons (SVG, crisp at any DPI)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from medtrack_desktop.paths import resource


@cache
def icon(name: str) -> QIcon:
    return QIcon(str(resource("icons", name)))


def app_icon() -> QIcon:
    return icon("medtrack.svg")
