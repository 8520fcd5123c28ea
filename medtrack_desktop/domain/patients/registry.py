"""Registering patients and keeping their demographics: the front desk's services.

Every service checks the permission and the record's privacy first, writes in the caller's one
transaction, keeps the search index in step, and audits: ``patient.create``,
``patient.update`` (which fields changed — the values are in the demographic history, not the
audit trail), ``patient.read`` when the full demographics are shown, ``patient.ssn_reveal`` when
the whole SSN is. The SSN is stored sealed (AES-GCM under the clinic key, bound to the row)
with a blind index of the 9 digits and of the last 4; only its last 4 digits leave the service
unless revealed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.field_keys import clinic_cipher
from medtrack_desktop.domain.identity.models import Clinic, User
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.access import readable_patient, writable_patient
from medtrack_desktop.domain.patients.demographics import Demographics, clean_demographics
from medtrack_desktop.domain.patients.models import DemographicChange, Patient
from medtrack_desktop.domain.patients.mrn import check_manual_mrn, next_mrn
from medtrack_desktop.domain.patients.retention import retention_until
from medtrack_desktop.domain.patients.search_index import add_terms, reindex
from medtrack_desktop.store.base import bind_actor, new_id, utcnow
from medtrack_desktop.store.field_crypto import FieldCipher

PHOTO_MAX_BYTES = 2 * 1024 * 1024
_PHOTO_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
# Shown as changed in the history, never with their values.
_SEALED = frozenset({"ssn", "photo"})


class StaleRecord(RuntimeError):
    """Someone else saved this record since it was opened; the message is safe to show."""

    def __init__(self) -> None:
        super().__init__("Someone else changed this patient since you opened it. Reload the "
                         "record, then make your change again.")


@dataclass(frozen=True)
class PatientRecord:
    """A patient's demographics as the registration form and summary show them."""

    id: uuid.UUID
    version: int
    mrn: str
    demographics: Demographics  # ``ssn`` is None here: see ``ssn_last4``
    ssn_last4: str | None
    has_photo: bool
    restricted: bool
    retention_until: date
    created_at: datetime
    updated_at: datetime

    @property
    def display_name(self) -> str:
        d = self.demographics
        return f"{d.last_name}, {d.first_name}" if d.first_name else d.last_name


@dataclass(frozen=True)
class HistoryEntry:
    field: str
    old_value: str | None
    new_value: str | None
    changed_at: datetime
    changed_by: str


def _ssn_binding(patient_id: uuid.UUID) -> str:
    return f"patients.ssn:{patient_id}"


def ssn_columns(cipher: FieldCipher, patient_id: uuid.UUID, ssn: str | None) -> dict[str, Any]:
    """The stored form of an SSN (9 digits, or None for none): sealed value and blind index."""
    if not ssn:
        return {"ssn_cipher": None, "ssn_digest": None, "ssn_last4_digest": None}
    return {
        "ssn_cipher": cipher.seal(ssn, bound_to=_ssn_binding(patient_id)),
        "ssn_digest": cipher.digest(ssn, purpose="ssn"),
        "ssn_last4_digest": cipher.digest(ssn[-4:], purpose="ssn-last4"),
    }


def _record(session: Session, patient: Patient, cipher: FieldCipher) -> PatientRecord:
    clinic = session.get_one(Clinic, patient.clinic_id)
    values = {}
    for field in fields(Demographics):
        if field.name != "ssn":
            value = getattr(patient, field.name)
            values[field.name] = "" if value is None and field.default == "" else value
    ssn = (cipher.open(patient.ssn_cipher, bound_to=_ssn_binding(patient.id))
           if patient.ssn_cipher else None)
    return PatientRecord(
        id=patient.id, version=patient.version, mrn=patient.mrn,
        demographics=Demographics(**values, ssn=None),
        ssn_last4=ssn[-4:] if ssn else None,
        has_photo=patient.photo is not None,
        restricted=patient.restricted,
        retention_until=retention_until(
            born=patient.date_of_birth,
            last_treatment=patient.last_treatment_on
            or patient.created_at.astimezone(ZoneInfo(clinic.timezone)).date(),  # registered
            years=clinic.retention_years, minor_until_age=clinic.retention_minor_until_age,
        ),
        created_at=patient.created_at, updated_at=patient.updated_at,
    )


