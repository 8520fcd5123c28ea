"""Immunizations given to the patient, coded in CVX.

The picker offers the vaccines of ``resources/seed/cvx.toml`` (a reviewed subset of CDC's CVX
codes); only those can be recorded, so every record names a real vaccine that a registry
report or an interface message can carry. The vaccine's name is stored with the code as it
read when recorded. A record made by mistake is tombstoned ("entered in error") and recorded
again, not edited: what was given, when and from which lot is evidence, not a draft.
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from medtrack_desktop.domain.chart.access import (
    audit,
    chart_patient,
    listed_rows,
    owned_row,
    tombstone,
)
from medtrack_desktop.domain.chart.models import (
    IMMUNIZATION_ROUTES,
    IMMUNIZATION_SITES,
    Immunization,
)
from medtrack_desktop.domain.chart.staff import staff_names, staff_or_name
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.demographics import clean_text
from medtrack_desktop.paths import resource
from medtrack_desktop.store.base import new_id

CODE_SYSTEM = "CVX"


class ImmunizationInvalid(FieldsInvalid):
    """An immunization that cannot be recorded as typed."""


@dataclass(frozen=True)
class Vaccine:
    cvx: str  # as CVX writes it: "08", "141"
    name: str


@cache
def _reference() -> dict[str, Vaccine]:
    data = tomllib.loads(resource("seed", "cvx.toml").read_text(encoding="utf-8"))
    return {item["cvx"]: Vaccine(cvx=item["cvx"], name=item["name"])
            for item in data["vaccine"]}


def vaccines() -> list[Vaccine]:
    """The vaccines the picker offers, by name."""
    return sorted(_reference().values(), key=lambda v: v.name.casefold())


def find_vaccine(cvx: str) -> Vaccine | None:
    """The vaccine with this CVX code ("8" finds "08"), or None."""
    typed = cvx.strip()
    return _reference().get(typed.zfill(2) if typed.isdecimal() else typed)


@dataclass(frozen=True)
class ImmunizationInput:
    """A dose as typed; who gave it is a clinic user or a typed name (another clinic)."""

    cvx_code: str
    administered_on: date | None
    lot_number: str = ""
    manufacturer: str = ""
    route: str = ""
    site: str = ""
    administered_by_id: uuid.UUID | None = None
    administered_by: str = ""
    notes: str = ""


@dataclass(frozen=True)
class ImmunizationEntry:
    id: uuid.UUID
    version: int
    cvx_code: str
    vaccine: str
    administered_on: date
    lot_number: str | None
    manufacturer: str | None
    route: str | None
    site: str | None
    administered_by_id: uuid.UUID | None
    administered_by: str | None  # the user's name or the typed one
    notes: str | None


def _entry(row: Immunization, names: dict[uuid.UUID, str]) -> ImmunizationEntry:
    return ImmunizationEntry(
        id=row.id, version=row.version, cvx_code=row.cvx_code, vaccine=row.vaccine,
        administered_on=row.administered_on, lot_number=row.lot_number,
        manufacturer=row.manufacturer, route=row.route, site=row.site,
        administered_by_id=row.administered_by_id,
        administered_by=(names.get(row.administered_by_id) if row.administered_by_id
                         else row.administered_by),
        notes=row.notes,
    )


def _clean(
    session: Session, clinic_id: uuid.UUID, entered: ImmunizationInput, *, today: date,
    born: date,
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "lot_number": clean_text(entered.lot_number, "Lot number", 40, errors, "lot_number"),
        "manufacturer": clean_text(entered.manufacturer, "Manufacturer", 100, errors,
                                   "manufacturer"),
        "route": entered.route.strip() or None,
        "site": entered.site.strip() or None,
        "administered_on": entered.administered_on,
        "notes": clean_text(entered.notes, "Notes", 4000, errors, "notes"),
    }
    vaccine = find_vaccine(entered.cvx_code)
    if vaccine is None:
        errors["cvx_code"] = "Vaccine: choose one from the list (CVX code)."
    else:
        values["cvx_code"], values["vaccine"] = vaccine.cvx, vaccine.name
    given = entered.administered_on
    if given is None:
        errors["administered_on"] = "Date given: required."
    elif given > today:
        errors["administered_on"] = "Date given: cannot be in the future."
    elif given < born:
        errors["administered_on"] = "Date given: not before the patient's date of birth."
    if values["route"] is not None and values["route"] not in IMMUNIZATION_ROUTES:
        errors["route"] = "Route: intramuscular, subcutaneous, intradermal, oral or intranasal."
    if values["site"] is not None and values["site"] not in IMMUNIZATION_SITES:
        errors["site"] = "Site: choose one of the listed sites."
    values["administered_by_id"], values["administered_by"] = staff_or_name(
        session, clinic_id, user_id=entered.administered_by_id, name=entered.administered_by,
        label="Given by", field="administered_by", errors=errors)
    if errors:
        raise ImmunizationInvalid(errors)
    return values


def immunizations(
    session: Session, actor: Actor, *, patient_id: uuid.UUID
) -> list[ImmunizationEntry]:
    """The patient's immunizations, the most recent first."""
    rows = listed_rows(session, actor, Immunization, patient_id=patient_id,
                       resource_type="immunization")
    names = staff_names(session, (row.administered_by_id for row in rows))
    found = [_entry(row, names) for row in rows]
    found.sort(key=lambda i: (i.vaccine.casefold(), i.id))
    found.sort(key=lambda i: i.administered_on, reverse=True)
    return found


def record_immunization(
    session: Session, actor: Actor, *, patient_id: uuid.UUID,
    immunization: ImmunizationInput, today: date,
) -> ImmunizationEntry:
    """Record a dose given (here, or elsewhere and reported)."""
    patient = chart_patient(session, actor, patient_id, write=True)
    values = _clean(session, patient.clinic_id, immunization, today=today,
                    born=patient.date_of_birth)
    row = Immunization(id=new_id(), clinic_id=patient.clinic_id, patient_id=patient_id,
                       **values)
    session.add(row)
    session.flush()
    audit(session, actor, action="chart.write", patient_id=patient_id,
          resource_type="immunization", resource_id=row.id, reason="added",
          changes={"fields": sorted(name for name, value in values.items()
                                    if value is not None)})
    return _entry(row, staff_names(session, [row.administered_by_id]))


def remove_immunization(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, immunization_id: uuid.UUID,
    version: int | None = None,
) -> None:
    """Take an immunization entered in error off the record (kept as a tombstone)."""
    chart_patient(session, actor, patient_id, write=True)
    row = owned_row(session, Immunization, immunization_id, patient_id, "This immunization")
    tombstone(session, actor, row, patient_id=patient_id, resource_type="immunization",
              version=version)
