"""ORM rows of the patient chart. They never leave ``domain/``.

An encounter holds its note (SOAP and review of systems) and owns its clinical notes, the vital
signs taken in it and the documents filed under it; once signed, all of them are read-only —
refused by triggers in both databases (``store/triggers.py``), not only by the services. An
amendment is a new row with its own signature. The lists that live across visits (problems,
allergies, medications, immunizations, procedures) may name the encounter they were noted in
but are not locked by it; every change of a medication is kept in ``medication_history``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from medtrack_desktop.store.base import Base, ClinicScoped, one_of

ENCOUNTER_TYPES = (
    "office", "follow_up", "new_patient", "annual_physical", "telehealth", "procedure",
    "emergency", "home_visit", "other",
)
ENCOUNTER_STATUSES = ("draft", "in_progress", "signed", "cancelled")
OPEN_STATUSES = ("draft", "in_progress")
# The 14 systems of the review of systems (seed roadmap, review_of_systems table).
ROS_SYSTEMS = (
    "constitutional", "eyes", "ent", "cardiovascular", "respiratory", "gastrointestinal",
    "genitourinary", "musculoskeletal", "integumentary", "neurological", "psychiatric",
    "endocrine", "hematologic", "allergic",
)
ROS_FINDINGS = ("negative", "positive")
NOTE_TYPES = ("progress", "nursing", "procedure", "telephone", "consult", "letter", "other")
SIGNATURE_MEANINGS = ("authorship", "review", "approval")
SIGNED_RECORDS = ("encounter", "amendment")
AMENDMENT_STATUSES = ("draft", "signed")
PROBLEM_STATUSES = ("active", "chronic", "inactive", "resolved")
ALLERGEN_TYPES = ("drug", "food", "environmental", "other")
ALLERGY_SEVERITIES = ("mild", "moderate", "severe")
ALLERGY_STATUSES = ("active", "inactive", "resolved")
MEDICATION_STATUSES = ("active", "discontinued", "completed")
MEDICATION_ROUTES = (
    "oral", "sublingual", "buccal", "topical", "transdermal", "inhaled", "intranasal",
    "ophthalmic", "otic", "rectal", "vaginal", "subcutaneous", "intramuscular", "intravenous",
    "other",
)
MEDICATION_CHANGES = ("started", "changed", "discontinued", "completed")
IMMUNIZATION_ROUTES = ("intramuscular", "subcutaneous", "intradermal", "oral", "intranasal")
IMMUNIZATION_SITES = (
    "left_deltoid", "right_deltoid", "left_thigh", "right_thigh", "left_arm", "right_arm",
    "mouth", "nose", "other",
)
PROCEDURE_CODE_SYSTEMS = ("CPT", "HCPCS", "ICD-10-PCS", "SNOMED-CT")
DOCUMENT_CATEGORIES = (
    "lab_report", "imaging_report", "referral", "consult_letter", "consent_form",
    "insurance_card", "identification", "correspondence", "other",
)


def _patient() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"), index=True)


def _encounter(*, required: bool = False) -> Any:
    return mapped_column(ForeignKey("encounters.id", ondelete="RESTRICT"), index=True,
                         nullable=not required)


def _user(**kwargs: Any) -> Any:
    return mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), **kwargs)


class Encounter(ClinicScoped, Base):
    """A visit: who saw the patient, when, why, and the SOAP note with its review of systems
    (``{system: {"finding": "negative"|"positive", "note": str}}``)."""

    __tablename__ = "encounters"
    __table_args__ = (
        Index("ix_encounters_patient_id_starts_at", "patient_id", "starts_at"),
        one_of("encounter_type", ENCOUNTER_TYPES),
        one_of("status", ENCOUNTER_STATUSES),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    provider_id: Mapped[uuid.UUID] = _user(index=True)
    encounter_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    starts_at: Mapped[datetime]
    facility: Mapped[str | None] = mapped_column(String(200))
    specialty: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(500))
    subjective: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    review_of_systems: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cancelled_reason: Mapped[str | None] = mapped_column(String(500))


class ClinicalNote(ClinicScoped, Base):
    """A free-text note of another kind (nursing, telephone, procedure …) within an encounter."""

    __tablename__ = "clinical_notes"
    __table_args__ = (one_of("note_type", NOTE_TYPES),)

    patient_id: Mapped[uuid.UUID] = _patient()
    encounter_id: Mapped[uuid.UUID] = _encounter(required=True)
    note_type: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")


class Signature(ClinicScoped, Base):
    """An electronic signature (21 CFR 11.50): who, when, meaning, and the SHA-256 of the
    canonical content signed. Append-only."""

    __tablename__ = "signatures"
    __table_args__ = (
        Index("ix_signatures_record_type_record_id", "record_type", "record_id"),
        one_of("record_type", SIGNED_RECORDS),
        one_of("meaning", SIGNATURE_MEANINGS),
    )

    record_type: Mapped[str] = mapped_column(String(12))
    record_id: Mapped[uuid.UUID]
    patient_id: Mapped[uuid.UUID] = _patient()
    signer_id: Mapped[uuid.UUID] = _user()
    printed_name: Mapped[str] = mapped_column(String(200))
    meaning: Mapped[str] = mapped_column(String(12))
    signed_at: Mapped[datetime]
    content_sha256: Mapped[str] = mapped_column(String(64))
    canonical_version: Mapped[int] = mapped_column(Integer)


class EncounterAmendment(ClinicScoped, Base):
    """A correction of a signed encounter's note: the whole corrected SOAP text, the reason,
    and (once signed) its own signature; read-only once signed. ``sequence`` orders the chain
    of versions (the original is 0)."""

    __tablename__ = "encounter_amendments"
    __table_args__ = (
        UniqueConstraint("encounter_id", "sequence"),
        one_of("status", AMENDMENT_STATUSES),
    )

    encounter_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("encounters.id", ondelete="RESTRICT"))
    patient_id: Mapped[uuid.UUID] = _patient()
    sequence: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), default="draft")
    reason: Mapped[str] = mapped_column(String(500))
    subjective: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")


class VitalSigns(ClinicScoped, Base):
    """One set of vital signs, in canonical units (``vital_measures``); BMI computed."""

    __tablename__ = "vital_signs"
    __table_args__ = (Index("ix_vital_signs_patient_id_taken_at", "patient_id", "taken_at"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    encounter_id: Mapped[uuid.UUID | None] = _encounter()
    taken_at: Mapped[datetime]
    height_cm: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    bmi: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    temperature_c: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    pulse: Mapped[int | None] = mapped_column(Integer)
    respiration: Mapped[int | None] = mapped_column(Integer)
    systolic: Mapped[int | None] = mapped_column(Integer)
    diastolic: Mapped[int | None] = mapped_column(Integer)
    spo2: Mapped[int | None] = mapped_column(Integer)
    head_circumference_cm: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    waist_circumference_cm: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    pain: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(500))


class Problem(ClinicScoped, Base):
    """An entry of the problem list, coded in ICD-10-CM."""

    __tablename__ = "problems"
    __table_args__ = (one_of("status", PROBLEM_STATUSES),)

    patient_id: Mapped[uuid.UUID] = _patient()
    encounter_id: Mapped[uuid.UUID | None] = _encounter()
    code_system: Mapped[str] = mapped_column(String(16), default="ICD-10-CM")
    code: Mapped[str | None] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="active")
    onset_on: Mapped[date | None]
    resolved_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)


class Allergy(ClinicScoped, Base):
    __tablename__ = "allergies"
    __table_args__ = (
        one_of("allergen_type", ALLERGEN_TYPES),
        one_of("severity", ALLERGY_SEVERITIES),
        one_of("status", ALLERGY_STATUSES),
    )

    patient_id: Mapped[uuid.UUID] = _patient()
    allergen: Mapped[str] = mapped_column(String(200))
    allergen_type: Mapped[str] = mapped_column(String(16))
    reaction: Mapped[str | None] = mapped_column(String(300))
    severity: Mapped[str | None] = mapped_column(String(10))
    onset_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10), default="active")
    notes: Mapped[str | None] = mapped_column(Text)


class AllergyReview(ClinicScoped, Base):
    """That somebody asked: "no known allergies" is a finding, distinct from never asking."""

    __tablename__ = "allergy_reviews"
    __table_args__ = (UniqueConstraint("patient_id"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="RESTRICT"))
    no_known_allergies: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed_at: Mapped[datetime]


class Medication(ClinicScoped, Base):
    """A medication the patient takes or took (free text until the orders issue's catalog)."""

    __tablename__ = "medications"
    __table_args__ = (
        one_of("route", MEDICATION_ROUTES),
        one_of("status", MEDICATION_STATUSES),
    )

    patient_id: Mapped[uuid.UUID] = _patient()
    encounter_id: Mapped[uuid.UUID | None] = _encounter()
    name: Mapped[str] = mapped_column(String(200))
    dose: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    dose_unit: Mapped[str | None] = mapped_column(String(20))
    route: Mapped[str | None] = mapped_column(String(16))
    frequency: Mapped[str | None] = mapped_column(String(60))
    start_on: Mapped[date | None]
    end_on: Mapped[date | None]
    prescriber_id: Mapped[uuid.UUID | None] = _user()
    prescriber_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(14), default="active")
    status_reason: Mapped[str | None] = mapped_column(String(300))
    instructions: Mapped[str | None] = mapped_column(Text)


