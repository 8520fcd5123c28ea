"""Consents a patient gives — to treatment, to a disclosure of their PHI — and withdraws.

A consent is never edited away: withdrawing one records the day and the reason on it, and a
new consent is a new row, so the history of what the patient agreed to, and when, stays
whole (HIPAA; GDPR art. 7). Reads are audited as PHI reads; changes as ``patient.consent``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.patients.access import readable_patient, writable_patient
from medtrack_desktop.domain.patients.demographics import clean_text
from medtrack_desktop.domain.patients.models import CONSENT_KINDS, PatientConsent
from medtrack_desktop.store.base import bind_actor

CONSENT_LABELS = {"treatment": "Consent to treatment",
                  "phi_disclosure": "Consent to disclose health information"}


class ConsentInvalid(FieldsInvalid):
    """A consent or withdrawal that cannot be saved as typed."""


@dataclass(frozen=True)
class Consent:
    id: uuid.UUID
    kind: str
    granted_on: date
    expires_on: date | None
    disclosure_to: str | None
    note: str | None
    withdrawn_on: date | None
    withdrawal_reason: str | None
    recorded_by: str

    def in_force(self, today: date) -> bool:
        return self.granted_on <= today and (
            self.withdrawn_on is None or today < self.withdrawn_on) and (
            self.expires_on is None or today <= self.expires_on)


def _consent(row: PatientConsent, recorded_by: str | None) -> Consent:
    return Consent(
        id=row.id, kind=row.kind, granted_on=row.granted_on, expires_on=row.expires_on,
        disclosure_to=row.disclosure_to, note=row.note, withdrawn_on=row.withdrawn_on,
        withdrawal_reason=row.withdrawal_reason, recorded_by=recorded_by or "system",
    )


def consents(session: Session, actor: Actor, *, patient_id: uuid.UUID) -> list[Consent]:
    """Every consent of the patient, newest first (a PHI read)."""
    readable_patient(session, actor, patient_id)
    rows = session.execute(
        select(PatientConsent, User.username)
        .outerjoin(User, User.id == PatientConsent.created_by)
        .where(PatientConsent.patient_id == patient_id, PatientConsent.deleted_at.is_(None))
        .order_by(PatientConsent.granted_on.desc(), PatientConsent.created_at.desc())
    ).all()
    trail.record(session, seat=actor.seat, actor=actor, action="patient.read",
                 resource_type="patient", resource_id=str(patient_id), patient_id=patient_id,
                 reason="consent")
    return [_consent(row, username) for row, username in rows]


def record_consent(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, kind: str, granted_on: date | None,
    today: date, expires_on: date | None = None, disclosure_to: str = "", note: str = "",
) -> Consent:
    """Record a consent the patient gave (a disclosure consent names who may receive it)."""
    patient = writable_patient(session, actor, patient_id)
    errors: dict[str, str] = {}
    if kind not in CONSENT_KINDS:
        errors["kind"] = "Consent: choose what the patient consents to."
    if granted_on is None or granted_on > today:
        errors["granted_on"] = "Given on: a date, not in the future."
    if expires_on is not None and granted_on is not None and expires_on <= granted_on:
        errors["expires_on"] = "Expires: after the day it was given."
    recipient = clean_text(disclosure_to, "Disclose to", 200, errors, "disclosure_to")
    if kind == "phi_disclosure" and not recipient and "disclosure_to" not in errors:
        errors["disclosure_to"] = "Disclose to: name who may receive the information."
    text = clean_text(note, "Note", 4000, errors, "note")
    if errors:
        raise ConsentInvalid(errors)
    assert granted_on is not None
    bind_actor(session, actor.user_id)
    row = PatientConsent(clinic_id=patient.clinic_id, patient_id=patient_id, kind=kind,
                         granted_on=granted_on, expires_on=expires_on,
                         disclosure_to=recipient if kind == "phi_disclosure" else None,
                         note=text)
    session.add(row)
    session.flush()
    trail.record(session, seat=actor.seat, actor=actor, action="patient.consent",
                 resource_type="patient_consent", resource_id=str(row.id),
                 patient_id=patient_id, reason=f"granted {kind}")
    return _consent(row, actor.username)


def withdraw_consent(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, consent_id: uuid.UUID,
    withdrawn_on: date | None, reason: str, today: date,
) -> Consent:
    """Record that the patient withdrew a consent (from ``withdrawn_on``, with a reason)."""
    writable_patient(session, actor, patient_id)
    row = session.get(PatientConsent, consent_id)
    if row is None or row.patient_id != patient_id or row.deleted_at is not None:
        raise ConsentInvalid({"kind": "This consent no longer exists; reload the patient."})
    errors: dict[str, str] = {}
    if row.withdrawn_on is not None:
        errors["withdrawn_on"] = f"Withdrawn: already withdrawn on {row.withdrawn_on:%m/%d/%Y}."
    elif withdrawn_on is None or withdrawn_on > today or withdrawn_on < row.granted_on:
        errors["withdrawn_on"] = "Withdrawn on: between the day it was given and today."
    text = clean_text(reason, "Reason", 1000, errors, "withdrawal_reason")
    if not text and "withdrawal_reason" not in errors:
        errors["withdrawal_reason"] = "Reason: say why (as the patient put it)."
    if errors:
        raise ConsentInvalid(errors)
    bind_actor(session, actor.user_id)
    row.withdrawn_on, row.withdrawal_reason = withdrawn_on, text
    session.flush()
    trail.record(session, seat=actor.seat, actor=actor, action="patient.consent",
                 resource_type="patient_consent", resource_id=str(row.id),
                 patient_id=patient_id, reason=f"withdrew {row.kind}")
    recorded_by = session.scalar(select(User.username).where(User.id == row.created_by))
    return _consent(row, recorded_by)
