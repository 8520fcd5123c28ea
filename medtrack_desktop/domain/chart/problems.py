"""The problem list: what the patient has, coded in ICD-10-CM where a code is known.

A free-text problem is allowed (a clinician should not have to force a code on "family stress"),
but a code, when given, must be one the code set has, so that what reaches a claim or another
system is real; the title then defaults to the code's description. A problem recorded by
mistake is tombstoned ("entered in error"), never deleted. Reads are audited as
``chart.read``, changes as ``chart.write`` with the names of the fields only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from medtrack_desktop.domain.chart import icd10
from medtrack_desktop.domain.chart.access import (
    audit,
    chart_patient,
    listed_rows,
    owned_row,
    tombstone,
)
from medtrack_desktop.domain.chart.models import PROBLEM_STATUSES, Problem
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.demographics import clean_text
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.store.base import new_id

CURRENT_STATUSES = ("active", "chronic")
# A resolved date says when the problem stopped: only a problem that did.
ENDED_STATUSES = ("inactive", "resolved")
_TITLE_MAX = 300
_NOTES_MAX = 4000


class ProblemInvalid(FieldsInvalid):
    """A problem that cannot be saved as typed."""


@dataclass(frozen=True)
class ProblemInput:
    """A problem as typed on the form; ``code`` empty for a free-text problem, ``title`` empty
    to take the code's description."""

    code: str = ""
    title: str = ""
    status: str = "active"
    onset_on: date | None = None
    resolved_on: date | None = None
    notes: str = ""


@dataclass(frozen=True)
class ProblemEntry:
    id: uuid.UUID
    version: int
    code_system: str
    code: str | None
    title: str
    # Whether the code may go on a claim as is (None: free text, nothing to bill).
    billable: bool | None
    status: str
    onset_on: date | None
    resolved_on: date | None
    notes: str | None

    @property
    def current(self) -> bool:
        return self.status in CURRENT_STATUSES


def _entry(row: Problem) -> ProblemEntry:
    found = icd10.get_code(row.code) if row.code else None
    return ProblemEntry(
        id=row.id, version=row.version, code_system=row.code_system, code=row.code,
        title=row.title, billable=None if found is None else found.billable, status=row.status,
        onset_on=row.onset_on, resolved_on=row.resolved_on, notes=row.notes,
    )


def _clean(entered: ProblemInput, *, today: date, born: date | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "code": None,
        "title": clean_text(entered.title, "Title", _TITLE_MAX, errors, "title"),
        "status": entered.status,
        "onset_on": entered.onset_on,
        "resolved_on": entered.resolved_on,
        "notes": clean_text(entered.notes, "Notes", _NOTES_MAX, errors, "notes"),
    }
    typed_code = entered.code.strip()
    if typed_code:
        found = icd10.get_code(typed_code) if len(typed_code) <= 10 else None
        if found is None:
            errors["code"] = ("Code: not an ICD-10-CM code; search by words or code, or clear "
                              "it to keep a free-text problem.")
        else:
            values["code"] = found.code
            if not values["title"] and "title" not in errors:
                values["title"] = found.description[:_TITLE_MAX]
    if not values["title"] and "title" not in errors and "code" not in errors:
        errors["title"] = "Title: required for a problem without a code."
    if entered.status not in PROBLEM_STATUSES:
        errors["status"] = "Status: active, chronic, inactive or resolved."
    onset, resolved = entered.onset_on, entered.resolved_on
    if onset is not None:
        if onset > today:
            errors["onset_on"] = "Onset: cannot be in the future."
        elif born is not None and onset < born:
            errors["onset_on"] = "Onset: not before the patient's date of birth."
    if resolved is not None:
        if entered.status not in ENDED_STATUSES:
            errors["resolved_on"] = ("Resolved: only for a resolved or inactive problem; change "
                                     "the status or clear the date.")
        elif resolved > today:
            errors["resolved_on"] = "Resolved: cannot be in the future."
        elif onset is not None and resolved < onset:
            errors["resolved_on"] = "Resolved: on or after the onset date."
    if errors:
        raise ProblemInvalid(errors)
    return values


def problems(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, include_inactive: bool = True
) -> list[ProblemEntry]:
    """The patient's problem list, active and chronic first, then by title."""
    rows = listed_rows(session, actor, Problem, patient_id=patient_id, resource_type="problem",
                       only=None if include_inactive else Problem.status.in_(CURRENT_STATUSES))
    found = [_entry(row) for row in rows]
    return sorted(found, key=lambda p: (not p.current, p.title.casefold(), p.id))


def save_problem(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, problem: ProblemInput,
    today: date, problem_id: uuid.UUID | None = None, version: int | None = None,
) -> ProblemEntry:
    """Add a problem, or change the one ``problem_id`` opened at ``version``
    (``StaleRecord`` if someone saved it since)."""
    patient = chart_patient(session, actor, patient_id, write=True)
    values = _clean(problem, today=today, born=patient.date_of_birth)
    if problem_id is None:
        row = Problem(id=new_id(), clinic_id=patient.clinic_id, patient_id=patient_id,
                      code_system=icd10.CODE_SYSTEM)
        session.add(row)
        changed = sorted(name for name, value in values.items() if value is not None)
    else:
        row = owned_row(session, Problem, problem_id, patient_id, "This problem")
        if row.version != version:
            raise StaleRecord()
        changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    for name, value in values.items():
        setattr(row, name, value)
    if changed:
        session.flush()
        audit(session, actor, action="chart.write", patient_id=patient_id,
              resource_type="problem", resource_id=row.id,
              reason="added" if problem_id is None else "changed", changes={"fields": changed})
    return _entry(row)


def remove_problem(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, problem_id: uuid.UUID,
    version: int | None = None,
) -> None:
    """Take a problem entered in error off the list (kept as a tombstone); with ``version``,
    refused if someone saved it since it was shown."""
    chart_patient(session, actor, patient_id, write=True)
    row = owned_row(session, Problem, problem_id, patient_id, "This problem")
    tombstone(session, actor, row, patient_id=patient_id, resource_type="problem",
              version=version)
