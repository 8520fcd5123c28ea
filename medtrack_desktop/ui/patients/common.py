"""Opening a patient picked from one of the patients module's lists."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QObject, Signal

from medtrack_desktop.domain.patients.access import PatientHeader
from medtrack_desktop.ui.workspace import Workspace


class PatientPick(QObject):
    """Opens a picked patient through the workspace (which asks for a break-the-glass reason
    when needed, off the GUI thread) and emits ``sig_opened(PatientHeader)`` once that patient
    is the open one, so the page can show the record. Refusals are the opener's to show."""

    sig_opened = Signal(object)

    def __init__(self, workspace: Workspace, parent: QObject) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._wanted: uuid.UUID | None = None
        workspace.sig_patient_changed.connect(self._changed)

    def open(self, patient_id: uuid.UUID) -> None:
        self._wanted = patient_id
        self._workspace.open_patient(patient_id)

    def _changed(self, patient: PatientHeader | None) -> None:
        if patient is not None and patient.id == self._wanted:
            self._wanted = None
            self.sig_opened.emit(patient)
