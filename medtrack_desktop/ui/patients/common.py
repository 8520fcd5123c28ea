"""What the patients module's lists share: service calls as jobs for the task runner, and
opening a patient picked from a list."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.access import PatientHeader
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.tasks import Job
from medtrack_desktop.ui.workspace import Workspace


def service_job(store: Store, actor: Actor, service: Callable[..., Any], **kwargs: Any) -> Job:
    """``service(session, actor, **kwargs)`` as one unit of work, for the task runner."""
    return lambda _progress, _cancelled: perform(store, actor, service, **kwargs)


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