class MedicationChange(ClinicScoped, Base):
    """One change of a medication, with the medication as it was after it. Append-only."""

    __tablename__ = "medication_history"
    __table_args__ = (one_of("change", MEDICATION_CHANGES),)

    medication_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("medications.id", ondelete="RESTRICT"), index=True)
    patient_id: Mapped[uuid.UUID] = _patient()
    change: Mapped[str] = mapped_column(String(14))
    changed_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(String(300))
    after: Mapped[dict[str, Any]] = mapped_column(JSON)


class Immunization(ClinicScoped, Base):
    __tablename__ = "immunizations"
    __table_args__ = (
        one_of("route", IMMUNIZATION_ROUTES),
        one_of("site", IMMUNIZATION_SITES),
    )

    patient_id: Mapped[uuid.UUID] = _patient()
    encounter_id: Mapped[uuid.UUID | None] = _encounter()
    cvx_code: Mapped[str] = mapped_column(String(4))
    vaccine: Mapped[str] = mapped_column(String(200))
    administered_on: Mapped[date]
    lot_number: Mapped[str | None] = mapped_column(String(40))
    manufacturer: Mapped[str | None] = mapped_column(String(100))
    route: Mapped[str | None] = mapped_column(String(14))
    site: Mapped[str | None] = mapped_column(String(14))
    administered_by_id: Mapped[uuid.UUID | None] = _user()
    administered_by: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)


class Procedure(ClinicScoped, Base):
    __tablename__ = "procedures"
    __table_args__ = (one_of("code_system", PROCEDURE_CODE_SYSTEMS),)

    patient_id: Mapped[uuid.UUID] = _patient()
    encounter_id: Mapped[uuid.UUID | None] = _encounter()
    code_system: Mapped[str] = mapped_column(String(12), default="CPT")
    code: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(300))
    performed_on: Mapped[date]
    performer_id: Mapped[uuid.UUID | None] = _user()
    performer_name: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)


class Document(ClinicScoped, Base):
    """A filed document's description; its bytes are in ``document_contents`` (the SQLCipher
    file encrypts them at rest) and its SHA-256 is checked on every read."""

    __tablename__ = "documents"
    __table_args__ = (one_of("category", DOCUMENT_CATEGORIES),)

    patient_id: Mapped[uuid.UUID] = _patient()
    encounter_id: Mapped[uuid.UUID | None] = _encounter()
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)


class DocumentContent(ClinicScoped, Base):
    """The bytes of one document, apart so that listing documents never reads them.
    Append-only: a document's content never changes."""

    __tablename__ = "document_contents"

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="RESTRICT"), unique=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
