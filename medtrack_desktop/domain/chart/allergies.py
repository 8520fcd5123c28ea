"""Allergies and intolerances, and the statement that the patient has none.

"No known allergies" is a finding somebody made by asking; an empty list may only mean nobody
asked. ``allergy_status`` keeps the two apart for the patient banner: ``allergies`` while an
active allergy is on the list, else ``no_known_allergies`` if that was recorded (and not ended
since), else ``not_recorded``. Saving an active allergy ends a standing "no known allergies"
(a resolved or inactive one does not contradict it), and the statement is refused while an
active allergy is listed, so the two never stand together. An
allergy recorded by mistake is tombstoned ("entered in error"); once the last active one is
gone the status falls back to ``not_recorded``: someone must ask again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.chart.access import (
    audit,
    chart_patient,
    listed_rows,
    owned_row,
    tombstone,
)
from medtrack_desktop.domain.chart.models import (
    ALLERGEN_TYPES,
    ALLERGY_SEVERITIES,
    ALLERGY_STATUSES,
    Allergy,
    AllergyReview,
)
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.demographics import clean_text
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.store.base import new_id, utcnow

AllergyState = Literal["not_recorded", "no_known_allergies", "allergies"]
# Severe first: the banner shows what could kill the patient before a rash.
_SEVERITY_RANK = {"severe": 0, "moderate": 1, "mild": 2, None: 3}


class AllergyInvalid(FieldsInvalid):
    """An allergy that cannot be saved as typed."""


class ActiveAllergiesListed(ValueError):
    """"No known allergies" cannot be recorded over a list that names some."""

    def __init__(self, count: int) -> None:
        named = "an active allergy" if count == 1 else f"{count} active allergies"
        super().__init__(f"No known allergies: the list has {named}. Mark each one resolved, "
                         "inactive or entered in error first.")


@dataclass(frozen=True)
class AllergyInput:
    """An allergy as typed; ``severity`` empty when not known."""

    allergen: str
    allergen_type: str = "drug"
    reaction: str = ""
    severity: str = ""
    onset_on: date | None = None
    status: str = "active"
    notes: str = ""


@dataclass(frozen=True)
class AllergyEntry:
    id: uuid.UUID
    version: int
    allergen: str
    allergen_type: str
    reaction: str | None
    severity: str | None
    onset_on: date | None
    status: str
    notes: str | None


@dataclass(frozen=True)
class AllergyStatus:
    """What the banner says about allergies; ``allergies`` holds the active ones only."""

    state: AllergyState
    allergies: tuple[AllergyEntry, ...]
    reviewed_at: datetime | None  # when the list or "no known allergies" was last recorded


def _entry(row: Allergy) -> AllergyEntry:
    return AllergyEntry(
        id=row.id, version=row.version, allergen=row.allergen, allergen_type=row.allergen_type,
        reaction=row.reaction, severity=row.severity, onset_on=row.onset_on, status=row.status,
        notes=row.notes,
    )


def _order(entry: AllergyEntry) -> tuple[Any, ...]:
    return (entry.status != "active", _SEVERITY_RANK[entry.severity],
            entry.allergen.casefold(), entry.id)


def _clean(entered: AllergyInput, *, today: date, born: date) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "allergen": clean_text(entered.allergen, "Allergen", 200, errors, "allergen"),
        "allergen_type": entered.allergen_type,
        "reaction": clean_text(entered.reaction, "Reaction", 300, errors, "reaction"),
        "severity": entered.severity.strip() or None,
        "onset_on": entered.onset_on,
        "status": entered.status,
        "notes": clean_text(entered.notes, "Notes", 4000, errors, "notes"),
    }
    if not values["allergen"] and "allergen" not in errors:
        errors["allergen"] = "Allergen: required (the drug, food or substance)."
    if entered.allergen_type not in ALLERGEN_TYPES:
        errors["allergen_type"] = "Type: drug, food, environmental or other."
    if values["severity"] is not None and values["severity"] not in ALLERGY_SEVERITIES:
        errors["severity"] = "Severity: mild, moderate or severe, or leave it empty."
    if entered.status not in ALLERGY_STATUSES:
        errors["status"] = "Status: active, inactive or resolved."
    if entered.onset_on is not None:
        if entered.onset_on > today:
            errors["onset_on"] = "Onset: cannot be in the future."
        elif entered.onset_on < born:
            errors["onset_on"] = "Onset: not before the patient's date of birth."
    if errors:
        raise AllergyInvalid(errors)
    return values


def _review(session: Session, patient: Patient, *, no_known_allergies: bool) -> AllergyReview:
    """Set the patient's one review row (made on first use): who asked, when, and the answer."""
    row = session.scalar(select(AllergyReview).where(AllergyReview.patient_id == patient.id))
    if row is None:
        row = AllergyReview(id=new_id(), clinic_id=patient.clinic_id, patient_id=patient.id)
        session.add(row)
    row.no_known_allergies = no_known_allergies
    row.reviewed_at = utcnow()
    row.deleted_at = None
    return row


