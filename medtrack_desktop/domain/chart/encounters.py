"""Encounters: opening a visit, writing its SOAP note and review of systems (autosaved while a
draft), clinical notes of other kinds, cancelling, and the chart's timeline.

A new encounter is a ``draft``; the first saved note text makes it ``in_progress``; signing
(``signing.py``) makes it ``signed`` and read-only, with the database refusing any change to it
or to what it contains. The note editor saves every few seconds through ``save_note``, each
save checked against the version the editor holds, so two editors never overwrite each other
silently and a killed app loses at most the last few seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.chart.access import (
    ChartRecordNotFound,
    SignedRecordLocked,
    audit,
    chart_patient,
    older_than,
    owned_row,
)
from medtrack_desktop.domain.chart.models import (
    ENCOUNTER_TYPES,
    NOTE_TYPES,
    OPEN_STATUSES,
    ROS_FINDINGS,
    ROS_SYSTEMS,
    ClinicalNote,
    Encounter,
    EncounterAmendment,
    Signature,
)
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import Role, User, UserRole
from medtrack_desktop.domain.identity.permissions import require, role_matrix
from medtrack_desktop.domain.patients.demographics import clean_text
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.store.base import new_id, utcnow

NOTE_MAX = 100_000  # characters per SOAP section or note: pages of text, not a pasted file
REASON_MAX = 500
FUTURE_SLACK = timedelta(days=366)  # an encounter may be opened ahead for a booked visit
ROS_LABELS = {
    "constitutional": "Constitutional", "eyes": "Eyes", "ent": "Ears, nose, mouth, throat",
    "cardiovascular": "Cardiovascular", "respiratory": "Respiratory",
    "gastrointestinal": "Gastrointestinal", "genitourinary": "Genitourinary",
    "musculoskeletal": "Musculoskeletal", "integumentary": "Skin and breasts",
    "neurological": "Neurological", "psychiatric": "Psychiatric", "endocrine": "Endocrine",
    "hematologic": "Hematologic / lymphatic", "allergic": "Allergic / immunologic",
}
SOAP_SECTIONS = ("subjective", "objective", "assessment", "plan")


class EncounterInvalid(FieldsInvalid):
    pass


@dataclass(frozen=True)
class RosEntry:
    finding: str | None  # "negative", "positive", or None (not reviewed)
    note: str = ""


@dataclass(frozen=True)
class NoteDraft:
    """What the note editor holds: the four SOAP sections and the review of systems."""

    subjective: str = ""
    objective: str = ""
    assessment: str = ""
    plan: str = ""
    review_of_systems: Mapping[str, RosEntry] | None = None


@dataclass(frozen=True)
class EncounterInput:
    encounter_type: str
    starts_at: datetime
    reason: str
    provider_id: uuid.UUID | None = None  # the acting user when None
    facility: str | None = None
    specialty: str | None = None


@dataclass(frozen=True)
class ClinicalNoteEntry:
    id: uuid.UUID
    note_type: str
    title: str
    body: str
    author_id: uuid.UUID | None
    created_at: datetime
    version: int


@dataclass(frozen=True)
class SignatureInfo:
    id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    printed_name: str
    meaning: str
    signed_at: datetime
    content_sha256: str


def encounter_type_label(value: str) -> str:
    """How an encounter type reads on screen and on paper ("follow_up" -> "Follow up")."""
    return value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class EncounterSummary:
    """A line of the timeline."""

    id: uuid.UUID
    encounter_type: str
    status: str
    starts_at: datetime
    provider_name: str
    reason: str
    amended: bool

    @property
    def status_label(self) -> str:
        return "Signed, amended" if self.amended else self.status.replace("_", " ").capitalize()

    @property
    def cursor(self) -> tuple[datetime, uuid.UUID]:
        """Where the next page of ``encounters`` starts (``before=``)."""
        return self.starts_at, self.id


@dataclass(frozen=True)
class EncounterDetail:
    id: uuid.UUID
    patient_id: uuid.UUID
    provider_id: uuid.UUID
    provider_name: str
    encounter_type: str
    status: str
    starts_at: datetime
    facility: str | None
    specialty: str | None
    reason: str
    note: NoteDraft
    cancelled_reason: str | None
    version: int
    clinical_notes: tuple[ClinicalNoteEntry, ...]
    signatures: tuple[SignatureInfo, ...]

    @property
    def editable(self) -> bool:
        return self.status in OPEN_STATUSES


def _clean_note_text(errors: dict[str, str], field: str, label: str, text: str) -> str:
    return clean_text(text, label, NOTE_MAX, errors, field, multiline=True) or ""


def clean_note_draft(draft: NoteDraft) -> dict[str, object]:
    """The note's column values, or ``EncounterInvalid`` naming each wrong section."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {
        section: _clean_note_text(errors, section, section.capitalize(), getattr(draft, section))
        for section in SOAP_SECTIONS
    }
    review: dict[str, dict[str, str]] = {}
    for system, entry in (draft.review_of_systems or {}).items():
        if system not in ROS_SYSTEMS:
            errors[f"ros.{system}"] = "Review of systems: unknown system."
            continue
        if entry.finding is not None and entry.finding not in ROS_FINDINGS:
            errors[f"ros.{system}"] = f"{ROS_LABELS[system]}: choose negative or positive."
            continue
        note = _clean_note_text(errors, f"ros.{system}", ROS_LABELS[system], entry.note)
        if entry.finding is not None or note:
            review[system] = {"finding": entry.finding or "", "note": note}
    if errors:
        raise EncounterInvalid(errors)
    values["review_of_systems"] = review
    return values


