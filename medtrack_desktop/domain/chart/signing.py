"""Electronic signatures (21 CFR 11.50/11.70, DESIGN §4) and amendments of signed encounters.

Signing: the signer proves again who they are (password, and a code with two-step sign-in),
picks what the signature means, and the SHA-256 of the encounter's **canonical content** is
kept with the signature: the visit's header, the SOAP note, the review of systems, its clinical
notes, the vital signs taken in it and the hashes of the documents filed under it, as JSON with
sorted keys (``CANONICAL_VERSION`` names the form). From then on the database refuses any change
to the encounter or what it contains. "Verify" computes the hash again from the rows as they are.

An amendment is a new row holding the whole corrected note and the reason; it is signed the
same way, and its content includes the hash of the version it corrects, so the versions form a
chain that verification walks.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.chart.access import ChartRecordNotFound, audit, chart_patient
from medtrack_desktop.domain.chart.encounters import (
    SOAP_SECTIONS,
    EncounterInvalid,
    NoteDraft,
    SignatureInfo,
    chart_encounter,
    clean_note_draft,
    signatures_of,
    writable_encounter,
)
from medtrack_desktop.domain.chart.models import (
    SIGNATURE_MEANINGS,
    ClinicalNote,
    Document,
    Encounter,
    EncounterAmendment,
    Signature,
    VitalSigns,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.identity.reauth import confirm_identity
from medtrack_desktop.domain.patients.demographics import clean_text
from medtrack_desktop.domain.patients.merge import merged_records
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.store.base import new_id, utcnow

CANONICAL_VERSION = 1
# What each meaning says, as a signature line reads on screen and in print.
MEANING_TEXT = {"authorship": "author of this note", "review": "reviewed",
                "approval": "approved"}
SIGN_REFUSED = "The password or code is not correct, or the account is locked."
_VITAL_COLUMNS = (
    "taken_at", "height_cm", "weight_kg", "bmi", "temperature_c", "pulse", "respiration",
    "systolic", "diastolic", "spo2", "head_circumference_cm", "waist_circumference_cm", "pain",
    "note",
)


@dataclass(frozen=True)
class SignOutcome:
    """The signature made, or why not (a refusal is audited and committed, not raised)."""

    signature: SignatureInfo | None
    refused: str | None = None


@dataclass(frozen=True)
class Verification:
    signature: SignatureInfo
    valid: bool
    computed_sha256: str


@dataclass(frozen=True)
class NoteVersion:
    """One version of an encounter's note: the original (sequence 0) or an amendment."""

    sequence: int
    amendment_id: uuid.UUID | None
    status: str
    reason: str | None
    note: NoteDraft
    created_at: datetime
    version: int
    signatures: tuple[SignatureInfo, ...]


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_plain).encode("utf-8")


def encounter_content(session: Session, row: Encounter) -> dict[str, Any]:
    """What an encounter's signature covers, as plain values (see module doc)."""
    notes = session.scalars(select(ClinicalNote).where(
        ClinicalNote.encounter_id == row.id, ClinicalNote.deleted_at.is_(None))
        .order_by(ClinicalNote.id))
    vitals = session.scalars(select(VitalSigns).where(
        VitalSigns.encounter_id == row.id, VitalSigns.deleted_at.is_(None))
        .order_by(VitalSigns.id))
    documents = session.execute(select(Document.id, Document.sha256).where(
        Document.encounter_id == row.id, Document.deleted_at.is_(None)).order_by(Document.id))
    return {
        "canonical_version": CANONICAL_VERSION,
        "encounter": {
            "id": row.id, "patient_id": row.patient_id, "provider_id": row.provider_id,
            "encounter_type": row.encounter_type, "starts_at": row.starts_at,
            "facility": row.facility, "specialty": row.specialty, "reason": row.reason,
            **{section: getattr(row, section) for section in SOAP_SECTIONS},
            "review_of_systems": row.review_of_systems or {},
        },
        "clinical_notes": [{"id": n.id, "note_type": n.note_type, "title": n.title,
                            "body": n.body} for n in notes],
        "vital_signs": [{"id": v.id, **{c: getattr(v, c) for c in _VITAL_COLUMNS}}
                        for v in vitals],
        "documents": [{"id": d.id, "sha256": d.sha256} for d in documents],
    }


def _amendment_content(row: EncounterAmendment, previous_sha256: str) -> dict[str, Any]:
    return {
        "canonical_version": CANONICAL_VERSION,
        "amendment": {"id": row.id, "encounter_id": row.encounter_id, "sequence": row.sequence,
                      "reason": row.reason,
                      **{section: getattr(row, section) for section in SOAP_SECTIONS}},
        "amends_sha256": previous_sha256,
    }


def content_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(content)).hexdigest()


def _clean_meaning(meaning: str) -> None:
    if meaning not in SIGNATURE_MEANINGS:
        raise EncounterInvalid({"meaning": "Meaning: choose authorship, review or approval."})


