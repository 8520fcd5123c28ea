"""The patient context bar every patient-centred view shares (DESIGN §6).

Until a patient is opened it says so. It shows who the open patient is (name, age, sex, MRN) and
how the record was opened when that matters (restricted, broken glass); the chart issue adds
allergies and alerts.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel

from medtrack_desktop.domain.patients.access import PatientHeader


def age_text(born: date, today: date) -> str:
    """Age as clinicians write it: years, or months under 2, or days under 1 month."""
    months = (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)
    if months >= 24:
        return f"{months // 12} y"
    if months >= 1:
        return f"{months} mo"
    return f"{(today - born).days} d"


class PatientContextBar(QFrame):
    def __init__(self) -> None:
        super().__init__(objectName="patientBar")
        self.setAccessibleName("Patient context")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 6)
        self._summary = QLabel(objectName="patientBarEmpty")
        self._summary.setAccessibleName("Open patient")
        self._flag = QLabel(objectName="patientBarFlag")
        self._flag.setAccessibleName("Record access")
        layout.addWidget(self._summary)
        layout.addWidget(self._flag)
        layout.addStretch(1)
        self.clear()
        self.patient: PatientHeader | None = None

    @property
    def summary_text(self) -> str:
        return self._summary.text()

    @property
    def flag_text(self) -> str:
        return self._flag.text() if self._flag.isVisibleTo(self) else ""

    def clear(self) -> None:
        self.patient = None
        self._summary.setObjectName("patientBarEmpty")
        self._summary.setText("No patient selected")
        self._flag.hide()
        self._restyle()

    def show_patient(self, patient: PatientHeader, *, today: date) -> None:
        self.patient = patient
        self._summary.setObjectName("patientBarName")
        self._summary.setText(
            f"{patient.display_name} · {age_text(patient.date_of_birth, today)} · "
            f"{patient.sex.capitalize()} · DOB {patient.date_of_birth:%Y-%m-%d} · MRN {patient.mrn}"
        )
        flag = {"break_glass": "Restricted record — opened by breaking the glass",
                "care_team": "Restricted record — care team"}.get(patient.access)
        self._flag.setText(flag or "")
        self._flag.setVisible(flag is not None)
        self._restyle()

    def _restyle(self) -> None:
        self._summary.style().unpolish(self._summary)
        self._summary.style().polish(self._summary)
