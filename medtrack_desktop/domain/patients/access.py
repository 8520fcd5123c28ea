"""Opening a patient's record: who may, and breaking the glass for a restricted one (DESIGN §4).

Staff with ``patient.read`` open any unrestricted record of their clinic. A restricted record
opens directly only for its care team; anyone else who holds ``break_glass`` opens it by giving a
reason, recorded as a ``break_glass`` audit entry that the administrators' report lists, and
then reads it without a new reason for ``BREAK_GLASS_LASTS``. A ``patient`` user
(``self.read``) opens their own record only. Every opening is a PHI read and is audited as
``patient.open`` with the way access was granted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.permissions import PermissionDenied, require
from medtrack_desktop.domain.patients.models import CareTeamMember, Patient
from medtrack_desktop.store.base import bind_actor, utcnow

BREAK_GLASS_MIN_REASON = 10
BREAK_GLASS_MAX_REASON = 500
# Having broken the glass for a record, the user reads it without a new reason for this long.
BREAK_GLASS_LASTS = timedelta(hours=8)
Access = Literal["staff", "care_team", "break_glass", "self"]


class PatientNotFound(LookupError):
    """No such patient in the actor's clinic (or merged away). The message is safe to show."""

    def __init__(self, message: str = "This patient record does not exist or was removed.") -> None:
        super().__init__(message)


class PatientMerged(PatientNotFound):
    """The record was merged into another; ``survivor_id`` is where its data went."""

    def __init__(self, survivor_id: uuid.UUID, survivor_mrn: str) -> None:
        super().__init__(f"This record was merged into MRN {survivor_mrn}; open that one.")
        self.survivor_id = survivor_id


class RestrictedRecord(PermissionDenied):
    """The record is restricted and the user is not on its care team. ``can_break_glass`` says
    whether a reason would open it (the dialog asks for one) or nothing will."""

    def __init__(self, patient_id: uuid.UUID, *, can_break_glass: bool) -> None:
        message = (
            "This record is restricted. To open it, give the reason you need it now; your "
            "access is recorded and reviewed." if can_break_glass else
            "This record is restricted to the patient's care team."
        )
        super().__init__("break_glass", patient_id=patient_id, message=message)
        self.can_break_glass = can_break_glass


class BreakGlassReasonError(ValueError):
    """The break-the-glass reason is missing or too short; the message names the field."""


@dataclass(frozen=True)
class PatientHeader:
    """What every patient-centred view shows first (the context bar); no clinical data."""

    id: uuid.UUID
    mrn: str
    first_name: str
    last_name: str
    preferred_name: str | None
    date_of_birth: date
    sex: str
    restricted: bool
    access: Access

    @property
    def display_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


def on_care_team(session: Session, patient_id: uuid.UUID, user_id: uuid.UUID | None) -> bool:
    """Whether the user is on the patient's care team (opens a restricted record directly)."""
    return user_id is not None and bool(session.scalar(select(exists().where(
        CareTeamMember.patient_id == patient_id,
        CareTeamMember.user_id == user_id,
        CareTeamMember.deleted_at.is_(None),
    ))))


def _own_record(session: Session, actor: Actor, patient_id: uuid.UUID) -> bool:
    if actor.user_id is None or not actor.can("self.read"):
        return False
    return session.scalar(select(User.patient_id).where(User.id == actor.user_id)) == patient_id


def clean_reason(reason: str) -> str:
    """The reason as recorded: whitespace runs collapsed; refused when too short or too long."""
    text = " ".join(reason.split())
    if len(text) < BREAK_GLASS_MIN_REASON:
        raise BreakGlassReasonError(
            f"Reason: say why you need this record now (at least {BREAK_GLASS_MIN_REASON} "
            "characters)."
        )
    if len(text) > BREAK_GLASS_MAX_REASON:
        raise BreakGlassReasonError(
            f"Reason: keep it under {BREAK_GLASS_MAX_REASON} characters."
        )
    return text


def live_patient(session: Session, actor: Actor, patient_id: uuid.UUID) -> Patient:
    """The patient row if it is a live record of the actor's clinic (no access check)."""
    patient = session.get(Patient, patient_id)
    if patient is None or patient.clinic_id != actor.seat.clinic_id:
        raise PatientNotFound()
    if patient.merged_into_id is not None:
        survivor = session.get_one(Patient, patient.merged_into_id)
        raise PatientMerged(survivor.id, survivor.mrn)
    if patient.deleted_at is not None:
        raise PatientNotFound()
    return patient


def _broke_glass_lately(session: Session, actor: Actor, patient_id: uuid.UUID) -> bool:
    since = utcnow() - BREAK_GLASS_LASTS
    return actor.user_id is not None and bool(session.scalar(select(exists().where(
        AuditEntry.patient_id == patient_id,
        AuditEntry.occurred_at >= since,
        AuditEntry.action == "break_glass",
        AuditEntry.user_id == actor.user_id,
    ))))


def _access(session: Session, actor: Actor, patient: Patient) -> Access:
    """How the actor may read this record, or the typed refusal (see module doc)."""
    if actor.can("patient.read"):
        if not patient.restricted:
            return "staff"
        if on_care_team(session, patient.id, actor.user_id):
            return "care_team"
        if actor.can("break_glass") and _broke_glass_lately(session, actor, patient.id):
            return "break_glass"
        raise RestrictedRecord(patient.id, can_break_glass=actor.can("break_glass"))
    if _own_record(session, actor, patient.id):
        return "self"
    raise PermissionDenied("patient.read", patient_id=patient.id)


