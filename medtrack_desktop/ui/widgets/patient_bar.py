"""The patient context bar every patient-centred view shares (DESIGN §6).

Until a patient is opened it says so. It shows who the open patient is (photo, name, age, sex,
MRN), how the record was opened when that matters (restricted, broken glass), and — for users
who read charts — the allergies ("No known allergies" is not "Allergies not recorded") and
alerts, which the window fills in once they are read.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout

from medtrack_desktop.domain.chart.summary import BannerFacts
from medtrack_desktop.domain.patients.access import PatientHeader
from medtrack_desktop.ui.widgets.thumbnail import thumbnail

PHOTO_SIDE = 36


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
        self._photo = QLabel(objectName="patientBarPhoto")
        self._photo.setFixedSize(PHOTO_SIDE, PHOTO_SIDE)
        self._photo.setAccessibleName("Patient photo")
        layout.addWidget(self._photo)
        self._summary = QLabel(objectName="patientBarEmpty")
        self._summary.setAccessibleName("Open patient")
        self._flag = QLabel(objectName="patientBarFlag")
        self._flag.setAccessibleName("Record access")
        self._allergies = QLabel(objectName="patientBarAllergies")
        self._allergies.setAccessibleName("Allergies")
        self._alerts = QLabel(objectName="patientBarFlag")
        self._alerts.setAccessibleName("Alerts")
        for label in (self._allergies, self._alerts):  # a long list is cut, whole in its tip
            label.setMinimumWidth(PHOTO_SIDE)
        # Who the patient is on one line that nothing crowds out, the safety facts under it.
        rows = QVBoxLayout()
        rows.setSpacing(4)
        who = QHBoxLayout()
        who.addWidget(self._summary)
        who.addWidget(self._flag)
        who.addStretch(1)
        facts = QHBoxLayout()
        facts.addWidget(self._allergies)
        facts.addWidget(self._alerts)
        facts.addStretch(1)
        rows.addLayout(who)
        rows.addLayout(facts)
        layout.addLayout(rows, 1)
        self.clear()
        self.patient: PatientHeader | None = None

    @property
    def summary_text(self) -> str:
        return self._summary.text()

    @property
    def flag_text(self) -> str:
        return self._flag.text() if self._flag.isVisibleTo(self) else ""

    @property
    def allergy_text(self) -> str:
        return self._allergies.text() if self._allergies.isVisibleTo(self) else ""

    @property
    def alerts_text(self) -> str:
        return self._alerts.text() if self._alerts.isVisibleTo(self) else ""

    def clear(self) -> None:
        self.patient = None
        self._summary.setObjectName("patientBarEmpty")
        self._summary.setText("No patient selected")
        self._flag.hide()
        self.show_facts(None)
        self.show_photo(None)
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

    def show_photo(self, photo: bytes | None) -> None:
        picture = thumbnail(photo, PHOTO_SIDE, PHOTO_SIDE)
        if picture is None:
            self._photo.clear()
        else:
            self._photo.setPixmap(picture)
        self._photo.setVisible(picture is not None)

    def show_facts(self, facts: BannerFacts | None) -> None:
        """The allergies and alerts of the open patient (None: not read, or not for this
        user)."""
        if facts is None:
            self._allergies.hide()
            self._alerts.hide()
            return
        self._allergies.setText(facts.allergy_text)
        self._allergies.setToolTip(facts.allergy_text)
        self._allergies.setProperty("state", facts.allergies.state)
        self._allergies.show()
        self._alerts.setText(" \u00b7 ".join(facts.alerts))
        self._alerts.setToolTip(self._alerts.text())
        self._alerts.setVisible(bool(facts.alerts))
        self._restyle()

    def _restyle(self) -> None:
        for label in (self._summary, self._allergies):
            label.style().unpolish(label)
            label.style().polish(label)
