"""What the views of one signed-in window share: the open patient, the one way to open a
patient, and typed notices of what changed. Made by the main window for each sign-in (so
signing out forgets the patient) and handed to every module view."""

from __future__ import annotations

import enum
import uuid

from PySide6.QtCore import QObject, Signal

from medtrack_desktop.domain.patients.access import PatientHeader
from medtrack_desktop.ui.shell.patient_opening import PatientOpener


class Changed(enum.Flag):
    """What a command changed; each open view decides whether it must refresh."""

    PATIENTS = enum.auto()  # demographics, insurance, consent, merges: lists and searches
    CHART = enum.auto()  # encounters, notes, vitals, problems, allergies, medications …
    SCHEDULE = enum.auto()  # appointments booked, moved, their status changed


class Workspace(QObject):
    """``sig_patient_changed(PatientHeader | None)`` when a patient is opened or closed;
    ``sig_changed(Changed)`` after a command changed data; ``sig_show_module(key)`` asks the
    window to bring a module forward."""

    sig_patient_changed = Signal(object)
    sig_changed = Signal(object)
    sig_show_module = Signal(str)

    def __init__(self, opener: PatientOpener, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.opener = opener
        self.patient: PatientHeader | None = None
        opener.sig_opened.connect(self._opened)

    def open_patient(self, patient_id: uuid.UUID) -> None:
        """Open a record (asking for a break-the-glass reason when needed), off the GUI thread."""
        self.opener.open_by_id(patient_id)

    def open_by_mrn(self, mrn: str) -> None:
        self.opener.open_by_mrn(mrn)

    def close_patient(self) -> None:
        self.patient = None
        self.sig_patient_changed.emit(None)

    def announce(self, changed: Changed) -> None:
        self.sig_changed.emit(changed)

    def _opened(self, patient: PatientHeader) -> None:
        self.patient = patient
        self.sig_patient_changed.emit(patient)
