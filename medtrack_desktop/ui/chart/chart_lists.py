"""What the Problems, Allergies and Medications tabs add to the chart's list tab
(``chart_tab_parts.ChartTab``): entries that are edited in place, not only added and removed.

- After a reload the entry that was selected is selected again, so a keyboard user who changed
  the fifth problem is still on it when the page has refreshed the list.
- A form whose entry someone else changed or removed meanwhile says so in chart words above
  its buttons (what was typed stays) and the list reloads, so the next try starts from what is
  really there; a refusal that means the list is out of date (``failed(reload=True)``) reloads
  it too.

Their buttons' mnemonics stay clear of the chart page's tab titles (Summar&y, &Encounters,
Pro&blems, A&llergies, Me&dications, &Vitals, &Immunizations, Pro&cedures, Documen&ts), which
are live at the same time: an Alt key two widgets share only moves the focus between them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import QComboBox, QPushButton

from medtrack_desktop.ui.chart.chart_tab_parts import ChartTab, chart_error_text, out_of_date
from medtrack_desktop.ui.widgets.list_tab import FormDialog


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def set_code(combo: QComboBox, code: str | None) -> None:
    """Choose ``code`` in a ``code_combo`` (the blank choice when it is not there)."""
    combo.setCurrentIndex(max(combo.findData(code or ""), 0))


class ChartListTab(ChartTab):
    """A ``ChartTab`` whose entries are changed in place (see the module doc)."""

    def read_button(self, button: QPushButton, tip: str, slot: Callable[[], None]) -> None:
        """A button that only reads (shown to every chart reader)."""
        button.setToolTip(tip)
        button.clicked.connect(slot)

    def show_rows(self, rows: Sequence[Any], status: str) -> None:
        chosen = self.selected()
        self.model.set_rows(rows)
        self.list.status.setText(status)
        if rows:
            self.list.table.selectRow(next(
                (i for i, row in enumerate(rows) if chosen is not None and row.id == chosen.id),
                0))

    def failed(self, doing: str, *, reload: bool = False) -> Callable[[Exception], None]:
        """``ChartTab.failed``; with ``reload`` the list is read again first whatever the
        error (the refusal itself says the list is out of date)."""
        show = super().failed(doing)
        if not reload:
            return show

        def reload_and_show(error: Exception) -> None:
            self.refresh()
            show(error)
        return reload_and_show

    def refused(self, dialog: FormDialog, *, doing: str) -> Callable[[Exception], None]:
        """A form's save the service refused: messages at the fields, or above the buttons."""
        def show(error: Exception) -> None:
            if out_of_date(error):
                dialog.set_busy(False)
                dialog.set_problem(chart_error_text(error, doing=doing))
                self.refresh()
            else:
                dialog.refused(error, doing=doing)
        return show
