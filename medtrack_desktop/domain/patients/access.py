"""Opening a patient's record: who may, and breaking the glass for a restricted one (DESIGN §4).

Staff with ``patient.read`` open any unrestricted record of their clinic. A restricted record
opens directly only for its care team; anyone else who holds ``break_glass`` opens it by giving a
reason, recorded as a ``break_glass`` audit entry that the administrators' report lists. A
``patient`` user (``self.read``) opens their own record only. Every opening is a PHI read and is
audited as ``patient.open`` with the way access was granted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.permissions import PermissionDenied, require
from medtrack_desktop.domain.patients.models import CareTeamMember, Patient
from medtrack_desktop.store.base import bind_actor, utcnow

BREAK_GLASS_MIN_REASON = 10
BREAK_GLASS_MAX_REASON = 500
Access = Literal["staff", "care_team", "break_glass", "self"]


class PatientNotFound(LookupError):
    """No such patient in the actor's clinic (or merged away). The message is safe to show."""

    def __init__(self) -> None:
        super().__init__("This patient record does not exist or was removed.")


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


def _on_care_team(session: Session, patient_id: uuid.UUID, user_id: uuid.UUID | None) -> bool:
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


def open_patient(
    session: Session, actor: Actor, *, patient_id: uuid.UUID,
    break_glass_reason: str | None = None,
) -> PatientHeader:
    """Open a patient's record for the actor, or refuse with a typed denial (see module doc)."""
    patient = session.get(Patient, patient_id)
    if patient is None or patient.clinic_id != actor.seat.clinic_id or patient.deleted_at:
        raise PatientNotFound()

    access: Access
    if actor.can("patient.read"):
        access = "staff"
    elif _own_record(session, actor, patient_id):
        access = "self"
    else:
        raise PermissionDenied("patient.read", patient_id=patient_id)

    reason = None
    if patient.restricted and access == "staff" and not _on_care_team(
        session, patient_id, actor.user_id
    ):
        if break_glass_reason is None or not actor.can("break_glass"):
            raise RestrictedRecord(patient_id, can_break_glass=actor.can("break_glass"))
        reason = clean_reason(break_glass_reason)
        access = "break_glass"
        trail.record(session, seat=actor.seat, actor=actor, action="break_glass",
                     resource_type="patient", resource_id=str(patient_id),
                     patient_id=patient_id, reason=reason)
    elif patient.restricted and access == "staff":
        access = "care_team"

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
    patient = session.get(Patient, patient_id)
    if patient is None or patient.clinic_id != actor.seat.clinic_id or patient.deleted_at:
        raise PatientNotFound()
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


def patient_id_for_mrn(session: Session, actor: Actor, *, mrn: str) -> uuid.UUID:
    """The record with this MRN in the actor's clinic (an id, no patient data: the action taken
    on it is what gets audited). Only for those who may act on some record: staff who read
    records, a patient (their own), and whoever administers restrictions."""
    if not any(actor.can(p) for p in ("patient.read", "self.read", "privacy.admin")):
        raise PermissionDenied("patient.read")
    wanted = mrn.strip()
    patient_id = session.scalar(select(Patient.id).where(
        Patient.clinic_id == actor.seat.clinic_id, Patient.mrn == wanted,
        Patient.deleted_at.is_(None))) if 0 < len(wanted) <= 32 else None
    if patient_id is None:
        raise PatientNotFound()
    return patient_id


def open_patient_by_mrn(
    session: Session, actor: Actor, *, mrn: str, break_glass_reason: str | None = None
) -> PatientHeader:
    """``open_patient`` for the record with this MRN in the actor's clinic."""
    return open_patient(session, actor, patient_id=patient_id_for_mrn(session, actor, mrn=mrn),
                        break_glass_reason=break_glass_reason)
