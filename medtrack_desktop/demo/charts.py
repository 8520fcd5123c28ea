"""Living charts for the demo clinic: years of visits, notes, vitals and lists for every patient.

A test-data tool, like ``coverage.py`` but faster: rows go straight into the tables (executemany,
one transaction per batch of patients) with no audit entries. Every row still passes the schema's
CHECKs, foreign keys and the signed-record triggers: a visit's vitals and notes go in while it is
open, then the SHA-256 of its canonical content (``signing.encounter_content``) is computed, the
visit marked signed and its signature added — so "Verify signature" holds. What each chart holds
is ``chart_story``'s; deterministic for a seed: each patient draws from its own stream, seeded by
the demo seed and the MRN.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from medtrack_desktop.demo.chart_catalog import ACUTE, CHRONIC, EXAMS
from medtrack_desktop.demo.chart_story import ChartRows, PatientChart, Staff
from medtrack_desktop.domain.chart import signing
from medtrack_desktop.domain.chart.encounters import SOAP_SECTIONS
from medtrack_desktop.domain.chart.models import (
    Allergy,
    AllergyReview,
    ClinicalNote,
    Encounter,
    Immunization,
    Medication,
    MedicationChange,
    Problem,
    Signature,
    VitalSigns,
)
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.store.base import Base
from medtrack_desktop.store.engine import Store

_BATCH = 100  # patients per transaction



def add_demo_charts(
    store: Store, *, today: date, seed: int, timezone: str,
    patient_ids: Sequence[uuid.UUID] | None = None, cancelled: Callable[[], bool] | None = None,
) -> bool:
    """A chart for every patient of the clinic (or those of ``patient_ids``), ``_BATCH``
    patients per transaction; False if ``cancelled`` said stop between two batches. The
    clinic needs the demo's users "physician", "nurse" and "assistant"."""
    zone = ZoneInfo(timezone)
    wanted = select(Patient.id, Patient.mrn, Patient.date_of_birth, Patient.sex)
    with store.read_session() as session:
        staff = _staff(session)
        if patient_ids is None:
            people = session.execute(wanted.order_by(Patient.mrn)).all()
        else:
            people = sorted((row for start in range(0, len(patient_ids), _BATCH)
                             for row in session.execute(wanted.where(Patient.id.in_(
                                 patient_ids[start:start + _BATCH])))), key=lambda row: row.mrn)
    for start in range(0, len(people), _BATCH):
        if cancelled is not None and cancelled():
            return False
        rows = ChartRows()
        for person in people[start:start + _BATCH]:
            PatientChart(rows, staff, person.id, person.date_of_birth, person.sex, today=today,
                   zone=zone, rng=random.Random(f"{seed}:chart:{person.mrn}")).build()
        with store.session() as session:
            _write(session, rows)
    return True


def _staff(session: Session) -> Staff:
    users = {user.username: user for user in session.scalars(
        select(User).where(User.username.in_(("physician", "nurse", "assistant"))))}
    doctor = users["physician"]
    return Staff(clinic_id=doctor.clinic_id, physician=doctor.id,
                 physician_name=doctor.display_name, nurse=users["nurse"].id,
                 assistant=users["assistant"].id)


# -- writing -----------------------------------------------------------------------------------


def _write(session: Session, rows: ChartRows) -> None:
    """Insert a batch; the visits to sign are open while what they contain goes in."""
    for model, values in ((Encounter, rows.encounters), (ClinicalNote, rows.notes),
                          (VitalSigns, rows.vitals)):
        _insert(session, model, values)
    _sign(session, rows)
    for model, values in ((Problem, rows.problems), (Allergy, rows.allergies),
                          (AllergyReview, rows.reviews), (Medication, rows.medications),
                          (MedicationChange, rows.history), (Immunization, rows.immunizations)):
        _insert(session, model, values)