def _clean_header(session: Session, actor: Actor, entered: EncounterInput,
                  now: datetime) -> dict[str, object]:
    errors: dict[str, str] = {}
    if entered.encounter_type not in ENCOUNTER_TYPES:
        errors["encounter_type"] = "Type: choose the kind of visit."
    if entered.starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    if entered.starts_at > now + FUTURE_SLACK:
        errors["starts_at"] = "Date: more than a year ahead; check the date."
    values: dict[str, object] = {"encounter_type": entered.encounter_type,
                                 "starts_at": entered.starts_at}
    for field, label, text, limit in (
        ("reason", "Reason for visit", entered.reason, REASON_MAX),
        ("facility", "Facility", entered.facility, 200),
        ("specialty", "Specialty", entered.specialty, 80),
    ):
        values[field] = clean_text(text or "", label, limit, errors, field)
    if not values["reason"] and "reason" not in errors:
        errors["reason"] = "Reason for visit: say why the patient is seen."
    provider_id = entered.provider_id or actor.user_id
    if provider_id not in {provider.id for provider in providers(session, actor)}:
        errors["provider_id"] = "Provider: choose an active provider of this clinic."
    values["provider_id"] = provider_id
    if errors:
        raise EncounterInvalid(errors)
    return values


def chart_encounter(session: Session, actor: Actor, encounter_id: uuid.UUID,
                    *, write: bool) -> Encounter:
    """The encounter row if the actor may read (``write``: change) its patient's chart."""
    row = session.get(Encounter, encounter_id)
    if row is None or row.clinic_id != actor.seat.clinic_id or row.deleted_at is not None:
        raise ChartRecordNotFound("This encounter")
    chart_patient(session, actor, row.patient_id, write=write)
    return row


def writable_encounter(session: Session, actor: Actor, encounter_id: uuid.UUID,
                       version: int | None = None) -> Encounter:
    """The encounter if it may still be changed (open, not signed or cancelled) by the actor,
    at ``version`` when given; else the typed refusal."""
    row = chart_encounter(session, actor, encounter_id, write=True)
    if row.status == "signed":
        raise SignedRecordLocked()
    if row.status == "cancelled":
        raise EncounterInvalid({"status": "This encounter was cancelled; open a new one."})
    if version is not None and row.version != version:
        raise StaleRecord()
    return row


def start_encounter(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, entered: EncounterInput,
    now: datetime | None = None,
) -> EncounterDetail:
    """Open a new (draft) encounter for the patient."""
    patient = chart_patient(session, actor, patient_id, write=True)
    values = _clean_header(session, actor, entered, now or utcnow())
    row = Encounter(id=new_id(), clinic_id=patient.clinic_id, patient_id=patient_id,
                    status="draft", review_of_systems={}, **values)
    session.add(row)
    session.flush()
    audit(session, actor, action="chart.write", patient_id=patient_id,
          resource_type="encounter", resource_id=row.id, reason="started",
          changes={"fields": sorted(values)})
    return _detail(session, row)