def readable_patient(session: Session, actor: Actor, patient_id: uuid.UUID) -> Patient:
    """The patient row, if the actor may read it now (restricted records: the care team, or
    whoever broke the glass for it in the last hours); else the typed refusal."""
    patient = live_patient(session, actor, patient_id)
    _access(session, actor, patient)
    return patient


def writable_patient(session: Session, actor: Actor, patient_id: uuid.UUID) -> Patient:
    """``readable_patient`` for a user who may also change demographics."""
    require(actor, "patient.write", patient_id=patient_id)
    return readable_patient(session, actor, patient_id)


def open_patient(
    session: Session, actor: Actor, *, patient_id: uuid.UUID,
    break_glass_reason: str | None = None,
) -> PatientHeader:
    """Open a patient's record for the actor, or refuse with a typed denial (see module doc)."""
    patient = live_patient(session, actor, patient_id)
    reason = None
    try:
        access = _access(session, actor, patient)
    except RestrictedRecord:
        if break_glass_reason is None or not actor.can("break_glass"):
            raise
        reason = clean_reason(break_glass_reason)
        access = "break_glass"
        trail.record(session, seat=actor.seat, actor=actor, action="break_glass",
                     resource_type="patient", resource_id=str(patient_id),
                     patient_id=patient_id, reason=reason)

    trail.record(session, seat=actor.seat, actor=actor, action="patient.open",
                 resource_type="patient", resource_id=str(patient_id), patient_id=patient_id,
                 reason=access if reason is None else f"break_glass: {reason}")
    return PatientHeader(
        id=patient.id, mrn=patient.mrn, first_name=patient.first_name,
        last_name=patient.last_name, preferred_name=patient.preferred_name,
        date_of_birth=patient.date_of_birth, sex=patient.sex, restricted=patient.restricted,
        access=access,
    )


def set_privacy(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, restricted: bool,
    care_team: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """Restrict (or free) a record and name its care team by user name; needs
    ``privacy.admin``. Removed members are tombstoned. Returns the care team as kept."""
    require(actor, "privacy.admin", patient_id=patient_id)
    patient = live_patient(session, actor, patient_id)
    wanted = {name.strip().lower() for name in care_team if name.strip()}
    users = {user.username: user for user in session.scalars(select(User).where(
        User.clinic_id == actor.seat.clinic_id, User.username.in_(wanted)))}
    if missing := sorted(wanted - users.keys()):
        raise ValueError(f"Care team: no user {', '.join(missing)}.")
    bind_actor(session, actor.user_id)
    members = {row.user_id: row for row in session.scalars(
        select(CareTeamMember).where(CareTeamMember.patient_id == patient_id))}
    now = utcnow()
    keep = {user.id for user in users.values()}
    for user_id, row in members.items():
        row.deleted_at = None if user_id in keep else (row.deleted_at or now)
    for user_id in keep - members.keys():
        session.add(CareTeamMember(clinic_id=actor.seat.clinic_id, patient_id=patient_id,
                                   user_id=user_id))
    before = patient.restricted
    patient.restricted = restricted
    session.flush()
    kept = tuple(sorted(users))
    trail.record(session, seat=actor.seat, actor=actor, action="patient.privacy",
                 resource_type="patient", resource_id=str(patient_id), patient_id=patient_id,
                 changes={"restricted": {"old": before, "new": restricted},
                          "care_team": list(kept)})
    return kept


@dataclass(frozen=True)
class PrivacySettings:
    restricted: bool
    care_team: tuple[str, ...]  # user names


def privacy_settings(
    session: Session, actor: Actor, *, patient_id: uuid.UUID
) -> PrivacySettings:
    """Whether the record is restricted and who its care team is (``privacy.admin``)."""
    require(actor, "privacy.admin", patient_id=patient_id)
    patient = live_patient(session, actor, patient_id)
    team = session.scalars(select(User.username).join(
        CareTeamMember, CareTeamMember.user_id == User.id).where(
        CareTeamMember.patient_id == patient_id, CareTeamMember.deleted_at.is_(None)))
    return PrivacySettings(restricted=patient.restricted, care_team=tuple(sorted(team)))


def patient_id_for_mrn(session: Session, actor: Actor, *, mrn: str) -> uuid.UUID:
    """The record with this MRN in the actor's clinic (an id, no patient data: the action taken
    on it is what gets audited). Only for those who may act on some record: staff who read
    records, a patient (their own), and whoever administers restrictions. A record merged into
    another is found too, so that opening it says where its data went (``PatientMerged``)."""
    if not any(actor.can(p) for p in ("patient.read", "self.read", "privacy.admin")):
        raise PermissionDenied("patient.read")
    wanted = mrn.strip()
    patient_id = session.scalar(select(Patient.id).where(
        Patient.clinic_id == actor.seat.clinic_id, Patient.mrn == wanted,
        Patient.deleted_at.is_(None) | Patient.merged_into_id.is_not(None),
    )) if 0 < len(wanted) <= 32 else None
    if patient_id is None:
        raise PatientNotFound()
    return patient_id


def open_patient_by_mrn(
    session: Session, actor: Actor, *, mrn: str, break_glass_reason: str | None = None
) -> PatientHeader:
    """``open_patient`` for the record with this MRN in the actor's clinic."""
    return open_patient(session, actor, patient_id=patient_id_for_mrn(session, actor, mrn=mrn),
                        break_glass_reason=break_glass_reason)