def _signature(
    session: Session, actor: Actor, *, record_type: str, record_id: uuid.UUID,
    patient_id: uuid.UUID, meaning: str, sha256: str, now: datetime | None,
) -> SignatureInfo:
    signer = session.get_one(User, actor.user_id)
    row = Signature(id=new_id(), clinic_id=actor.seat.clinic_id, record_type=record_type,
                    record_id=record_id, patient_id=patient_id, signer_id=signer.id,
                    printed_name=signer.display_name, meaning=meaning,
                    signed_at=now or utcnow(), content_sha256=sha256,
                    canonical_version=CANONICAL_VERSION)
    session.add(row)
    session.flush()
    audit(session, actor, action="chart.sign", patient_id=patient_id, resource_type=record_type,
          resource_id=record_id, reason=meaning, changes={"sha256": sha256})
    return signatures_of(session, record_type, [record_id])[-1]


def _confirmed(session: Session, actor: Actor, *, password: str, code: str | None,
               record_type: str, record_id: uuid.UUID, now: datetime | None) -> bool:
    return confirm_identity(session, actor, password=password, code=code,
                            action="chart.sign.confirm", resource_type=record_type,
                            resource_id=str(record_id), now=now) is None


def sign_encounter(
    session: Session, actor: Actor, *, encounter_id: uuid.UUID, version: int, password: str,
    code: str | None = None, meaning: str = "authorship", now: datetime | None = None,
) -> SignOutcome:
    """Sign an open encounter: it and what it contains become read-only. Authorship is the
    encounter's provider's to sign; another signer signs for review or approval."""
    require(actor, "chart.sign")
    row = writable_encounter(session, actor, encounter_id, version)
    _clean_meaning(meaning)
    if meaning == "authorship" and row.provider_id != actor.user_id:
        raise EncounterInvalid({"meaning": "Meaning: only the encounter's provider signs as "
                                           "author; sign for review or approval."})
    if not (row.reason and any(getattr(row, section).strip() for section in SOAP_SECTIONS)):
        raise EncounterInvalid({"note": "The note is empty; write it before signing."})
    if not _confirmed(session, actor, password=password, code=code, record_type="encounter",
                      record_id=row.id, now=now):
        return SignOutcome(signature=None, refused=SIGN_REFUSED)
    sha256 = content_sha256(encounter_content(session, row))
    row.status = "signed"
    session.flush()
    return SignOutcome(signature=_signature(
        session, actor, record_type="encounter", record_id=row.id, patient_id=row.patient_id,
        meaning=meaning, sha256=sha256, now=now))


def _signed_encounter(session: Session, actor: Actor, encounter_id: uuid.UUID) -> Encounter:
    row = chart_encounter(session, actor, encounter_id, write=True)
    if row.status != "signed":
        raise EncounterInvalid({"status": "Only a signed encounter is amended; "
                                          "edit this one directly."})
    return row


def _amendments(session: Session, encounter_id: uuid.UUID) -> list[EncounterAmendment]:
    return list(session.scalars(select(EncounterAmendment).where(
        EncounterAmendment.encounter_id == encounter_id,
        EncounterAmendment.deleted_at.is_(None)).order_by(EncounterAmendment.sequence)))


def start_amendment(
    session: Session, actor: Actor, *, encounter_id: uuid.UUID, reason: str,
) -> NoteVersion:
    """A draft amendment of a signed encounter, starting from its latest signed note."""
    row = _signed_encounter(session, actor, encounter_id)
    errors: dict[str, str] = {}
    cleaned = clean_text(reason, "Reason for the amendment", 500, errors, "reason")
    if not cleaned:
        raise EncounterInvalid(errors or {"reason": "Reason for the amendment: say what is "
                                                    "corrected and why."})
    chain = _amendments(session, row.id)
    if any(item.status == "draft" for item in chain):
        raise EncounterInvalid({"reason": "An amendment of this encounter is already being "
                                          "written; finish or sign that one."})
    latest: Encounter | EncounterAmendment = chain[-1] if chain else row
    amendment = EncounterAmendment(
        id=new_id(), clinic_id=row.clinic_id, encounter_id=row.id, patient_id=row.patient_id,
        sequence=len(chain) + 1, status="draft", reason=cleaned,
        **{section: getattr(latest, section) for section in SOAP_SECTIONS})
    session.add(amendment)
    session.flush()
    audit(session, actor, action="chart.write", patient_id=row.patient_id,
          resource_type="amendment", resource_id=amendment.id, reason="started")
    return _version(session, amendment)


def _draft_amendment(session: Session, actor: Actor, amendment_id: uuid.UUID,
                     version: int) -> EncounterAmendment:
    amendment = session.get(EncounterAmendment, amendment_id)
    if amendment is None or amendment.clinic_id != actor.seat.clinic_id:
        raise ChartRecordNotFound("This amendment")
    chart_patient(session, actor, amendment.patient_id, write=True)
    if amendment.status != "draft":
        raise EncounterInvalid({"status": "This amendment is signed; add another one."})
    if amendment.version != version:
        raise StaleRecord()
    return amendment


