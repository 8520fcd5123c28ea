"""What the chart's list tabs (problems, allergies, medications) share.

Each is a ``ChartListTab``: a ``ListTabView`` of one patient's entries with its actions above,
loaded through ``PatientCalls`` (so a result for a patient no longer shown is dropped), its
writing actions shown only to an actor with ``chart.write``, and its forms ``FormDialog``s
opened with ``open()``. After a change the tab announces ``Changed.CHART`` (the banner and
other views decide for themselves) and reloads itself, keeping the same entry selected.

An entry someone else changed or removed since the list was loaded is refused by the service
(``StaleRecord``, ``ChartRecordNotFound``); the form then says so in chart words and the list
reloads, so the next try starts from what is really there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QTableView,
)

from medtrack_desktop.domain.chart.access import ChartRecordNotFound
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.rows import RowsTableModel
from medtrack_desktop.ui.service_calls import PatientCalls, error_text
from medtrack_desktop.ui.widgets.date_field import clinic_today
from medtrack_desktop.ui.widgets.list_tab import FormDialog, ListTabView, tab_key
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.workspace import Changed, Workspace

SHOWN_DAY = "%Y-%m-%d"
STALE_ENTRY = ("Someone else changed this entry since the list was loaded. The list was "
               "reloaded: open the entry again and make your change.")

# (button, key or None, tooltip)
Action = tuple[QPushButton, str | None, str]


def day(value: date | None) -> str:
    return "" if value is None else value.strftime(SHOWN_DAY)


def label(code: str | None) -> str:
    """A stored code as people read it: "follow_up" -> "Follow up"."""
    return "" if not code else code.replace("_", " ").capitalize()


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def code_combo(codes: Iterable[str], *, blank: str | None = None) -> QComboBox:
    """A list of stored codes shown by label (first letters pick by keyboard); ``blank``
    adds an empty choice first."""
    combo = QComboBox()
    if blank is not None:
        combo.addItem(blank, "")
    for code in codes:
        combo.addItem(label(code), code)
    return combo


def set_code(combo: QComboBox, code: str | None) -> None:
    combo.setCurrentIndex(max(combo.findData(code or ""), 0))


def stretch_column(table: QTableView, column: int) -> None:
    """``column`` takes the table's spare width and elides what does not fit (its tooltip or
    the form shows it whole); the others fit their contents."""
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)


def text_area(lines: int, placeholder: str = "") -> QPlainTextEdit:
    """A few lines of text where Tab moves on (as in every form)."""
    area = QPlainTextEdit(placeholderText=placeholder)
    area.setTabChangesFocus(True)
    area.setFixedHeight(area.fontMetrics().lineSpacing() * lines + 12)
    return area


class ChartListTab(QObject):
    """One list of the chart. ``writes`` are shown only with ``chart.write``; ``reads`` to
    all. Subclasses load in ``refresh()`` through ``load()`` and keep their buttons right in
    ``update_buttons()``. ``confirm`` asks yes/no (tests answer for the user)."""

    def __init__(
        self, context: AppContext, actor: Actor, workspace: Workspace, *, name: str,
        model: RowsTableModel[Any], writes: Sequence[Action], reads: Sequence[Action] = (),
        confirm: Confirm = ask,
    ) -> None:
        super().__init__()
        self.context, self.actor, self.workspace, self.confirm = context, actor, workspace, confirm
        self.today: Callable[[], date] = lambda: clinic_today(context.seat)
        self.model = model
        self.view = ListTabView(name, [button for button, _key, _tip in (*writes, *reads)])
        self.view.table.setModel(model)
        self.setParent(self.view)  # owned by the view (see UsersController)
        model.setParent(self.view)
        self.calls = PatientCalls(context, actor, self.view)
        self.dialog: QDialog | None = None
        self.may_write = actor.can("chart.write")
        for actions, shown in ((writes, self.may_write), (reads, True)):
            for button, key, tip in actions:
                button.setToolTip(tip)
                button.setVisible(shown)
                if key is not None:
                    tab_key(self.view, key, button.click)
        self.view.table.selectionModel().currentRowChanged.connect(self.update_buttons)
        model.modelReset.connect(self.update_buttons)

    # -- the list -----------------------------------------------------------------------------

    def set_patient(self, patient_id: uuid.UUID | None) -> None:
        """Show another patient (or none): what was shown is forgotten at once, an open form
        closed (it belonged to the other patient)."""
        if self.dialog is not None:
            self.dialog.reject()
        self.calls.patient_id = patient_id
        self.model.set_rows([])
        self.view.status.setText("")
        self.view.show_error("")

    def refresh(self) -> None:
        raise NotImplementedError

    def load(self, name: str, service: Callable[..., Any], *, doing: str,
             on_done: Callable[[Any], None], **kwargs: Any) -> None:
        """Read the list for the patient shown (nothing when none is)."""
        if self.calls.patient_id is None:
            return
        self.view.status.setText("Loading\u2026")
        self.calls.start(name, service, on_done=on_done, on_failed=self.failed(doing), **kwargs)

    def show_rows(self, rows: Sequence[Any]) -> None:
        """Put loaded entries on the list, the one selected before still selected."""
        chosen = self.selected()
        self.view.show_error("")
        self.model.set_rows(rows)
        if rows:
            again = next((i for i, row in enumerate(rows)
                          if chosen is not None and row.id == chosen.id), 0)
            self.view.table.selectRow(again)

    def selected(self) -> Any:
        return self.model.row_at(self.view.table.currentIndex().row())

    def update_buttons(self) -> None:
        raise NotImplementedError

    def failed(self, doing: str) -> Callable[[Exception], None]:
        def show(error: Exception) -> None:
            self.view.status.setText("")
            self.view.show_error(chart_error_text(error, doing=doing))
            if isinstance(error, StaleRecord | ChartRecordNotFound):
                self.refresh()
        return show

    # -- forms and changes --------------------------------------------------------------------

    def open_dialog(self, dialog: QDialog, submit: Callable[[], None] | None = None) -> None:
        if isinstance(dialog, FormDialog) and submit is not None:
            dialog.sig_submit.connect(submit)
        dialog.finished.connect(lambda _code: self._closed(dialog))
        self.dialog = dialog
        dialog.open()

    def _closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def refused(self, dialog: FormDialog, *, doing: str) -> Callable[[Exception], None]:
        """A form's save the service refused: at the fields, or above the buttons."""
        def show(error: Exception) -> None:
            if isinstance(error, StaleRecord | ChartRecordNotFound):
                dialog.set_busy(False)
                dialog.set_problem(chart_error_text(error, doing=doing))
                self.refresh()
            else:
                dialog.refused(error, doing=doing)
        return show

    def changed(self, dialog: FormDialog | None = None) -> None:
        """A change was saved: close its form, tell the other views, reload the list."""
        if dialog is not None:
            dialog.accept()
        self.workspace.announce(Changed.CHART)
        self.refresh()


def chart_error_text(error: Exception, *, doing: str) -> str:
    if isinstance(error, StaleRecord):
        return STALE_ENTRY
    if isinstance(error, ChartRecordNotFound):
        return str(error)
    return error_text(error, doing=doing)
