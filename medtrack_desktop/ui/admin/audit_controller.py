"""The Audit log tab's logic: search page by page, export to CSV. Needs ``audit.read``.

Dates are whole days in the clinic's time zone; the service gets UTC instants (end exclusive).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QObject
from PySide6.QtWidgets import QFileDialog, QWidget

from medtrack_desktop.domain.audit.queries import AuditRow, export_audit_csv, search_audit
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.admin.audit_view import AuditView
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.errors import plain_message
from medtrack_desktop.ui.models.audit import AuditTableModel
from medtrack_desktop.ui.tasks import while_shown

PAGE = 500
ChoosePath = Callable[[QWidget], Path | None]


def choose_csv_path(parent: QWidget) -> Path | None:
    name, _filter = QFileDialog.getSaveFileName(
        parent, "Export audit log", str(Path.home() / "audit-log.csv"), "CSV files (*.csv)"
    )
    return Path(name) if name else None


def _write_csv(store: Any, actor: Actor, path: Path, filters: dict[str, Any]) -> int:
    """Write to a side file first, so a failed export never leaves a half file under the name."""
    partial = path.with_name(f"{path.name}.part")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            count = perform(store, actor, export_audit_csv, out=out, **filters)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return count


class AuditController(QObject):
    def __init__(
        self, *, context: AppContext, actor: Actor, view: AuditView | None = None,
        choose_path: ChoosePath = choose_csv_path, only_action: str | None = None,
    ) -> None:
        """``only_action`` fixes the action filter (a report such as break-the-glass access),
        and the report's last 30 days are searched at once."""
        super().__init__()
        self._context, self._actor, self._choose_path = context, actor, choose_path
        self._zone = ZoneInfo(context.seat.clinic_timezone)
        self.model = AuditTableModel(timezone=context.seat.clinic_timezone)
        today = datetime.now(self._zone).date()
        self.view = view or AuditView(self.model, today=QDate(today.year, today.month,
                                                                today.day))
        self.setParent(self.view)  # owned by the view (see UsersController)
        self.model.setParent(self.view)
        self._filters: dict[str, Any] = {}
        self.view.search.clicked.connect(self.search)
        for edit in (self.view.username, self.view.patient_id, self.view.action.lineEdit()):
            edit.returnPressed.connect(self.search)
        self.view.more.clicked.connect(self.load_more)
        self.view.export.clicked.connect(self.export)
        self.view.more.setEnabled(False)
        if only_action is not None:
            self.view.action.setEditText(only_action)
            self.view.action.setEnabled(False)
            self.view.focus_on_reasons()
            self.search()

    def _day_start(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self._zone)

    def filters(self) -> dict[str, Any]:
        start = self.view.start.date().toPython()
        end = self.view.end.date().toPython()
        if end < start:
            raise ValueError("Dates: the “To” date is before the “From” date.")
        return {
            "username": self.view.username.text().strip() or None,
            "patient_id": self.view.patient_id.text().strip() or None,
            "action": self.view.action.currentText().strip() or None,
            "start": self._day_start(start),
            "end": self._day_start(end + timedelta(days=1)),
        }

    def _job(self, service: Callable[..., Any], **kwargs: Any) -> Callable[..., Any]:
        store, actor = self._context.store, self._actor
        return lambda _progress, _cancelled: perform(store, actor, service, **kwargs)

    def _failed(self, doing: str) -> Callable[[Exception], None]:
        def failed(error: Exception) -> None:
            self.view.search.setEnabled(True)
            self.view.export.setEnabled(True)
            self.view.status.setText("")
            self.view.show_error(plain_message(error, doing=doing))

        return failed

    def search(self) -> None:
        try:
            self._filters = self.filters()
        except ValueError as error:
            self.view.show_error(str(error))
            return
        self.view.show_error("")
        self.view.search.setEnabled(False)
        self.view.status.setText("Searching…")
        self._context.tasks.start(
            "audit.search", self._job(search_audit, limit=PAGE, **self._filters),
            on_done=while_shown(self.view, lambda rows: self._shown(rows, replace=True)),
            on_failed=while_shown(self.view, self._failed("search the audit log")),
        )

    def load_more(self) -> None:
        self.view.more.setEnabled(False)
        self._context.tasks.start(
            "audit.more",
            self._job(search_audit, limit=PAGE, offset=self.model.rowCount(), **self._filters),
            on_done=while_shown(self.view, lambda rows: self._shown(rows, replace=False)),
            on_failed=while_shown(self.view, self._failed("search the audit log")),
        )

    def _shown(self, rows: list[AuditRow], *, replace: bool) -> None:
        self.view.search.setEnabled(True)
        if replace:
            self.model.set_rows(rows)
        else:
            self.model.append_rows(rows)
        more = len(rows) == PAGE
        self.view.more.setEnabled(more)
        count = self.model.rowCount()
        self.view.status.setText(
            f"{count} {'entry' if count == 1 else 'entries'}, newest first"
            + (" — more available" if more else "")
        )

    def export(self) -> None:
        try:
            filters = self.filters()
        except ValueError as error:
            self.view.show_error(str(error))
            return
        path = self._choose_path(self.view)
        if path is None:
            return
        if path.suffix.lower() != ".csv":
            path = path.with_name(f"{path.name}.csv")
        self.view.show_error("")
        self.view.export.setEnabled(False)
        self.view.status.setText("Exporting…")
        store, actor = self._context.store, self._actor
        self._context.tasks.start(
            "audit.export",
            lambda _progress, _cancelled: _write_csv(store, actor, path, filters),
            on_done=while_shown(self.view, lambda count: self._exported(path, count)),
            on_failed=while_shown(self.view, self._failed("export the audit log")),
        )

    def _exported(self, path: Path, count: int) -> None:
        self.view.export.setEnabled(True)
        self.view.status.setText(f"Exported {count} entries to {path.name}.")
