"""What the Problems, Allergies and Medications tabs add to the chart's list tab
(``chart_tab_parts.ChartTab``): entries that are edited in place, not only added and removed.

- After a reload the entry that was selected is selected again, so a keyboard user who changed
  the fifth problem is still on it when the page has refreshed the list.
- An entry someone else changed or removed since the list was loaded is refused by the service
  (``StaleRecord``, ``ChartRecordNotFound``): the form or the list says so in chart words (the
  registry's message speaks of "this patient") and the list reloads, so the next try starts
  from what is really there.

Their buttons' mnemonics stay clear of the chart page's tab titles (Summar&y, &Encounters,
Pro&blems, A&llergies, Me&dications, &Vitals, &Immunizations, Pro&cedures, Documen&ts), which
are live at the same time: an Alt key two widgets share only moves the focus between them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import QComboBox, QHeaderView, QPushButton, QTableView

from medtrack_desktop.domain.chart.access import ChartRecordNotFound
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.ui.chart import chart_tab_parts
from medtrack_desktop.ui.chart.chart_tab_parts import ChartTab
from medtrack_desktop.ui.widgets.list_tab import FormDialog

STALE_ENTRY = ("Someone else changed this entry since the list was loaded. The list was "
               "reloaded: open the entry again and make your change.")


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def set_code(combo: QComboBox, code: str | None) -> None:
    """Choose ``code`` in a ``code_combo`` (the blank choice when it is not there)."""
    combo.setCurrentIndex(max(combo.findData(code or ""), 0))


def stretch_column(table: QTableView, column: int) -> None:
    """``column`` takes the table's spare width and elides what does not fit (its tooltip or
    the form shows it whole); the others fit their contents."""
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)


def chart_error_text(error: Exception, *, doing: str) -> str:
    if isinstance(error, StaleRecord):
        return STALE_ENTRY
    return chart_tab_parts.chart_error_text(error, doing=doing)


def _out_of_date(error: Exception) -> bool:
    return isinstance(error, StaleRecord | ChartRecordNotFound)


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
        """Why a call failed, under the list; the list reloaded first when it is out of date
        (``reload``: the refusal itself says so)."""
        def show(error: Exception) -> None:
            if reload or _out_of_date(error):
                self.refresh()
            else:
                self.list.status.setText("")
            self.list.show_error(chart_error_text(error, doing=doing))
        return show

    def refused(self, dialog: FormDialog, *, doing: str) -> Callable[[Exception], None]:
        """A form's save the service refused: messages at the fields, or above the buttons."""
        def show(error: Exception) -> None:
            if _out_of_date(error):
                dialog.set_busy(False)
                dialog.set_problem(chart_error_text(error, doing=doing))
                self.refresh()
            else:
                dialog.refused(error, doing=doing)
        return show
