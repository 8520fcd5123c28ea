"""Opening a patient into the window's context: the service call off the GUI thread, and the
break-the-glass question when the record is restricted. Every view that opens a patient goes
through one ``PatientOpener`` so the rules are asked the same way everywhere."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.access import (
    PatientHeader,
    PatientNotFound,
    RestrictedRecord,
    open_patient,
    open_patient_by_mrn,
)
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.tasks import TaskRunner
from medtrack_desktop.ui.widgets.break_glass import BreakGlassDialog

AskReason = Callable[[str, QWidget], str | None]
ShowError = Callable[[str, QWidget], None]


def ask_break_glass_reason(message: str, parent: QWidget) -> str | None:
    dialog = BreakGlassDialog(message, parent)
    return dialog.reason if dialog.exec() else None


def show_refusal(message: str, parent: QWidget) -> None:
    QMessageBox.warning(parent, "Patient record", message)


class PatientOpener(QObject):
    """Emits ``sig_opened(PatientHeader)`` when a record was opened for the actor.
    ``ask_reason`` and ``show_error`` are the dialogs (tests answer them)."""

    sig_opened = Signal(object)

    def __init__(
        self, *, store: Store, actor: Actor, tasks: TaskRunner, parent: QWidget,
        ask_reason: AskReason = ask_break_glass_reason, show_error: ShowError = show_refusal,
    ) -> None:
        super().__init__(parent)
        self._store, self._actor, self._tasks, self._parent = store, actor, tasks, parent
        self.ask_reason, self.show_error = ask_reason, show_error

    def open_by_mrn(self, mrn: str, *, reason: str | None = None) -> None:
        self._open(lambda again: self.open_by_mrn(mrn, reason=again), open_patient_by_mrn,
                   reason, mrn=mrn)

    def open_by_id(self, patient_id: uuid.UUID, *, reason: str | None = None) -> None:
        self._open(lambda again: self.open_by_id(patient_id, reason=again), open_patient,
                   reason, patient_id=patient_id)

    def _open(self, retry: Callable[[str], None], service: Callable[..., PatientHeader],
              reason: str | None, **lookup: object) -> None:
        store, actor = self._store, self._actor
        self._tasks.start(
            "patient.open",
            lambda _p, _c: perform(store, actor, service, break_glass_reason=reason, **lookup),
            on_done=self.sig_opened.emit,
            on_failed=lambda error: self._refused(error, retry),
        )

    def _refused(self, error: Exception, retry: Callable[[str], None]) -> None:
        if isinstance(error, RestrictedRecord) and error.can_break_glass:
            reason = self.ask_reason(str(error), self._parent)
            if reason is not None:
                retry(reason)
        elif isinstance(error, PermissionDenied | PatientNotFound):
            self.show_error(str(error), self._parent)
        else:
            self.show_error("The record could not be opened. Try again.", self._parent)
