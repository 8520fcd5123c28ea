"""The medication list and its history: what the patient takes, and every change to it.

A medication is started, changed (dose, unit, route, frequency, instructions), then
discontinued (a reason is required: the next clinician needs it) or completed (a finished
course). Each of these writes, in the same transaction, a ``medication_history`` row with the
medication as it stood after the change (a JSON snapshot: Decimals and dates as strings), so
the history reads without replaying anything and survives later schema changes. That table is
append-only (triggers), so the history cannot be edited. Changing the drug itself is a new
medication, never an edit. Names are free text until the orders issue brings a catalog.

The dose is a Decimal parsed from what was typed, refused unless a plain number above zero
(".5" is refused for "0.5": a naked decimal point is a classic tenfold dosing error).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.chart.access import audit, chart_patient, listed_rows, owned_row
from medtrack_desktop.domain.chart.models import (
    MEDICATION_ROUTES,
    Medication,
    MedicationChange,
)
from medtrack_desktop.domain.chart.staff import staff_names, staff_or_name
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.demographics import clean_text
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.store.base import new_id, utcnow

# Numeric(10, 3): up to 7 digits before the point and 3 after; a leading digit always.
_DOSE = re.compile(r"[0-9]{1,7}(?:\.[0-9]{1,3})?")
_REGIMEN = ("dose", "dose_unit", "route", "frequency", "instructions")
_SNAPSHOT = ("name", "dose", "dose_unit", "route", "frequency", "start_on", "end_on",
             "prescriber_id", "prescriber_name", "status", "status_reason", "instructions")


class MedicationInvalid(FieldsInvalid):
    """A medication or a change of one that cannot be saved as typed."""


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MedicationInput:
    """A medication as typed when it is started; text as entered, ``dose`` too."""

    name: str
    dose: str = ""
    dose_unit: str = ""
    route: str = ""
    frequency: str = ""
    start_on: date | None = None
    prescriber_id: uuid.UUID | None = None  # a clinic user, or:
    prescriber_name: str = ""  # someone outside the clinic
    instructions: str = ""


@dataclass(frozen=True)
class MedicationEntry:
    id: uuid.UUID
    version: int
    name: str
    dose: Decimal | None
    dose_unit: str | None
    route: str | None
    frequency: str | None
    start_on: date | None
    end_on: date | None
    prescriber_id: uuid.UUID | None
    prescriber: str | None  # the user's name or the typed one
    status: str
    status_reason: str | None
    instructions: str | None

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class MedicationHistoryEntry:
    id: uuid.UUID
    change: str  # started, changed, discontinued, completed
    changed_at: datetime
    changed_by: str | None
    reason: str | None
    after: dict[str, Any]  # the medication after the change (see ``_snapshot``)


def plain_dose(value: Decimal | None) -> Decimal | None:
    """The dose without the storage's trailing zeros (500.000 -> 500, 0.250 -> 0.25)."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() \
        else value.normalize()


def _entry(row: Medication, names: dict[uuid.UUID, str]) -> MedicationEntry:
    return MedicationEntry(
        id=row.id, version=row.version, name=row.name, dose=plain_dose(row.dose),
        dose_unit=row.dose_unit, route=row.route, frequency=row.frequency,
        start_on=row.start_on, end_on=row.end_on, prescriber_id=row.prescriber_id,
        prescriber=names.get(row.prescriber_id) if row.prescriber_id else row.prescriber_name,
        status=row.status, status_reason=row.status_reason, instructions=row.instructions,
    )


def _snapshot(row: Medication) -> dict[str, Any]:
    """The medication's fields as JSON values: Decimals, dates and ids as strings."""
    shown: dict[str, Any] = {}
    for name in _SNAPSHOT:
        value = getattr(row, name)
        if isinstance(value, Decimal):
            value = format(plain_dose(value), "f")
        elif isinstance(value, date | uuid.UUID):
            value = str(value)
        shown[name] = value
    return shown


# -- checks -------------------------------------------------------------------------------------


def parse_dose(text: str) -> Decimal:
    """A dose as typed ("500", "0.25") as a Decimal above zero; ValueError otherwise."""
    typed = text.strip()
    if not _DOSE.fullmatch(typed) or Decimal(typed) <= 0:
        raise ValueError(typed)
    return Decimal(typed)


