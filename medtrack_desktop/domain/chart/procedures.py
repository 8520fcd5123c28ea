"""Procedures the patient had, each coded in a named system (CPT, HCPCS, ICD-10-PCS, SNOMED CT).

No code set is bundled for these (CPT is licensed by the AMA), so a code is checked for the
shape its system gives every code: a typo of form is refused at the field, a well-formed code
that does not exist is not caught. SNOMED CT ids carry a Verhoeff check digit, which catches
most typos. A record made by mistake is tombstoned ("entered in error") and recorded again.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session
from stdnum import verhoeff

from medtrack_desktop.domain.chart.access import (
    audit,
    chart_patient,
    listed_rows,
    owned_row,
    tombstone,
)
from medtrack_desktop.domain.chart.models import PROCEDURE_CODE_SYSTEMS, Procedure
from medtrack_desktop.domain.chart.staff import staff_names, staff_or_name
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.demographics import clean_text
from medtrack_desktop.store.base import new_id

# System -> (the shape of its codes, what the field says when a code has another shape).
_CODE_SHAPES: dict[str, tuple[re.Pattern[str], str]] = {
    # Category I: 5 digits; II: 4 digits + F; III: 4 digits + T; lab analyses (PLA): + U.
    "CPT": (re.compile(r"[0-9]{4}[0-9FTU]"),
            "Code: a CPT code is 5 digits, or 4 digits and F, T or U (99213, 3074F, 0042T)."),
    "HCPCS": (re.compile(r"[A-Z][0-9]{4}"),
              "Code: a HCPCS code is a letter and 4 digits (G0439, J1100)."),
    "ICD-10-PCS": (re.compile(r"[0-9A-HJ-NP-Z]{7}"),
                   "Code: an ICD-10-PCS code is 7 letters or digits, never I or O (0DTJ4ZZ)."),
    # A concept id: no leading zero, partition 00 or 10 before the check digit. At most 10
    # digits because that is what the code column holds (extension ids are longer).
    "SNOMED-CT": (re.compile(r"[1-9][0-9]{2,6}[01]0[0-9]"),
                  "Code: a SNOMED CT concept id is 6 to 10 digits ending in a valid check "
                  "digit (80146002)."),
}


class ProcedureInvalid(FieldsInvalid):
    """A procedure that cannot be recorded as typed."""


@dataclass(frozen=True)
class ProcedureInput:
    """A procedure as typed; who performed it is a clinic user or a typed name."""

    code: str
    description: str
    performed_on: date | None
    code_system: str = "CPT"
    performer_id: uuid.UUID | None = None
    performer_name: str = ""
    notes: str = ""


@dataclass(frozen=True)
class ProcedureEntry:
    id: uuid.UUID
    version: int
    code_system: str
    code: str
    description: str
    performed_on: date
    performer_id: uuid.UUID | None
    performer: str | None  # the user's name or the typed one
    notes: str | None


def normalise_code(code: str) -> str:
    """A code as stored: spaces dropped, upper case ("0dtj4zz" -> "0DTJ4ZZ")."""
    return "".join(code.split()).upper()


def code_problem(code_system: str, code: str) -> str | None:
    """What is wrong with ``code`` (normalised) as a code of ``code_system``, or None."""
    shape, message = _CODE_SHAPES[code_system]
    if not shape.fullmatch(code):
        return message
    if code_system == "SNOMED-CT" and not verhoeff.is_valid(code):
        return message
    return None


def _entry(row: Procedure, names: dict[uuid.UUID, str]) -> ProcedureEntry:
    return ProcedureEntry(
        id=row.id, version=row.version, code_system=row.code_system, code=row.code,
        description=row.description, performed_on=row.performed_on,
        performer_id=row.performer_id,
        performer=names.get(row.performer_id) if row.performer_id else row.performer_name,
        notes=row.notes,
    )


def _clean(
    session: Session, clinic_id: uuid.UUID, entered: ProcedureInput, *, today: date,
    born: date,
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "code_system": entered.code_system,
        "code": normalise_code(entered.code),
        "description": clean_text(entered.description, "Description", 300, errors,
                                  "description"),
        "performed_on": entered.performed_on,
        "notes": clean_text(entered.notes, "Notes", 4000, errors, "notes"),
    }
    if entered.code_system not in PROCEDURE_CODE_SYSTEMS:
        errors["code_system"] = "Code system: CPT, HCPCS, ICD-10-PCS or SNOMED-CT."
    elif not values["code"]:
        errors["code"] = "Code: required."
    elif problem := code_problem(entered.code_system, values["code"]):
        errors["code"] = problem
    if not values["description"] and "description" not in errors:
        errors["description"] = "Description: required (what was done)."
    done = entered.performed_on
    if done is None:
        errors["performed_on"] = "Date performed: required."
    elif done > today:
        errors["performed_on"] = "Date performed: cannot be in the future."
    elif done < born:
        errors["performed_on"] = "Date performed: not before the patient's date of birth."
    values["performer_id"], values["performer_name"] = staff_or_name(
        session, clinic_id, user_id=entered.performer_id, name=entered.performer_name,
        label="Performed by", field="performer", errors=errors)
    if errors:
        raise ProcedureInvalid(errors)
    return values


def procedures(session: Session, actor: Actor, *, patient_id: uuid.UUID) -> list[ProcedureEntry]:
    """The patient's procedures, the most recent first."""
    rows = listed_rows(session, actor, Procedure, patient_id=patient_id,
                       resource_type="procedure")
    names = staff_names(session, (row.performer_id for row in rows))
    found = [_entry(row, names) for row in rows]
    found.sort(key=lambda p: (p.description.casefold(), p.id))
    found.sort(key=lambda p: p.performed_on, reverse=True)
    return found


def record_procedure(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, procedure: ProcedureInput,
    today: date,
) -> ProcedureEntry:
    """Record a procedure done (here, or elsewhere and reported)."""
    patient = chart_patient(session, actor, patient_id, write=True)
    values = _clean(session, patient.clinic_id, procedure, today=today,
                    born=patient.date_of_birth)
    row = Procedure(id=new_id(), clinic_id=patient.clinic_id, patient_id=patient_id, **values)
    session.add(row)
    session.flush()
    audit(session, actor, action="chart.write", patient_id=patient_id,
          resource_type="procedure", resource_id=row.id, reason="added",
          changes={"fields": sorted(name for name, value in values.items()
                                    if value is not None)})
    return _entry(row, staff_names(session, [row.performer_id]))


def remove_procedure(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, procedure_id: uuid.UUID,
    version: int | None = None,
) -> None:
    """Take a procedure entered in error off the record (kept as a tombstone)."""
    chart_patient(session, actor, patient_id, write=True)
    row = owned_row(session, Procedure, procedure_id, patient_id, "This procedure")
    tombstone(session, actor, row, patient_id=patient_id, resource_type="procedure",
              version=version)