def register_patient(
    session: Session, actor: Actor, *, demographics: Demographics, today: date,
    mrn: str | None = None,
) -> PatientRecord:
    """Register a new patient (MRN generated unless one is typed); ``DemographicsInvalid``
    or ``MrnError`` name the fields to fix."""
    require(actor, "patient.write")
    values = clean_demographics(demographics, today=today)
    clinic = session.get_one(Clinic, actor.seat.clinic_id)
    assigned = check_manual_mrn(session, clinic, mrn) if mrn and mrn.strip() else \
        next_mrn(session, clinic)
    cipher = clinic_cipher(session, clinic.id)
    bind_actor(session, actor.user_id)
    patient_id = new_id()
    ssn = values.pop("ssn")
    patient = Patient(id=patient_id, clinic_id=clinic.id, mrn=assigned, **values,
                      **ssn_columns(cipher, patient_id, ssn))
    session.add(patient)
    session.flush()
    reindex(session, [patient_id])
    given = sorted(name for name, value in values.items() if value not in (None, "", False))
    trail.record(session, seat=actor.seat, actor=actor, action="patient.create",
                 resource_type="patient", resource_id=str(patient_id), patient_id=patient_id,
                 changes={"fields": [*given, *(["ssn"] if ssn else [])]})
    return _record(session, patient, cipher)


def get_patient(session: Session, actor: Actor, *, patient_id: uuid.UUID) -> PatientRecord:
    """The full demographics of a record the actor may read (audited as a PHI read)."""
    patient = readable_patient(session, actor, patient_id)
    trail.record(session, seat=actor.seat, actor=actor, action="patient.read",
                 resource_type="patient", resource_id=str(patient_id), patient_id=patient_id)
    return _record(session, patient, clinic_cipher(session, patient.clinic_id))


def reveal_ssn(session: Session, actor: Actor, *, patient_id: uuid.UUID) -> str | None:
    """The whole SSN (as 123-45-6789) for someone who may change demographics; audited."""
    patient = writable_patient(session, actor, patient_id)
    trail.record(session, seat=actor.seat, actor=actor, action="patient.ssn_reveal",
                 resource_type="patient", resource_id=str(patient_id), patient_id=patient_id)
    if patient.ssn_cipher is None:
        return None
    ssn = clinic_cipher(session, patient.clinic_id).open(
        patient.ssn_cipher, bound_to=_ssn_binding(patient.id))
    return f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}"