def allergies(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, include_inactive: bool = True
) -> list[AllergyEntry]:
    """The patient's allergies: active first, the most severe first, then by allergen."""
    rows = listed_rows(session, actor, Allergy, patient_id=patient_id, resource_type="allergy",
                       only=None if include_inactive else Allergy.status == "active")
    return sorted((_entry(row) for row in rows), key=_order)


def allergy_status(session: Session, actor: Actor, *, patient_id: uuid.UUID) -> AllergyStatus:
    """What the patient banner shows, read on every chart open: two small queries (the
    active allergies, the review row), whatever the number of allergies."""
    chart_patient(session, actor, patient_id)
    active = sorted((_entry(row) for row in session.scalars(select(Allergy).where(
        Allergy.patient_id == patient_id, Allergy.status == "active",
        Allergy.deleted_at.is_(None)))), key=_order)
    review = session.execute(select(AllergyReview.no_known_allergies, AllergyReview.reviewed_at)
                             .where(AllergyReview.patient_id == patient_id,
                                    AllergyReview.deleted_at.is_(None))).first()
    audit(session, actor, action="chart.read", patient_id=patient_id, resource_type="allergy",
          reason="status")
    state: AllergyState
    if active:
        state = "allergies"
    elif review is not None and review.no_known_allergies:
        state = "no_known_allergies"
    else:
        state = "not_recorded"
    return AllergyStatus(state=state, allergies=tuple(active),
                         reviewed_at=None if review is None else review.reviewed_at)


def save_allergy(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, allergy: AllergyInput,
    today: date, allergy_id: uuid.UUID | None = None, version: int | None = None,
) -> AllergyEntry:
    """Add an allergy, or change the one ``allergy_id`` opened at ``version``
    (``StaleRecord`` if someone saved it since). An active allergy ends a standing "no known
    allergies"."""
    patient = chart_patient(session, actor, patient_id, write=True)
    values = _clean(allergy, today=today, born=patient.date_of_birth)
    if allergy_id is None:
        row = Allergy(id=new_id(), clinic_id=patient.clinic_id, patient_id=patient_id)
    else:
        row = owned_row(session, Allergy, allergy_id, patient_id, "This allergy")
        if row.version != version:
            raise StaleRecord()
    if values["status"] == "active":
        same = values["allergen"].casefold()
        listed = session.execute(select(Allergy.id, Allergy.allergen).where(
            Allergy.patient_id == patient_id, Allergy.status == "active",
            Allergy.deleted_at.is_(None), Allergy.id != row.id)).all()
        if any(other.allergen.casefold() == same for other in listed):
            raise AllergyInvalid({"allergen": "Allergen: already on the list as active; "
                                              "change that entry instead."})
    if allergy_id is None:
        session.add(row)
        changed = sorted(name for name, value in values.items() if value is not None)
    else:
        changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    for name, value in values.items():
        setattr(row, name, value)
    if not changed:
        return _entry(row)
    # An active allergy contradicts "no known allergies"; a past one (resolved, inactive)
    # does not, so recording one leaves the statement standing.
    review = _review(session, patient, no_known_allergies=False) \
        if values["status"] == "active" else None
    session.flush()
    audit(session, actor, action="chart.write", patient_id=patient_id, resource_type="allergy",
          resource_id=row.id, reason="added" if allergy_id is None else "changed",
          changes={"fields": changed})
    if review is not None:
        audit(session, actor, action="chart.write", patient_id=patient_id,
              resource_type="allergy_review", resource_id=review.id, reason="allergies listed",
              changes={"fields": ["no_known_allergies", "reviewed_at"]})
    return _entry(row)


def remove_allergy(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, allergy_id: uuid.UUID,
    version: int | None = None,
) -> None:
    """Take an allergy entered in error off the list (kept as a tombstone); with ``version``,
    refused if someone saved it since it was shown."""
    chart_patient(session, actor, patient_id, write=True)
    row = owned_row(session, Allergy, allergy_id, patient_id, "This allergy")
    tombstone(session, actor, row, patient_id=patient_id, resource_type="allergy",
              version=version)


def record_no_known_allergies(
    session: Session, actor: Actor, *, patient_id: uuid.UUID
) -> AllergyStatus:
    """Record that the patient was asked and has no known allergies;
    ``ActiveAllergiesListed`` while an active allergy is on the list."""
    patient = chart_patient(session, actor, patient_id, write=True)
    active = session.scalars(select(Allergy.id).where(
        Allergy.patient_id == patient_id, Allergy.status == "active",
        Allergy.deleted_at.is_(None))).all()
    if active:
        raise ActiveAllergiesListed(len(active))
    review = _review(session, patient, no_known_allergies=True)
    session.flush()
    audit(session, actor, action="chart.write", patient_id=patient_id,
          resource_type="allergy_review", resource_id=review.id, reason="no known allergies",
          changes={"fields": ["no_known_allergies", "reviewed_at"]})
    return AllergyStatus(state="no_known_allergies", allergies=(),
                         reviewed_at=review.reviewed_at)
