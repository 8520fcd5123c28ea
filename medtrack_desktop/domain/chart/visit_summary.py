"""What an encounter's visit summary prints, read and audited as a print of the record.

The summary prints the encounter's *current* note: the original while it has no signed
amendment, else the latest signed amendment (a draft amendment is not the record yet). The
review of systems, clinical notes and vital signs are the encounter's own (amendments correct
the SOAP note only). Every signature of every signed version is printed with its full SHA-256,
so the paper names exactly what was signed (DESIGN §4: a signature shows on every print).

Problems, medications and allergies are the chart's lists as they are when printed, not as
they were at the visit; the PDF says so.

Audit: one ``chart.print`` entry for the encounter, naming the version printed and whether it
was signed, never any clinical text. The services read on the way (the encounter, its versions,
the allergy banner) write their own ``chart.read`` entries, as they do for the screen.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.chart.access import audit, chart_patient
from medtrack_desktop.domain.chart.encounters import (
    ROS_LABELS,
    SOAP_SECTIONS,
    EncounterDetail,
    SignatureInfo,
    encounter,
    encounter_type_label,
)
from medtrack_desktop.domain.chart.models import ROS_SYSTEMS, Medication, Problem, VitalSigns
from medtrack_desktop.domain.chart.problems import CURRENT_STATUSES
from medtrack_desktop.domain.chart.signing import MEANING_TEXT, NoteVersion, note_versions
from medtrack_desktop.domain.chart.summary import ActiveMedication, BannerFacts, banner_facts
from medtrack_desktop.domain.chart.vital_measures import Unit, Vital
from medtrack_desktop.domain.chart.vitals import COLUMNS, format_vital
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.store.base import utcnow

# What each signature meaning reads as in print (the same words as on screen).
SECTION_TITLES = {"subjective": "Subjective", "objective": "Objective",
                  "assessment": "Assessment", "plan": "Plan"}
# Vitals in print order, each in its canonical unit and, where US clinics read another, that
# one too: paper must be unambiguous whoever reads it.
_PRINTED_VITALS: tuple[tuple[Vital, str | None], ...] = (
    (Vital.HEIGHT, Unit.IN.value), (Vital.WEIGHT, Unit.LB.value), (Vital.BMI, None),
    (Vital.TEMPERATURE, Unit.FAHRENHEIT.value), (Vital.PULSE, None),
    (Vital.RESPIRATION, None), (Vital.SPO2, None),
    (Vital.HEAD_CIRCUMFERENCE, Unit.IN.value), (Vital.WAIST_CIRCUMFERENCE, Unit.IN.value),
    (Vital.PAIN, None),
)
_LABELS = {Vital.HEIGHT: "Height", Vital.WEIGHT: "Weight", Vital.BMI: "BMI",
           Vital.TEMPERATURE: "Temperature", Vital.PULSE: "Pulse",
           Vital.RESPIRATION: "Respiration", Vital.SPO2: "SpO\u2082",
           Vital.HEAD_CIRCUMFERENCE: "Head circumference",
           Vital.WAIST_CIRCUMFERENCE: "Waist circumference", Vital.PAIN: "Pain"}
BLOOD_PRESSURE = "Blood pressure"


@dataclass(frozen=True)
class PrintedSignature:
    printed_name: str
    meaning: str  # "authorship" | "review" | "approval"
    signed_at: datetime  # in the clinic's time zone
    content_sha256: str

    @property
    def meaning_text(self) -> str:
        return MEANING_TEXT.get(self.meaning, self.meaning)


@dataclass(frozen=True)
class SignedVersion:
    """One signed version of the note: the original (sequence 0) or an amendment."""

    sequence: int
    reason: str | None  # an amendment's reason
    signatures: tuple[PrintedSignature, ...]

    @property
    def title(self) -> str:
        return "Original note" if self.sequence == 0 else f"Amendment {self.sequence}"


@dataclass(frozen=True)
class RosLine:
    system: str  # its label: "Cardiovascular"
    finding: str  # "Negative", "Positive" or "" (a note without a finding)
    note: str


@dataclass(frozen=True)
class PrintedVitals:
    taken_at: datetime  # in the clinic's time zone
    values: tuple[tuple[str, str], ...]  # (label, "80.50 kg (177.5 lb)") in print order
    note: str


@dataclass(frozen=True)
class PrintedClinicalNote:
    kind: str  # "Nursing note"
    title: str
    body: str
    author: str
    written_at: datetime  # in the clinic's time zone


@dataclass(frozen=True)
class VisitSummaryFacts:
    """Everything the visit summary prints, as plain text and clinic-local times."""

    clinic_name: str
    time_zone: str
    printed_at: datetime  # clinic-local
    patient_name: str  # "Last, First Middle"
    date_of_birth: date
    sex: str  # "Female"
    mrn: str
    encounter_type: str  # "Annual physical"
    starts_at: datetime  # clinic-local
    provider_name: str
    facility: str | None
    specialty: str | None
    reason: str
    status: str  # "draft" | "in_progress" | "signed" | "cancelled"
    cancelled_reason: str | None
    printed_version: int  # 0: the original note, n: amendment n
    sections: tuple[tuple[str, str], ...]  # (title, text) of the SOAP note printed
    review_of_systems: tuple[RosLine, ...]
    clinical_notes: tuple[PrintedClinicalNote, ...]
    vitals: tuple[PrintedVitals, ...]
    allergies: str  # "No known allergies", "Allergies not recorded", "Allergies: …"
    alerts: tuple[str, ...]  # "Deceased 2026-01-02"
    problems: tuple[str, ...]
    medications: tuple[str, ...]
    signed_versions: tuple[SignedVersion, ...]  # oldest first; empty when never signed

    @property
    def signed(self) -> bool:
        return self.status == "signed" and bool(self.signed_versions)

    @property
    def amended(self) -> bool:
        return any(version.sequence > 0 for version in self.signed_versions)

    @property
    def amendment_reasons(self) -> tuple[tuple[int, str], ...]:
        return tuple((version.sequence, version.reason or "") for version in self.signed_versions
                     if version.sequence > 0)


def visit_summary_facts(
    session: Session, actor: Actor, *, encounter_id: uuid.UUID, now: datetime | None = None,
) -> VisitSummaryFacts:
    """The visit summary of one encounter (requires ``chart.read`` on its patient); audited as
    a print (``chart.print``)."""
    detail = encounter(session, actor, encounter_id=encounter_id)
    patient = chart_patient(session, actor, detail.patient_id)
    zone = ZoneInfo(actor.seat.clinic_timezone)
    versions = (note_versions(session, actor, encounter_id=encounter_id)
                if detail.status == "signed" else [])
    signed = [version for version in versions if version.status == "signed"]
    current: NoteVersion | None = signed[-1] if signed else None
    note = current.note if current is not None else detail.note
    banner = banner_facts(session, actor, patient_id=detail.patient_id)
    given = " ".join(part for part in (patient.first_name, patient.middle_name) if part)

    facts = VisitSummaryFacts(
        clinic_name=actor.seat.clinic_name, time_zone=actor.seat.clinic_timezone,
        printed_at=(now or utcnow()).astimezone(zone),
        patient_name=f"{patient.last_name}, {given}" if given else patient.last_name,
        date_of_birth=patient.date_of_birth, sex=patient.sex.capitalize(), mrn=patient.mrn,
        encounter_type=encounter_type_label(detail.encounter_type),
        starts_at=detail.starts_at.astimezone(zone), provider_name=detail.provider_name,
        facility=detail.facility, specialty=detail.specialty, reason=detail.reason,
        status=detail.status, cancelled_reason=detail.cancelled_reason,
        printed_version=0 if current is None else current.sequence,
        sections=tuple((SECTION_TITLES[section], getattr(note, section))
                       for section in SOAP_SECTIONS),
        review_of_systems=_review_of_systems(detail),
        clinical_notes=_clinical_notes(session, detail, zone),
        vitals=_vitals(session, encounter_id, zone),
        allergies=banner.allergy_text, alerts=_alerts(banner),
        problems=_problems(session, detail.patient_id),
        medications=_medications(session, detail.patient_id),
        signed_versions=tuple(SignedVersion(
            sequence=version.sequence, reason=version.reason,
            signatures=tuple(_signature(s, zone) for s in version.signatures))
            for version in signed),
    )
    audit(session, actor, action="chart.print", patient_id=detail.patient_id,
          resource_type="encounter", resource_id=detail.id, reason="visit summary",
          changes={"version": facts.printed_version, "signed": facts.signed})
    return facts


def _alerts(banner: BannerFacts) -> tuple[str, ...]:
    """The banner's alerts but those repeating the allergy line ("Severe allergy: X": the
    line already prints each allergy with its severity)."""
    repeated = {f"Severe allergy: {entry.allergen}" for entry in banner.allergies.allergies}
    return tuple(alert for alert in banner.alerts if alert not in repeated)


def _signature(signature: SignatureInfo, zone: ZoneInfo) -> PrintedSignature:
    return PrintedSignature(printed_name=signature.printed_name, meaning=signature.meaning,
                            signed_at=signature.signed_at.astimezone(zone),
                            content_sha256=signature.content_sha256)


def _review_of_systems(detail: EncounterDetail) -> tuple[RosLine, ...]:
    """The systems reviewed (a finding or a note), in the form's order."""
    review = detail.note.review_of_systems or {}
    lines = []
    for system in ROS_SYSTEMS:
        entry = review.get(system)
        if entry is None or not (entry.finding or entry.note.strip()):
            continue
        lines.append(RosLine(system=ROS_LABELS[system],
                             finding=(entry.finding or "").capitalize(), note=entry.note))
    return tuple(lines)