def save_amendment(
    session: Session, actor: Actor, *, amendment_id: uuid.UUID, draft: NoteDraft, version: int,
) -> int:
    """Save a draft amendment's corrected note; returns its new version."""
    amendment = _draft_amendment(session, actor, amendment_id, version)
    values = clean_note_draft(draft)
    changed = [section for section in SOAP_SECTIONS
               if getattr(amendment, section) != values[section]]
    for section in changed:
        setattr(amendment, section, values[section])
    session.flush()
    if changed:
        audit(session, actor, action="chart.write", patient_id=amendment.patient_id,
              resource_type="amendment", resource_id=amendment.id,
              changes={"fields": changed})
    return amendment.version


def _previous_sha256(session: Session, amendment: EncounterAmendment) -> str:
    if amendment.sequence == 1:
        record_type, record_id = "encounter", amendment.encounter_id
    else:
        record_type = "amendment"
        record_id = session.scalar(select(EncounterAmendment.id).where(
            EncounterAmendment.encounter_id == amendment.encounter_id,
            EncounterAmendment.sequence == amendment.sequence - 1))
    signed = signatures_of(session, record_type, [record_id]) if record_id else []
    if not signed:
        raise EncounterInvalid({"status": "The version this amendment corrects is not signed."})
    return signed[0].content_sha256


def sign_amendment(
    session: Session, actor: Actor, *, amendment_id: uuid.UUID, version: int, password: str,
    code: str | None = None, meaning: str = "authorship", now: datetime | None = None,
) -> SignOutcome:
    """Sign a draft amendment; it becomes the encounter's current note, read-only."""
    require(actor, "chart.sign")
    amendment = _draft_amendment(session, actor, amendment_id, version)
    _clean_meaning(meaning)
    if not _confirmed(session, actor, password=password, code=code, record_type="amendment",
                      record_id=amendment.id, now=now):
        return SignOutcome(signature=None, refused=SIGN_REFUSED)
    sha256 = content_sha256(_amendment_content(amendment, _previous_sha256(session, amendment)))
    amendment.status = "signed"
    session.flush()
    return SignOutcome(signature=_signature(
        session, actor, record_type="amendment", record_id=amendment.id,
        patient_id=amendment.patient_id, meaning=meaning, sha256=sha256, now=now))


def note_versions(
    session: Session, actor: Actor, *, encounter_id: uuid.UUID
) -> list[NoteVersion]:
    """The chain of versions of the encounter's note, original first (a PHI read)."""
    row = chart_encounter(session, actor, encounter_id, write=False)
    audit(session, actor, action="chart.read", patient_id=row.patient_id,
          resource_type="encounter", resource_id=row.id, reason="versions")
    original = NoteVersion(
        sequence=0, amendment_id=None, status=row.status, reason=None,
        note=NoteDraft(**{section: getattr(row, section) for section in SOAP_SECTIONS}),
        created_at=row.created_at, version=row.version,
        signatures=tuple(signatures_of(session, "encounter", [row.id])))
    return [original, *(_version(session, item) for item in _amendments(session, row.id))]


def _version(session: Session, amendment: EncounterAmendment) -> NoteVersion:
    return NoteVersion(
        sequence=amendment.sequence, amendment_id=amendment.id, status=amendment.status,
        reason=amendment.reason,
        note=NoteDraft(**{section: getattr(amendment, section) for section in SOAP_SECTIONS}),
        created_at=amendment.created_at, version=amendment.version,
        signatures=tuple(signatures_of(session, "amendment", [amendment.id])))


def _signed_encounter_sha256(session: Session, row: Encounter, signed: set[str]) -> str:
    """The hash of the encounter's content as it was signed. The content names the patient, and
    a merge re-files the notes of a duplicate record under the survivor: the content under a
    record merged into the encounter's patient counts too. The hash under its own patient when
    none matches."""
    content = encounter_content(session, row)
    own = content_sha256(content)
    if own in signed:
        return own
    for patient_id in merged_records(session, row.patient_id):
        content["encounter"]["patient_id"] = patient_id
        if (filed := content_sha256(content)) in signed:
            return filed
    return own


def verify_signatures(
    session: Session, actor: Actor, *, encounter_id: uuid.UUID
) -> list[Verification]:
    """Compute again the hash of every signed version of the encounter and compare it with
    its signatures, oldest first. Audited (a check of the record, and a PHI read)."""
    row = chart_encounter(session, actor, encounter_id, write=False)
    signatures = signatures_of(session, "encounter", [row.id])
    computed = _signed_encounter_sha256(session, row, {s.content_sha256 for s in signatures})
    checks = [Verification(signature, signature.content_sha256 == computed, computed)
              for signature in signatures]
    previous = computed
    for amendment in _amendments(session, row.id):
        if amendment.status != "signed":
            continue
        computed = content_sha256(_amendment_content(amendment, previous))
        for signature in signatures_of(session, "amendment", [amendment.id]):
            checks.append(Verification(signature, signature.content_sha256 == computed,
                                       computed))
        previous = computed
    audit(session, actor, action="chart.verify", patient_id=row.patient_id,
          resource_type="encounter", resource_id=row.id,
          reason=None if all(c.valid for c in checks) else "mismatch",
          changes={"signatures": len(checks), "valid": sum(c.valid for c in checks)})
    return checks

