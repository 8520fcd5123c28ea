"""The Sync conflicts page's controller: lists the open conflicts, shows the selected one field
by field and settles it through ``sync.conflict_review`` (always after a question).

Keys: arrows move in the list and Enter goes to the fields; in the fields Space switches the
selected field between this workstation's value and the server's (the tick shows which is kept
by *Merge selected*), F2 corrects a value of a refused record before *Re-apply*; Ctrl+Enter
keeps the server's version (the safe default); Alt+S, Alt+M, Alt+G, Alt+R press the buttons;
F5 reads the list again. A refused correction is shown at its field (the row turns red, the
message is under the table); a conflict settled meanwhile elsewhere says so and the list is
read again.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QTableWidgetItem

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.sync.conflict_review import (
    ConflictDetail,
    ConflictNotFound,
    ConflictResolved,
    ConflictSummary,
    Resolution,
    conflict_detail,
    open_conflicts,
    resolve_conflict,
)
from medtrack_desktop.sync.conflict_values import REASONS
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.conflicts import ConflictsModel
from medtrack_desktop.ui.service_calls import ServiceCaller, error_text, invalid_fields
from medtrack_desktop.ui.sync_conflicts.view import ConflictsView
from medtrack_desktop.ui.widgets.list_tab import tab_key
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.workspace import Changed, Workspace

_LOCAL, _SERVER = 2, 3  # the value columns a side is ticked in
_SCHEDULE_TABLES = frozenset({
    "appointments", "appointment_series", "appointment_status_changes", "waitlist_entries",
    "reminders", "weekly_availability", "availability_exceptions", "facilities", "rooms",
    "appointment_categories"})
_DONE = {"kept_server": "the server's version kept", "kept_local": "this workstation's kept",
         "merged": "merged field by field"}


class ConflictsPage(QObject):
    """Controller of a ``ConflictsView`` (``view``)."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask, view: ConflictsView | None = None) -> None:
        super().__init__()
        self.view = view or ConflictsView()
        self.setParent(self.view)
        self.context, self.actor, self.workspace, self.confirm = (context, actor, workspace,
                                                                  confirm)
        self.calls = ServiceCaller(context, actor, self.view)
        self.model = ConflictsModel(ZoneInfo(context.seat.clinic_timezone))
        self.model.setParent(self.view)
        table = self.view.list.table
        table.setModel(self.model)
        self.detail: ConflictDetail | None = None
        self.sides: dict[str, str] = {}  # field -> "local" | "server"
        self.notice = ""
        self._filling = False
        view = self.view
        view.refresh.clicked.connect(self.refresh)
        tab_key(view, "F5", self.refresh)
        tab_key(view, "Ctrl+Return", view.keep_server.click)
        tab_key(view, "Ctrl+Enter", view.keep_server.click)
        tab_key(table, "Return", view.fields.setFocus)
        tab_key(table, "Enter", view.fields.setFocus)
        tab_key(view.fields, "Space", self.switch_side)
        table.selectionModel().currentRowChanged.connect(lambda _now, _before: self._selected())
        view.fields.itemChanged.connect(self._ticked)
        view.keep_server.clicked.connect(lambda: self.resolve("keep_server"))
        view.keep_mine.clicked.connect(lambda: self.resolve("keep_local"))
        view.merge.clicked.connect(lambda: self.resolve("merged"))
        view.reapply.clicked.connect(lambda: self.resolve("reapply"))
        # Read when first shown, not at sign-in (every module's page is built then), and
        # again after any change once read.
        self.loaded = False
        view.sig_shown.connect(lambda: None if self.loaded else self.refresh())
        workspace.sig_changed.connect(lambda _changed: self.refresh() if self.loaded else None)
        self._show(None)

    # -- the list ---------------------------------------------------------------------------

    def refresh(self) -> None:
        self.loaded = True
        self.calls.start("sync.open_conflicts", open_conflicts, on_done=self._listed,
                         on_failed=lambda error: self.view.list.show_error(
                             error_text(error, doing="read the conflicts")))

    def selected(self) -> ConflictSummary | None:
        return self.model.row_at(self.view.list.table.currentIndex().row())

    def _listed(self, rows: list[ConflictSummary]) -> None:
        chosen = self.selected()
        self.model.set_rows(rows)
        count = len(rows)
        status = (f"{count} open conflict{'s' if count != 1 else ''}." if rows else
                  "No open conflicts: every change reached the server.")
        self.view.list.status.setText(f"{self.notice} {status}".strip())
        self.view.list.show_error("")
        self.notice = ""
        if rows:
            wanted = chosen.id if chosen is not None else None
            self.view.list.table.selectRow(next(
                (n for n, row in enumerate(rows) if row.id == wanted), 0))
        else:
            self._show(None)

    def _selected(self) -> None:
        chosen = self.selected()
        if chosen is None:
            self._show(None)
            return
        if self.detail is not None and self.detail.id == chosen.id:
            return
        self.calls.start("sync.conflict_detail", conflict_detail, conflict_id=chosen.id,
                         on_done=self._detail_read, on_failed=self._detail_failed)

    def _detail_read(self, detail: ConflictDetail) -> None:
        chosen = self.selected()
        if chosen is not None and chosen.id == detail.id:  # not one the user moved past
            self._show(detail)

    def _detail_failed(self, error: Exception) -> None:
        self._show(None)
        self.view.list.show_error(self._message(error, "read the conflict"))

    # -- the selected conflict --------------------------------------------------------------

    def _show(self, detail: ConflictDetail | None) -> None:
        view = self.view
        self.detail = detail
        view.detail.setVisible(detail is not None)
        view.empty.setVisible(detail is None)
        view.show_error("")
        view.show_field_errors("")
        if detail is None:
            return
        zone = ZoneInfo(self.context.seat.clinic_timezone)
        subject = f" \u2014 {detail.subject}" if detail.subject else ""
        view.heading.setText(f"{detail.record}{subject}")
        why = f" ({detail.detail})" if detail.detail else ""
        view.facts.setText(
            f"{REASONS.get(detail.reason, detail.reason)}{why}. Kept "
            f"{detail.created_at.astimezone(zone):%Y-%m-%d %H:%M} from workstation "
            f"{detail.workstation}.")
        note = detail.note or ""
        if not detail.may_resolve:
            note = (f"{note} You may look at this conflict; settling it needs a role that "
                    "owns this kind of record, or a clinic administrator.").strip()
        view.note.setText(note)
        view.note.setVisible(bool(note))
        self.sides = {field.name: "server" for field in detail.fields}
        self._fill(detail)
        reapply = "reapply" in detail.choices
        view.keep_server.setEnabled(detail.may_resolve)
        view.keep_mine.setVisible(not reapply)
        view.merge.setVisible(not reapply)
        view.keep_mine.setEnabled(detail.may_resolve and "keep_local" in detail.choices)
        view.merge.setEnabled(detail.may_resolve and "merged" in detail.choices)
        view.reapply.setVisible(reapply)
        view.reapply.setEnabled(detail.may_resolve and reapply)
        view.fields.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked if reapply
            else QAbstractItemView.EditTrigger.NoEditTriggers)
        view.hint.setText(
            "F2 corrects a value in This workstation (a time as 2027-03-08 10:30, the "
            "clinic's time); Re-apply makes the record again and the server checks it again."
            if reapply else
            "Space switches the selected field between this workstation's value and the "
            "server's; Merge selected keeps the ticked ones." if "merged" in detail.choices
            else "")

    def _fill(self, detail: ConflictDetail) -> None:
        table = self.view.fields
        reapply = "reapply" in detail.choices
        self._filling = True
        table.setRowCount(len(detail.fields))
        for row, field in enumerate(detail.fields):
            server = field.server if field.now is None else f"{field.server} (now {field.now})"
            for column, text in enumerate((field.label, field.base, field.local, server)):
                item = QTableWidgetItem(text)
                flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                if column in (_LOCAL, _SERVER) and not reapply and \
                        "merged" in detail.choices:
                    flags |= Qt.ItemFlag.ItemIsUserCheckable
                if column == _LOCAL and reapply and field.editable:
                    flags |= Qt.ItemFlag.ItemIsEditable
                item.setFlags(flags)
                if column == 0 and not field.in_conflict:
                    item.setToolTip("Both sides hold the same value")
                table.setItem(row, column, item)
        self._filling = False
        self._mark_sides()
        table.resizeRowsToContents()
        if detail.fields:
            table.setCurrentCell(0, _LOCAL if reapply else 0)

    def _mark_sides(self) -> None:
        if self.detail is None or "merged" not in self.detail.choices:
            return
        self._filling = True
        for row, field in enumerate(self.detail.fields):
            local = self.sides[field.name] == "local"
            for column, ticked in ((_LOCAL, local), (_SERVER, not local)):
                item = self.view.fields.item(row, column)
                item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
                item.setData(Qt.ItemDataRole.AccessibleTextRole,
                             f"{item.text()}{' (kept)' if ticked else ''}")
        self._filling = False

    def switch_side(self) -> None:
        row = self.view.fields.currentRow()
        if self.detail is None or "merged" not in self.detail.choices or \
                not 0 <= row < len(self.detail.fields):
            return
        name = self.detail.fields[row].name
        self.sides[name] = "server" if self.sides[name] == "local" else "local"
        self._mark_sides()

    def _ticked(self, item: QTableWidgetItem) -> None:
        """A tick clicked with the mouse: that side is kept for the field."""
        if self._filling or self.detail is None or item.column() not in (_LOCAL, _SERVER):
            return
        ticked = item.checkState() == Qt.CheckState.Checked
        local = (item.column() == _LOCAL) == ticked
        self.sides[self.detail.fields[item.row()].name] = "local" if local else "server"
        self._mark_sides()

    # -- settling ---------------------------------------------------------------------------

    def resolve(self, choice: str) -> None:
        detail = self.detail
        if detail is None or not detail.may_resolve:
            return
        kwargs: dict[str, Any] = {}
        if choice == "merged":
            kwargs["fields"] = dict(self.sides)
            kept = [f.label for f in detail.fields if self.sides[f.name] == "local"]
            question = (f"Keep this workstation's {', '.join(kept)} and the server's other "
                        "fields?" if kept else "No field is ticked for this workstation: "
                        "keep the server's version?")
        elif choice == "keep_local":
            question = ("Write this workstation's values over the record? Every workstation "
                        "will get them at its next sync.")
        elif choice == "reapply":
            kwargs["edits"] = self._edits(detail)
            question = (f"Make the refused {detail.record.lower()} again"
                        f"{' with your corrections' if kwargs['edits'] else ''}? The server "
                        "checks it again at the next sync.")
        else:
            question = "Keep the record as the server has it? This workstation's change is set "\
                       "aside for good."
        if not self.confirm(self.view, "Settle conflict", question):
            return
        self.view.show_error("")
        self.view.show_field_errors("")
        self._set_busy(True)
        self.calls.start("sync.resolve_conflict", resolve_conflict, conflict_id=detail.id,
                         choice=choice, on_done=self._resolved, on_failed=self._refused,
                         **kwargs)

    def _edits(self, detail: ConflictDetail) -> dict[str, str]:
        edits = {}
        for row, field in enumerate(detail.fields):
            text = self.view.fields.item(row, _LOCAL).text()
            if field.editable and text != field.local:
                edits[field.name] = text
        return edits

    def _resolved(self, result: Resolution) -> None:
        self._set_busy(False)
        table_name = self.detail.table_name if self.detail is not None else ""
        self.notice = f"Conflict settled: {_DONE.get(result.resolution, result.resolution)}."
        self.detail = None
        self.workspace.announce(_changed(table_name))  # this page reads its list again on it

    def _refused(self, error: Exception) -> None:
        self._set_busy(False)
        errors = invalid_fields(error)
        if errors and self.detail is not None:
            labels = {field.name: row for row, field in enumerate(self.detail.fields)}
            for name, row in labels.items():
                brush = QBrush(QColor("#fbe3e3")) if name in errors else QBrush()
                self.view.fields.item(row, _LOCAL).setBackground(brush)
                self.view.fields.item(row, _LOCAL).setToolTip(errors.get(name, ""))
            self.view.show_field_errors("\n".join(errors.values()))
            first = min((labels[name] for name in errors if name in labels), default=None)
            if first is not None:
                self.view.fields.setCurrentCell(first, _LOCAL)
                self.view.fields.setFocus()
            return
        self.view.show_error(self._message(error, "settle the conflict"))
        if isinstance(error, ConflictResolved | ConflictNotFound):
            self.detail = None
            self.refresh()

    def _set_busy(self, busy: bool) -> None:
        for button in (self.view.keep_server, self.view.keep_mine, self.view.merge,
                       self.view.reapply):
            button.setDisabled(busy or self.detail is None or not self.detail.may_resolve)
        if not busy and self.detail is not None:
            self._show_buttons_for(self.detail)

    def _show_buttons_for(self, detail: ConflictDetail) -> None:
        self.view.keep_mine.setEnabled(detail.may_resolve and "keep_local" in detail.choices)
        self.view.merge.setEnabled(detail.may_resolve and "merged" in detail.choices)
        self.view.reapply.setEnabled(detail.may_resolve and "reapply" in detail.choices)

    @staticmethod
    def _message(error: Exception, doing: str) -> str:
        if isinstance(error, ConflictResolved | ConflictNotFound):
            return str(error)
        return error_text(error, doing=doing)


def _changed(table_name: str) -> Changed:
    if table_name.startswith("patient"):
        return Changed.PATIENTS
    if table_name in _SCHEDULE_TABLES:
        return Changed.SCHEDULE
    return Changed.CHART
