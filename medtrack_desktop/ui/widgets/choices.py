"""Drop-down lists of ids: choosing by value, and filling again with what was chosen kept."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QComboBox


def select_data(combo: QComboBox, value: object) -> None:
    """Choose the item whose data equals ``value`` (``findData`` compares Python objects by
    identity, so an equal id read in another call would not be found); the first if none."""
    index = next((n for n in range(combo.count()) if combo.itemData(n) == value), 0)
    combo.setCurrentIndex(index)


def refill(combo: QComboBox, blank: str | None, items: Iterable[tuple[str, object]]) -> None:
    """Fill ``combo`` with ``items`` (text, value) after ``blank`` (value None) if given,
    keeping the value chosen when there still is one; no change signal on the way."""
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    if blank is not None:
        combo.addItem(blank, None)
    for text, value in items:
        combo.addItem(text, value)
    select_data(combo, chosen)
    combo.blockSignals(False)
