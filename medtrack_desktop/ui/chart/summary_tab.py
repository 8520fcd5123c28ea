"""The chart's Summary tab: what matters for safety first (allergies and alerts), then active
problems and medications, the last vital signs and the latest encounters."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from medtrack_desktop.domain.chart.encounters import encounter_type_label
from medtrack_desktop.domain.chart.summary import ChartSummary, chart_summary
from medtrack_desktop.domain.chart.vital_measures import SPECS, Vital
from medtrack_desktop.domain.chart.vitals import format_vital
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.service_calls import PatientCalls, error_text

_SHOWN_VITALS = (Vital.SYSTOLIC, Vital.DIASTOLIC, Vital.PULSE, Vital.TEMPERATURE,
                 Vital.RESPIRATION, Vital.SPO2, Vital.WEIGHT, Vital.HEIGHT, Vital.BMI)


def _box(title: str) -> tuple[QGroupBox, QLabel]:
    box = QGroupBox(title)
    text = QLabel(wordWrap=True)
    text.setAccessibleName(title)
    text.setTextInteractionFlags(text.textInteractionFlags())
    QVBoxLayout(box).addWidget(text)
    return box, text


class SummaryTabView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.safety = QLabel(objectName="safetyLine", wordWrap=True)
        self.safety.setAccessibleName("Allergies and alerts")
        boxes = {key: _box(title) for key, title in (
            ("problems", "Active problems"), ("medications", "Active medications"),
            ("vitals", "Last vital signs"), ("encounters", "Recent encounters"),
            ("upcoming", "Upcoming appointments"))}
        self.texts = {key: text for key, (_box_, text) in boxes.items()}
        self.status = QLabel(objectName="muted")
        grid = QGridLayout()
        for index, key in enumerate(("problems", "medications", "vitals", "encounters")):
            grid.addWidget(boxes[key][0], index // 2, index % 2)
        grid.addWidget(boxes["upcoming"][0], 2, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.safety)
        layout.addLayout(grid)
        layout.addWidget(self.status)
        layout.addStretch(1)


class SummaryTab(QObject):
    def __init__(self, context: AppContext, actor: Actor) -> None:
        super().__init__()
        self.view = SummaryTabView()
        self.setParent(self.view)
        self._zone = ZoneInfo(context.seat.clinic_timezone)
        self.calls = PatientCalls(context, actor, self.view)
        self.summary: ChartSummary | None = None

    def set_patient(self, patient_id: uuid.UUID | None) -> None:
        self.calls.patient_id = patient_id
        self.summary = None
        self.view.safety.setText("")
        for text in self.view.texts.values():
            text.setText("")
        self.view.status.setText("")

    def refresh(self) -> None:
        self.view.status.setText("Loading\u2026")
        self.calls.start("chart.summary", chart_summary, on_done=self.show,
                         on_failed=lambda error: self.view.status.setText(
                             error_text(error, doing="load the chart")))

    def show(self, summary: ChartSummary) -> None:
        self.summary = summary
        view = self.view
        view.status.setText("")
        view.safety.setText(" \u00b7 ".join((summary.banner.allergy_text,
                                             *summary.banner.alerts)))
        view.texts["problems"].setText("\n".join(
            f"{p.title}{f' ({p.code})' if p.code else ''}"
            f"{' — chronic' if p.status == 'chronic' else ''}" for p in summary.problems)
            or "None recorded")
        view.texts["medications"].setText("\n".join(m.text for m in summary.medications)
                                          or "None recorded")
        vitals = summary.last_vitals
        if vitals is None:
            view.texts["vitals"].setText("None recorded")
        else:
            shown = [f"{SPECS[kind].label}: {format_vital(kind, value)}"
                     for kind in _SHOWN_VITALS if (value := vitals.value(kind)) is not None]
            view.texts["vitals"].setText(
                f"{vitals.taken_at.astimezone(self._zone):%Y-%m-%d %H:%M}\n" + "\n".join(shown))
        view.texts["encounters"].setText("\n".join(
            f"{e.starts_at.astimezone(self._zone):%Y-%m-%d} \u00b7 "
            f"{encounter_type_label(e.encounter_type)} \u00b7 {e.reason} \u00b7 {e.status_label}"
            for e in summary.recent_encounters) or "None yet")
        view.texts["upcoming"].setText("Not shown to your role" if summary.upcoming is None else
                                       "\n".join(
            f"{a.starts_at.astimezone(self._zone):%Y-%m-%d %H:%M} \u00b7 {a.category} \u00b7 "
            f"{a.provider_name}{' (confirmed)' if a.status == 'confirmed' else ''}"
            for a in summary.upcoming) or "None booked")