def _shown(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value.isoformat() if isinstance(value, date) else str(value)


def update_demographics(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, version: int,
    demographics: Demographics, today: date,
) -> PatientRecord:
    """Save changed demographics of the record opened at ``version`` (``StaleRecord`` if it
    changed since). Each changed field goes to the demographic history, old → new."""
    patient = writable_patient(session, actor, patient_id)
    if patient.version != version:
        raise StaleRecord()
    values = clean_demographics(demographics, today=today)
    cipher = clinic_cipher(session, patient.clinic_id)
    bind_actor(session, actor.user_id)
    ssn = values.pop("ssn")
    changed: list[str] = []
    for name, value in values.items():
        old = getattr(patient, name)
        if old != value:
            changed.append(name)
            session.add(DemographicChange(clinic_id=patient.clinic_id, patient_id=patient_id,
                                          field=name, old_value=_shown(old),
                                          new_value=_shown(value)))
            setattr(patient, name, value)
    if ssn is not None:
        current = (cipher.open(patient.ssn_cipher, bound_to=_ssn_binding(patient_id))
                   if patient.ssn_cipher else "")
        if ssn != current:
            changed.append("ssn")
            session.add(DemographicChange(clinic_id=patient.clinic_id, patient_id=patient_id,
                                          field="ssn", old_value="(sealed)" if current else None,
                                          new_value="(sealed)" if ssn else None))
            for column, value in ssn_columns(cipher, patient_id, ssn).items():
                setattr(patient, column, value)
    if changed:
        session.flush()
        reindex(session, [patient_id])
        trail.record(session, seat=actor.seat, actor=actor, action="patient.update",
                     resource_type="patient", resource_id=str(patient_id),
                     patient_id=patient_id, changes={"fields": changed})
    return _record(session, patient, cipher)


def set_photo(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, photo: bytes | None
) -> None:
    """Keep a PNG or JPEG photo of the patient (at most 2 MB), or remove it (None)."""
    patient = writable_patient(session, actor, patient_id)
    if photo is not None:
        if len(photo) > PHOTO_MAX_BYTES:
            raise ValueError("Photo: at most 2 MB; choose a smaller picture.")
        if not photo.startswith(_PHOTO_SIGNATURES):
            raise ValueError("Photo: a PNG or JPEG picture is needed.")
    bind_actor(session, actor.user_id)
    session.add(DemographicChange(clinic_id=patient.clinic_id, patient_id=patient_id,
                                  field="photo", old_value="(picture)" if patient.photo else None,
                                  new_value="(picture)" if photo else None))
    patient.photo = photo
    trail.record(session, seat=actor.seat, actor=actor, action="patient.update",
                 resource_type="patient", resource_id=str(patient_id), patient_id=patient_id,
                 changes={"fields": ["photo"]})


def get_photo(session: Session, actor: Actor, *, patient_id: uuid.UUID) -> bytes | None:
    """The patient's photo (audited as part of reading the record)."""
    patient = readable_patient(session, actor, patient_id)
    trail.record(session, seat=actor.seat, actor=actor, action="patient.read",
                 resource_type="patient", resource_id=str(patient_id), patient_id=patient_id,
                 reason="photo")
    return patient.photo


def demographic_history(
    session: Session, actor: Actor, *, patient_id: uuid.UUID
) -> list[HistoryEntry]:
    """Every change of a demographic field, newest first (audited as a PHI read)."""
    readable_patient(session, actor, patient_id)
    rows = session.execute(
        select(DemographicChange, User.username)
        .outerjoin(User, User.id == DemographicChange.created_by)
        .where(DemographicChange.patient_id == patient_id)
        .order_by(DemographicChange.created_at.desc(), DemographicChange.id.desc())
    ).all()
    trail.record(session, seat=actor.seat, actor=actor, action="patient.read",
                 resource_type="patient", resource_id=str(patient_id), patient_id=patient_id,
                 reason="history")
    return [
        HistoryEntry(field=row.field, old_value=row.old_value, new_value=row.new_value,
                     changed_at=row.created_at, changed_by=username or "system")
        for row, username in rows
    ]


def import_patients(
    session: Session, actor: Actor, *, records: Iterable[Mapping[str, Any]]
) -> list[uuid.UUID]:
    """Insert already-cleaned demographic records in bulk (demo data, CSV imports).

    Each record is one patient's column values (``mrn``, names, ``date_of_birth`` … and
    optionally ``ssn`` as 9 digits, sealed here). The search index is filled in the same
    transaction and every created patient gets its own audit entry.
    """
    require(actor, "patient.write")
    now = utcnow()
    cipher = clinic_cipher(session, actor.seat.clinic_id)
    rows = []
    for record in records:
        values = dict(record)
        patient_id = new_id()
        ssn = values.pop("ssn", None)
        rows.append({
            **values,
            **ssn_columns(cipher, patient_id, ssn),
            "id": patient_id,
            "clinic_id": actor.seat.clinic_id,
            "created_at": now,
            "updated_at": now,
            "created_by": actor.user_id,
            "updated_by": actor.user_id,
            "version": 1,
        })
    if not rows:
        return []
    # render_nulls: one INSERT for the batch, not one per pattern of empty columns
    session.execute(insert(Patient).execution_options(render_nulls=True), rows)
    add_terms(session, rows)
    trail.record_many(
        session,
        seat=actor.seat,
        actor=actor,
        events=[
            {
                "action": "patient.create",
                "resource_type": "patient",
                "resource_id": str(row["id"]),
                "patient_id": row["id"],
            }
            for row in rows
        ],
    )
    return [row["id"] for row in rows]
