"""What goes on a patient's printed labels, audited as a print of the record."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.access import readable_patient


@dataclass(frozen=True)
class LabelFacts:
    name: str  # "Last, First Middle"
    date_of_birth: date
    sex: str
    mrn: str


def label_facts(
    session: Session, actor: Actor, *, patient_ids: Sequence[uuid.UUID]
) -> list[LabelFacts]:
    """The label lines of each patient, in the order given; each patient gets a
    ``patient.print`` audit entry (labels leave the workstation on paper)."""
    facts = []
    for patient_id in patient_ids:
        patient = readable_patient(session, actor, patient_id)
        given = " ".join(part for part in (patient.first_name, patient.middle_name) if part)
        name = f"{patient.last_name}, {given}" if given else patient.last_name
        facts.append(LabelFacts(name, patient.date_of_birth, patient.sex, patient.mrn))
        trail.record(session, seat=actor.seat, actor=actor, action="patient.print",
                     resource_type="patient", resource_id=str(patient_id),
                     patient_id=patient_id, reason="labels")
    return facts