def _clean_regimen(
    *, dose: str, dose_unit: str, route: str, frequency: str, instructions: str,
    errors: dict[str, str],
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "dose": None,
        "dose_unit": clean_text(dose_unit, "Dose unit", 20, errors, "dose_unit"),
        "route": route.strip() or None,
        "frequency": clean_text(frequency, "Frequency", 60, errors, "frequency"),
        "instructions": clean_text(instructions, "Instructions", 1000, errors, "instructions"),
    }
    if dose.strip():
        try:
            values["dose"] = parse_dose(dose)
        except ValueError:
            errors["dose"] = ("Dose: a number above 0 such as 500 or 0.5 (a 0 before the "
                              "point, at most 3 decimals).")
        else:
            if not values["dose_unit"] and "dose_unit" not in errors:
                errors["dose_unit"] = "Dose unit: required with a dose (mg, mL, tablet …)."
    elif values["dose_unit"]:
        errors["dose"] = "Dose: required with a unit, or clear the unit."
    if values["route"] is not None and values["route"] not in MEDICATION_ROUTES:
        errors["route"] = "Route: choose one of the listed routes."
    return values


def _clean_start(
    session: Session, clinic_id: uuid.UUID, entered: MedicationInput, *, today: date,
    born: date,
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values = _clean_regimen(dose=entered.dose, dose_unit=entered.dose_unit,
                            route=entered.route, frequency=entered.frequency,
                            instructions=entered.instructions, errors=errors)
    values["name"] = clean_text(entered.name, "Medication", 200, errors, "name")
    if not values["name"] and "name" not in errors:
        errors["name"] = "Medication: required (the drug and strength, as on the label)."
    values["prescriber_id"], values["prescriber_name"] = staff_or_name(
        session, clinic_id, user_id=entered.prescriber_id, name=entered.prescriber_name,
        label="Prescriber", field="prescriber", errors=errors)
    values["start_on"] = entered.start_on
    if entered.start_on is not None:
        if entered.start_on > today:
            errors["start_on"] = "Started: cannot be in the future."
        elif entered.start_on < born:
            errors["start_on"] = "Started: not before the patient's date of birth."
    if errors:
        raise MedicationInvalid(errors)
    return values


def _reason(text: str, errors: dict[str, str]) -> str | None:
    return clean_text(text, "Reason", 300, errors, "reason")


def _active_row(
    session: Session, patient_id: uuid.UUID, medication_id: uuid.UUID, version: int
) -> Medication:
    """The medication opened at ``version``, still active (only those change)."""
    row = owned_row(session, Medication, medication_id, patient_id, "This medication")
    if row.version != version:
        raise StaleRecord()
    if row.status != "active":
        raise MedicationInvalid({"status": f"Status: this medication is {row.status}; start "
                                           "it again as a new medication."})
    return row


def _record(
    session: Session, actor: Actor, row: Medication, *, change: str, reason: str | None,
    fields: list[str],
) -> MedicationEntry:
    """Write the history row and the audit entry of a change already applied to ``row``."""
    session.add(MedicationChange(
        id=new_id(), clinic_id=row.clinic_id, medication_id=row.id, patient_id=row.patient_id,
        change=change, changed_at=utcnow(), reason=reason, after=_snapshot(row)))
    session.flush()
    audit(session, actor, action="chart.write", patient_id=row.patient_id,
          resource_type="medication", resource_id=row.id, reason=change,
          changes={"fields": fields})
    return _entry(row, staff_names(session, [row.prescriber_id]))


# -- services -----------------------------------------------------------------------------------


def medications(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, include_inactive: bool = True
) -> list[MedicationEntry]:
    """The patient's medications, active first, then by name."""
    rows = listed_rows(session, actor, Medication, patient_id=patient_id,
                       resource_type="medication",
                       only=None if include_inactive else Medication.status == "active")
    names = staff_names(session, (row.prescriber_id for row in rows))
    found = [_entry(row, names) for row in rows]
    return sorted(found, key=lambda m: (not m.active, m.name.casefold(), m.id))


def start_medication(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, medication: MedicationInput,
    today: date,
) -> MedicationEntry:
    """Put a medication on the list (active), with its first history row."""
    patient = chart_patient(session, actor, patient_id, write=True)
    values = _clean_start(session, patient.clinic_id, medication, today=today,
                          born=patient.date_of_birth)
    row = Medication(id=new_id(), clinic_id=patient.clinic_id, patient_id=patient_id,
                     status="active", **values)
    session.add(row)
    return _record(session, actor, row, change="started", reason=None,
                   fields=sorted(name for name, value in values.items() if value is not None))


def change_medication(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, medication_id: uuid.UUID,
    version: int, dose: str, dose_unit: str, route: str, frequency: str, instructions: str,
    reason: str = "",
) -> MedicationEntry:
    """Change how an active medication is taken (every field as it should now read). Nothing
    changed writes nothing; a stale ``version`` is refused (``StaleRecord``)."""
    chart_patient(session, actor, patient_id, write=True)
    row = _active_row(session, patient_id, medication_id, version)
    errors: dict[str, str] = {}
    values = _clean_regimen(dose=dose, dose_unit=dose_unit, route=route, frequency=frequency,
                            instructions=instructions, errors=errors)
    why = _reason(reason, errors)
    if errors:
        raise MedicationInvalid(errors)
    changed = [name for name in _REGIMEN if getattr(row, name) != values[name]]
    if not changed:
        return _entry(row, staff_names(session, [row.prescriber_id]))
    for name in changed:
        setattr(row, name, values[name])
    return _record(session, actor, row, change="changed", reason=why, fields=changed)


def _finish(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, medication_id: uuid.UUID,
    version: int, status: str, reason: str, end_on: date | None, today: date,
) -> MedicationEntry:
    chart_patient(session, actor, patient_id, write=True)
    row = _active_row(session, patient_id, medication_id, version)
    errors: dict[str, str] = {}
    why = _reason(reason, errors)
    if status == "discontinued" and not why and "reason" not in errors:
        errors["reason"] = "Reason: say why the medication is stopped."
    ended = end_on or today
    if ended > today:
        errors["end_on"] = "Stopped: cannot be in the future."
    elif row.start_on is not None and ended < row.start_on:
        errors["end_on"] = f"Stopped: on or after the start date ({row.start_on.isoformat()})."
    if errors:
        raise MedicationInvalid(errors)
    row.status, row.status_reason, row.end_on = status, why, ended
    fields = ["end_on", "status", *(["status_reason"] if why else [])]
    return _record(session, actor, row, change=status, reason=why, fields=fields)


def discontinue_medication(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, medication_id: uuid.UUID,
    version: int, reason: str, today: date, end_on: date | None = None,
) -> MedicationEntry:
    """Stop a medication before its course ends; ``reason`` is required, ``end_on`` defaults
    to today."""
    return _finish(session, actor, patient_id=patient_id, medication_id=medication_id,
                   version=version, status="discontinued", reason=reason, end_on=end_on,
                   today=today)


def complete_medication(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, medication_id: uuid.UUID,
    version: int, today: date, end_on: date | None = None, reason: str = "",
) -> MedicationEntry:
    """Mark a course as finished as planned (``end_on`` defaults to today)."""
    return _finish(session, actor, patient_id=patient_id, medication_id=medication_id,
                   version=version, status="completed", reason=reason, end_on=end_on,
                   today=today)


def medication_history(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, medication_id: uuid.UUID
) -> list[MedicationHistoryEntry]:
    """Every change of one medication, oldest first, each with the medication after it."""
    chart_patient(session, actor, patient_id)
    owned_row(session, Medication, medication_id, patient_id, "This medication")
    rows = session.scalars(select(MedicationChange).where(
        MedicationChange.medication_id == medication_id)
        .order_by(MedicationChange.changed_at, MedicationChange.id)).all()
    names = staff_names(session, (row.created_by for row in rows))
    audit(session, actor, action="chart.read", patient_id=patient_id,
          resource_type="medication", resource_id=medication_id, reason="history")
    return [MedicationHistoryEntry(
        id=row.id, change=row.change, changed_at=row.changed_at,
        changed_by=names.get(row.created_by) if row.created_by else None, reason=row.reason,
        after=dict(row.after)) for row in rows]
