"""What the sections of the Scheduling tab share: service calls on the task runner, a list's
keys (Insert adds, Enter edits, Delete retires or ends, always after a question), a form that
shows refusals at its fields, and the change notice.

A change is announced as ``Changed.SCHEDULE`` (the calendar re-reads its lists and shading);
every section reloads on that notice, from here or from another view, and selects again the
row that was selected. A row someone else changed meanwhile (``StaleRecord``) reloads the
list and says so; what was typed in a form stays.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QHeaderView, QPushButton, QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.rows import RowsTableModel
from medtrack_desktop.ui.service_calls import ServiceCaller, error_text
from medtrack_desktop.ui.widgets.list_tab import FormDialog, ListTabView, tab_key
from medtrack_desktop.ui.widgets.questions import Confirm
from medtrack_desktop.ui.workspace import Changed, Workspace


class SectionList:
    """A list of a section: its ``ListTabView`` over ``model``, keys that work inside it."""

    def __init__(self, name: str, model: RowsTableModel[Any], buttons: list[QPushButton], *,
                 stretch: int = 0) -> None:
        self.model = model
        self.view = ListTabView(name, buttons)
        self.view.table.setModel(model)
        model.setParent(self.view)
        header = self.view.table.horizontalHeader()  # column ``stretch`` takes the room left
        header.setStretchLastSection(False)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        self.notice = ""  # what the last change did, shown with the status after a reload
        self.pending: object = None  # the id of a row just added: selected once it is listed

    def selected(self) -> Any:
        return self.model.row_at(self.view.table.currentIndex().row())

    def key(self, key: str, slot: Callable[[], None]) -> None:
        tab_key(self.view, key, slot)

    def show_rows(self, rows: Sequence[Any], status: str) -> None:
        """Rows in, the row with the id selected before selected again (else the first)."""
        chosen = self.selected()
        wanted = self.pending if self.pending is not None else (
            chosen.id if chosen is not None else None)
        self.model.set_rows(rows)
        self.view.status.setText(f"{self.notice} {status}".strip())
        self.notice, self.pending = "", None
        if rows:
            self.view.table.selectRow(next(
                (n for n, row in enumerate(rows) if row.id == wanted), 0))


class SetupSection(QObject):
    """A section's controller: ``view`` is its widget; ``refresh`` loads it."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, view: QWidget,
                 confirm: Confirm) -> None:
        super().__init__()
        self.context, self.actor, self.workspace = context, actor, workspace
        self.confirm = confirm
        self.view = view
        self.setParent(view)  # owned by the view on the C++ side (see UsersController)
        self.calls = ServiceCaller(context, actor, view)
        self.dialog: FormDialog | None = None
        self.loaded = False
        workspace.sig_changed.connect(self._changed)

    def refresh(self) -> None:
        raise NotImplementedError

    def _changed(self, changed: Changed) -> None:
        if changed & Changed.SCHEDULE and self.loaded:
            self.refresh()

    def failed(self, section_list: SectionList, doing: str) -> Callable[[Exception], None]:
        """Why a call failed, under the list; an out-of-date list is read again."""
        def show(error: Exception) -> None:
            if isinstance(error, StaleRecord):
                self.refresh()
            section_list.view.show_error(error_text(error, doing=doing))
        return show

    def run(self, section_list: SectionList, task: str, service: Callable[..., Any], /, *,
            doing: str, notice: str | Callable[[Any], str], **kwargs: Any) -> None:
        """A change from the list itself (retire, end, remove), once confirmed; ``kwargs``
        go to ``service``."""
        section_list.view.show_error("")
        self.calls.start(task, service, on_done=lambda result: self.changed(
            section_list, notice(result) if callable(notice) else notice),
            on_failed=self.failed(section_list, doing), **kwargs)

    def changed(self, section_list: SectionList, notice: str,
                dialog: FormDialog | None = None) -> None:
        """A change went through: close its form, say what it did, tell every view."""
        if dialog is not None:
            dialog.accept()
        section_list.view.show_error("")
        section_list.notice = notice
        self.workspace.announce(Changed.SCHEDULE)  # this section reloads on it too

    # -- forms ---------------------------------------------------------------------------------

    def open_form(self, dialog: FormDialog, submit: Callable[[], None], focus: QWidget) -> None:
        dialog.sig_submit.connect(submit)
        dialog.finished.connect(lambda _code: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        focus.setFocus()

    def save(self, dialog: FormDialog, section_list: SectionList, task: str,
             service: Callable[..., Any], /, *, doing: str,
             notice: str | Callable[[Any], str], **kwargs: Any) -> None:
        """A form's save: busy while it runs; refused at the fields (what was typed stays),
        or closed and announced (a row it added is selected once listed)."""
        dialog.errors.clear()
        dialog.set_problem("")
        dialog.set_busy(True)

        def done(result: Any) -> None:
            if isinstance(result, uuid.UUID):
                section_list.pending = result
            self.changed(section_list, notice(result) if callable(notice) else notice, dialog)

        def refused(error: Exception) -> None:
            if isinstance(error, StaleRecord):
                dialog.set_busy(False)
                dialog.set_problem(str(error))
                self.refresh()
            else:
                dialog.refused(error, doing=doing)

        self.calls.start(task, service, on_done=done, on_failed=refused, **kwargs)
