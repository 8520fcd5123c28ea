"""The patient context bar every patient-centred view shares (DESIGN §6).

Until a patient is opened it says so; the chart issue fills it with name, age, sex, MRN,
allergies and alerts.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel


class PatientContextBar(QFrame):
    def __init__(self) -> None:
        super().__init__(objectName="patientBar")
        self.setAccessibleName("Patient context")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 6)
        self._empty = QLabel("No patient selected", objectName="patientBarEmpty")
        layout.addWidget(self._empty)
        layout.addStretch(1)

    @property
    def summary_text(self) -> str:
        return self._empty.text()
