"""The Qt binding itself: faults in it that would abort the whole application, not one test."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication


class _Emitter(QObject):
    sig = Signal(object)


def test_signal_emit_does_not_lose_references_to_true(qapp: QApplication) -> None:
    """PySide6 6.12.0's ``SignalInstance.emit()`` returns ``True`` without a reference of its
    own, so every emit leaves ``True`` one short until the interpreter frees it and aborts
    ("bool_dealloc: deallocating True or False"). pyproject.toml excludes that release."""
    emitter = _Emitter()
    before = sys.getrefcount(True)
    for _ in range(100):
        emitter.sig.emit(None)
    lost = before - sys.getrefcount(True)
    assert lost < 50, f"SignalInstance.emit() dropped {lost} references to True in 100 emits"