def _clinical_notes(session: Session, detail: EncounterDetail,
                    zone: ZoneInfo) -> tuple[PrintedClinicalNote, ...]:
    authors: dict[uuid.UUID, str] = {}
    for note in detail.clinical_notes:
        if note.author_id is not None and note.author_id not in authors:
            user = session.get(User, note.author_id)
            authors[note.author_id] = user.display_name if user is not None else ""
    return tuple(PrintedClinicalNote(
        kind=f"{note.note_type.capitalize()} note", title=note.title, body=note.body,
        author=authors.get(note.author_id, "") if note.author_id else "",
        written_at=note.created_at.astimezone(zone)) for note in detail.clinical_notes)


def _vitals(session: Session, encounter_id: uuid.UUID,
            zone: ZoneInfo) -> tuple[PrintedVitals, ...]:
    """The sets taken in this encounter, oldest first, each value as it prints."""
    rows = session.scalars(select(VitalSigns).where(
        VitalSigns.encounter_id == encounter_id, VitalSigns.deleted_at.is_(None))
        .order_by(VitalSigns.taken_at, VitalSigns.id))
    printed = []
    for row in rows:
        values: list[tuple[str, str]] = []
        if row.systolic is not None or row.diastolic is not None:
            systolic = "?" if row.systolic is None else str(row.systolic)
            diastolic = "?" if row.diastolic is None else str(row.diastolic)
            values.append((BLOOD_PRESSURE, f"{systolic}/{diastolic} mmHg"))
        for kind, other_unit in _PRINTED_VITALS:
            value = getattr(row, COLUMNS[kind].key)
            if value is None:
                continue
            text = format_vital(kind, Decimal(value))
            if other_unit is not None:
                text += f" ({format_vital(kind, Decimal(value), other_unit)})"
            values.append((_LABELS[kind], text))
        printed.append(PrintedVitals(taken_at=row.taken_at.astimezone(zone),
                                     values=tuple(values), note=row.note or ""))
    return tuple(printed)


def _problems(session: Session, patient_id: uuid.UUID) -> tuple[str, ...]:
    rows = session.execute(
        select(Problem.code, Problem.title).where(
            Problem.patient_id == patient_id, Problem.deleted_at.is_(None),
            Problem.status.in_(CURRENT_STATUSES)).order_by(Problem.title))
    return tuple(f"{title} ({code})" if code else title for code, title in rows)


def _medications(session: Session, patient_id: uuid.UUID) -> tuple[str, ...]:
    rows = session.execute(
        select(Medication.name, Medication.dose, Medication.dose_unit, Medication.route,
               Medication.frequency)
        .where(Medication.patient_id == patient_id, Medication.deleted_at.is_(None),
               Medication.status == "active").order_by(Medication.name))
    return tuple(ActiveMedication(*row).text for row in rows)
