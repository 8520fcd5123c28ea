"""What the chart shows first: the banner's safety facts and the summary page, read in one unit
of work when a chart opens — a few small queries whatever the length of the history (the
timeline, the vitals and the lists load their own pages when their tabs are opened)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.chart.access import audit, chart_patient
from medtrack_desktop.domain.chart.allergies import AllergyStatus, allergy_status
from medtrack_desktop.domain.chart.encounters import EncounterSummary, encounters
from medtrack_desktop.domain.chart.models import Medication, Problem
from medtrack_desktop.domain.chart.problems import CURRENT_STATUSES
from medtrack_desktop.domain.chart.vitals import VitalSet, latest_vitals
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.scheduling.appointments import (
    UpcomingAppointment,
    upcoming_for_patient,
)

RECENT_ENCOUNTERS = 5


@dataclass(frozen=True)
class BannerFacts:
    """The safety line every patient view shows: allergies ("no known allergies" is not the
    same as "not recorded") and alerts."""

    allergies: AllergyStatus
    alerts: tuple[str, ...]

    @property
    def allergy_text(self) -> str:
        if self.allergies.state == "not_recorded":
            return "Allergies not recorded"
        if self.allergies.state == "no_known_allergies":
            return "No known allergies"
        return "Allergies: " + ", ".join(
            entry.allergen + (f" ({entry.severity})" if entry.severity else "")
            for entry in self.allergies.allergies)


@dataclass(frozen=True)
class ActiveProblem:
    code: str | None
    title: str
    status: str
    onset_on: date | None


@dataclass(frozen=True)
class ActiveMedication:
    name: str
    dose: Decimal | None
    dose_unit: str | None
    route: str | None
    frequency: str | None

    @property
    def text(self) -> str:
        dose = f"{self.dose.normalize():f}" if self.dose is not None else ""
        parts = [self.name, " ".join(p for p in (dose, self.dose_unit or "") if p),
                 self.route or "", self.frequency or ""]
        return " ".join(part for part in parts if part)


@dataclass(frozen=True)
class ChartSummary:
    banner: BannerFacts
    problems: tuple[ActiveProblem, ...]
    medications: tuple[ActiveMedication, ...]
    last_vitals: VitalSet | None
    recent_encounters: tuple[EncounterSummary, ...]
    upcoming: tuple[UpcomingAppointment, ...] | None  # None: the user does not see schedules


def banner_facts(session: Session, actor: Actor, *, patient_id: uuid.UUID) -> BannerFacts:
    """Allergies and alerts of the patient (a PHI read, audited by the allergy service)."""
    patient = chart_patient(session, actor, patient_id)
    status = allergy_status(session, actor, patient_id=patient_id)
    alerts = []
    if patient.deceased:
        alerts.append("Deceased" + (f" {patient.deceased_on:%Y-%m-%d}"
                                    if patient.deceased_on else ""))
    alerts += [f"Severe allergy: {entry.allergen}" for entry in status.allergies
               if entry.severity == "severe"]
    return BannerFacts(allergies=status, alerts=tuple(alerts))


def chart_summary(session: Session, actor: Actor, *, patient_id: uuid.UUID) -> ChartSummary:
    """The summary page: active problems and medications, allergies, the last vitals, the
    latest encounters and the next appointments."""
    banner = banner_facts(session, actor, patient_id=patient_id)
    problems = session.execute(
        select(Problem.code, Problem.title, Problem.status, Problem.onset_on)
        .where(Problem.patient_id == patient_id, Problem.deleted_at.is_(None),
               Problem.status.in_(CURRENT_STATUSES))
        .order_by(Problem.title)).all()
    medications = session.execute(
        select(Medication.name, Medication.dose, Medication.dose_unit, Medication.route,
               Medication.frequency)
        .where(Medication.patient_id == patient_id, Medication.deleted_at.is_(None),
               Medication.status == "active")
        .order_by(Medication.name)).all()
    audit(session, actor, action="chart.read", patient_id=patient_id, resource_type="chart",
          reason="summary", changes={"problems": len(problems),
                                     "medications": len(medications)})
    return ChartSummary(
        banner=banner,
        problems=tuple(ActiveProblem(*row) for row in problems),
        medications=tuple(ActiveMedication(*row) for row in medications),
        last_vitals=latest_vitals(session, actor, patient_id=patient_id),
        recent_encounters=tuple(encounters(session, actor, patient_id=patient_id,
                                           limit=RECENT_ENCOUNTERS)),
        upcoming=tuple(upcoming_for_patient(session, actor, patient_id=patient_id))
        if actor.can("schedule.read") else None,
    )