def update_encounter(
    session: Session, actor: Actor, *, encounter_id: uuid.UUID, entered: EncounterInput,
    version: int, now: datetime | None = None,
) -> EncounterDetail:
    """Change the visit's type, date, reason, provider, facility or specialty."""
    row = writable_encounter(session, actor, encounter_id, version)
    values = _clean_header(session, actor, entered, now or utcnow())
    changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    audit(session, actor, action="chart.write", patient_id=row.patient_id,
          resource_type="encounter", resource_id=row.id, changes={"fields": changed})
    return _detail(session, row)


def save_note(
    session: Session, actor: Actor, *, encounter_id: uuid.UUID, draft: NoteDraft, version: int,
) -> int:
    """Save the note as the editor holds it (autosave and explicit save alike); returns the
    encounter's new version for the editor's next save. Unchanged text writes nothing."""
    row = writable_encounter(session, actor, encounter_id, version)
    values = clean_note_draft(draft)
    changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    if not changed:
        return row.version
    for name in changed:
        setattr(row, name, values[name])
    if row.status == "draft":
        row.status = "in_progress"
    session.flush()
    audit(session, actor, action="chart.write", patient_id=row.patient_id,
          resource_type="encounter", resource_id=row.id, reason="note",
          changes={"fields": changed})
    return row.version


def cancel_encounter(
    session: Session, actor: Actor, *, encounter_id: uuid.UUID, reason: str, version: int,
) -> EncounterDetail:
    """Cancel an unsigned encounter (kept, with the reason; nothing of it is erased)."""
    row = writable_encounter(session, actor, encounter_id, version)
    errors: dict[str, str] = {}
    cleaned = clean_text(reason, "Reason", REASON_MAX, errors, "cancelled_reason")
    if not cleaned:
        raise EncounterInvalid(errors or {"cancelled_reason": "Reason: say why it is cancelled."})
    row.status, row.cancelled_reason = "cancelled", cleaned
    session.flush()
    audit(session, actor, action="chart.write", patient_id=row.patient_id,
          resource_type="encounter", resource_id=row.id, reason="cancelled")
    return _detail(session, row)


def add_clinical_note(
    session: Session, actor: Actor, *, encounter_id: uuid.UUID, note_type: str, title: str,
    body: str,
) -> ClinicalNoteEntry:
    """A note of another kind (nursing, telephone …) in an open encounter."""
    encounter = writable_encounter(session, actor, encounter_id)
    values = _clean_clinical_note(note_type, title, body)
    row = ClinicalNote(id=new_id(), clinic_id=encounter.clinic_id,
                       patient_id=encounter.patient_id, encounter_id=encounter.id, **values)
    session.add(row)
    session.flush()
    audit(session, actor, action="chart.write", patient_id=encounter.patient_id,
          resource_type="clinical_note", resource_id=row.id, reason="added",
          changes={"note_type": note_type})
    return _clinical_note(row)


def update_clinical_note(
    session: Session, actor: Actor, *, encounter_id: uuid.UUID, note_id: uuid.UUID,
    note_type: str, title: str, body: str, version: int,
) -> ClinicalNoteEntry:
    encounter = writable_encounter(session, actor, encounter_id)
    row = owned_row(session, ClinicalNote, note_id, encounter.patient_id, "This note")
    if row.encounter_id != encounter.id:
        raise ChartRecordNotFound("This note")
    if row.version != version:
        raise StaleRecord()
    values = _clean_clinical_note(note_type, title, body)
    changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    audit(session, actor, action="chart.write", patient_id=encounter.patient_id,
          resource_type="clinical_note", resource_id=row.id, changes={"fields": changed})
    return _clinical_note(row)