def _insert(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """One executemany of ``rows`` (every column given), each value through its column
    type's own bind processor — what ``insert()`` does, without its per-row bookkeeping,
    which costs more than the insert itself here."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    columns = list(model.__table__.columns)
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect)
                  for column in columns]
    steps = [(column.name, process or _same)
             for column, process in zip(columns, processors, strict=True)]
    names = ", ".join(column.name for column in columns)
    marks = ", ".join("?" * len(columns))
    connection.exec_driver_sql(
        f"INSERT INTO {model.__table__.name} ({names}) VALUES ({marks})",
        [tuple(None if row[name] is None else process(row[name]) for name, process in steps)
         for row in rows])


def _same(value: Any) -> Any:
    return value


def _sign(session: Session, rows: ChartRows) -> None:
    """Mark the visits signed and add their signatures (the order ``signing.sign_encounter``
    follows: hash, then status, then signature).

    ``signing.encounter_content`` reads a visit's notes and vitals back with three queries,
    some 5-10 ms a visit: too slow for thousands. So the same content is put together from
    the rows just written (``_content``), and checked against ``signing.encounter_content``
    over the stored rows for two visits of every batch, which fails loudly should the
    canonical form ever change without this module.
    """
    signatures = rows.signatures
    if not signatures:
        return
    encounters = {row["id"]: row for row in rows.encounters}
    notes: dict[uuid.UUID, list[dict[str, Any]]] = {}
    vitals: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in rows.notes:
        notes.setdefault(row["encounter_id"], []).append(row)
    for row in rows.vitals:
        vitals.setdefault(row["encounter_id"], []).append(row)
    for signature in signatures:
        record = signature["record_id"]
        signature["content_sha256"] = signing.content_sha256(_content(
            encounters[record], notes.get(record, []), vitals.get(record, [])))
    for signature in (signatures[0], signatures[-1]):
        stored = session.get_one(Encounter, signature["record_id"])
        expected = signing.content_sha256(signing.encounter_content(session, stored))
        if expected != signature["content_sha256"]:
            raise RuntimeError("demo charts: the signed content no longer matches "
                               "signing.encounter_content; update charts._content")
    session.expunge_all()  # the rows read are about to change under the ORM
    table = Encounter.__table__
    session.execute(
        update(table).where(table.c.id == bindparam("record")).values(
            status="signed", version=table.c.version + 1, updated_at=bindparam("at")),
        [{"record": row["record_id"], "at": row["signed_at"]} for row in signatures])
    _insert(session, Signature, signatures)


def _content(encounter: dict[str, Any], notes: list[dict[str, Any]],
             vitals: list[dict[str, Any]]) -> dict[str, Any]:
    """``signing.encounter_content`` of a visit, from the rows as written (no documents)."""
    return {
        "canonical_version": signing.CANONICAL_VERSION,
        "encounter": {
            **{name: encounter[name] for name in (
                "id", "patient_id", "provider_id", "encounter_type", "starts_at", "facility",
                "specialty", "reason", *SOAP_SECTIONS)},
            "review_of_systems": encounter["review_of_systems"] or {},
        },
        "clinical_notes": [{name: n[name] for name in ("id", "note_type", "title", "body")}
                           for n in sorted(notes, key=lambda n: n["id"])],
        "vital_signs": [{"id": v["id"], **{c: v[c] for c in _VITAL_COLUMNS}}
                        for v in sorted(vitals, key=lambda v: v["id"])],
        "documents": [],
    }


# What ``signing.encounter_content`` keeps of a vital set.
_VITAL_COLUMNS = (
    "taken_at", "height_cm", "weight_kg", "bmi", "temperature_c", "pulse", "respiration",
    "systolic", "diastolic", "spo2", "head_circumference_cm", "waist_circumference_cm", "pain",
    "note",
)


def demo_codes() -> Iterator[tuple[str, str]]:
    """Every ICD-10-CM code the demo charts use (problem lists and notes), with its title."""
    for item in (*CHRONIC, *ACUTE):
        yield item.code, item.title
    yield from EXAMS.values()
