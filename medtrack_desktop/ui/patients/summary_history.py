"""The History tab: every change of a demographic field of the patient — when, who, which
field, old → new — newest first, as ``demographic_history`` keeps it."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.registry import HistoryEntry, demographic_history
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.patient_rows import HistoryTableModel
from medtrack_desktop.ui.service_calls import PatientCalls, error_text
from medtrack_desktop.ui.widgets.tables import read_only_table


class HistoryView(QWidget):
    def __init__(self, model: HistoryTableModel) -> None:
        super().__init__()
        self.table = read_only_table("Demographic changes")
        self.table.setModel(model)
        self.status = QLabel(objectName="muted")
        self.status.setAccessibleName("History status")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)


class HistoryTab(QObject):
    def __init__(self, context: AppContext, actor: Actor) -> None:
        super().__init__()
        self.model = HistoryTableModel(timezone=context.seat.clinic_timezone)
        self.view = HistoryView(self.model)
        self.setParent(self.view)  # owned by the view (see UsersController)
        self.model.setParent(self.view)
        self.calls = PatientCalls(context, actor, self.view)

    def set_patient(self, patient_id: uuid.UUID | None) -> None:
        self.calls.patient_id = patient_id
        self.model.set_rows([])
        self.view.status.setText("")

    def refresh(self) -> None:
        self.view.status.setText("Loading\u2026")
        self.calls.start("patient.history", demographic_history, on_done=self._loaded,
                         on_failed=lambda error: self.view.status.setText(
                             error_text(error, doing="load the history")))

    def _loaded(self, rows: list[HistoryEntry]) -> None:
        self.model.set_rows(rows)
        self.view.status.setText(
            "No demographic field has been changed since registration." if not rows else
            f"{len(rows)} change{'' if len(rows) == 1 else 's'}, newest first")