def _clean_clinical_note(note_type: str, title: str, body: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if note_type not in NOTE_TYPES:
        errors["note_type"] = "Kind: choose the kind of note."
    cleaned_title = clean_text(title, "Title", 200, errors, "title") or ""
    if not cleaned_title and "title" not in errors:
        errors["title"] = "Title: give the note a title."
    cleaned_body = _clean_note_text(errors, "body", "Note", body)
    if errors:
        raise EncounterInvalid(errors)
    return {"note_type": note_type, "title": cleaned_title, "body": cleaned_body}


def encounter(session: Session, actor: Actor, *, encounter_id: uuid.UUID) -> EncounterDetail:
    """One encounter with its note, clinical notes and signatures (a PHI read, audited)."""
    row = chart_encounter(session, actor, encounter_id, write=False)
    audit(session, actor, action="chart.read", patient_id=row.patient_id,
          resource_type="encounter", resource_id=row.id)
    return _detail(session, row)


def encounters(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, limit: int = 50,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> list[EncounterSummary]:
    """The timeline, newest first, ``limit`` at a time (``before``: the ``cursor`` of the last
    one shown)."""
    chart_patient(session, actor, patient_id)
    amended = exists().where(EncounterAmendment.encounter_id == Encounter.id,
                             EncounterAmendment.status == "signed")
    statement = (
        select(Encounter.id, Encounter.encounter_type, Encounter.status, Encounter.starts_at,
               Encounter.reason, User.first_name, User.last_name, amended.label("amended"))
        .join(User, User.id == Encounter.provider_id)
        .where(Encounter.patient_id == patient_id, Encounter.deleted_at.is_(None))
        .order_by(Encounter.starts_at.desc(), Encounter.id.desc()).limit(limit)
    )
    if before is not None:
        statement = statement.where(older_than(Encounter.starts_at, Encounter.id, before))
    rows = session.execute(statement).all()
    audit(session, actor, action="chart.read", patient_id=patient_id,
          resource_type="encounter", reason="timeline", changes={"results": len(rows)})
    return [EncounterSummary(
        id=r.id, encounter_type=r.encounter_type, status=r.status, starts_at=r.starts_at,
        provider_name=f"{r.first_name} {r.last_name}", reason=r.reason, amended=r.amended,
    ) for r in rows]


@dataclass(frozen=True)
class Provider:
    id: uuid.UUID
    name: str


def providers(session: Session, actor: Actor) -> list[Provider]:
    """The clinic's active users who may sign notes (staff data, not PHI), by name: who an
    encounter can be for."""
    require(actor, "chart.read")
    signers = [name for name, (_text, granted) in role_matrix().items() if "chart.sign" in granted]
    rows = session.execute(
        select(User.id, User.first_name, User.last_name).distinct()
        .join(UserRole, UserRole.user_id == User.id).join(Role, Role.id == UserRole.role_id)
        .where(User.clinic_id == actor.seat.clinic_id, User.is_active.is_(True),
               Role.name.in_(signers))
        .order_by(User.last_name, User.first_name))
    return [Provider(id=r.id, name=f"{r.first_name} {r.last_name}") for r in rows]


def signatures_of(session: Session, record_type: str,
                  record_ids: list[uuid.UUID]) -> list[SignatureInfo]:
    """The signatures of these records, oldest first (no access check: callers have it)."""
    if not record_ids:
        return []
    rows = session.scalars(select(Signature).where(and_(
        Signature.record_type == record_type, Signature.record_id.in_(record_ids)))
        .order_by(Signature.signed_at))
    return [SignatureInfo(id=s.id, record_type=s.record_type, record_id=s.record_id,
                          printed_name=s.printed_name, meaning=s.meaning,
                          signed_at=s.signed_at, content_sha256=s.content_sha256) for s in rows]


def _clinical_note(row: ClinicalNote) -> ClinicalNoteEntry:
    return ClinicalNoteEntry(id=row.id, note_type=row.note_type, title=row.title, body=row.body,
                             author_id=row.created_by, created_at=row.created_at,
                             version=row.version)


def _detail(session: Session, row: Encounter) -> EncounterDetail:
    provider = session.get_one(User, row.provider_id)
    notes = session.scalars(select(ClinicalNote).where(
        ClinicalNote.encounter_id == row.id, ClinicalNote.deleted_at.is_(None))
        .order_by(ClinicalNote.created_at))
    review = {system: RosEntry(finding=entry.get("finding") or None, note=entry.get("note", ""))
              for system, entry in (row.review_of_systems or {}).items()}
    return EncounterDetail(
        id=row.id, patient_id=row.patient_id, provider_id=row.provider_id,
        provider_name=provider.display_name, encounter_type=row.encounter_type,
        status=row.status, starts_at=row.starts_at, facility=row.facility,
        specialty=row.specialty, reason=row.reason,
        note=NoteDraft(subjective=row.subjective, objective=row.objective,
                       assessment=row.assessment, plan=row.plan, review_of_systems=review),
        cancelled_reason=row.cancelled_reason, version=row.version,
        clinical_notes=tuple(_clinical_note(note) for note in notes),
        signatures=tuple(signatures_of(session, "encounter", [row.id])),
    )
