"""The ``chart-open`` benchmark's database: N generated patients, one of them with 20 years of
history, and demo charts for one patient in 50 (see ``benchmarks.chart``).

A test-data tool: rows go in with executemany and no audit entries; the big chart's visits are
signed as ``signing.sign_encounter`` signs (the hash of ``signing.encounter_content`` over the
stored rows, then the status, then the signature), so "Verify signature" holds on them.
Where the time goes (100,000 patients, 2 busy cores): the patients ~70 s
(``patient_generator``), the big chart ~7 s (half of it the 300 signatures, each reading its
visit back), the 2,000 demo charts ~30 s.
"""

from __future__ import annotations

import hashlib
import random
import struct
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from benchmarks.common import note

if TYPE_CHECKING:
    from medtrack_desktop.store.engine import Store

SEED = 2026
TODAY = date(2026, 1, 15)  # fixed, so every run builds and asks the same
PASSWORD = "Bench!Passw0rd"
STAFF = (("physician", "Elena", "Marquez", "physician"), ("nurse", "Daniel", "Okoro", "nurse"),
         ("assistant", "Priya", "Shah", "medical_assistant"))
YEARS = 20
ENCOUNTERS, VITAL_SETS, PROBLEMS, MEDICATIONS, DOCUMENTS = 300, 3_000, 50, 150, 20
LIGHT_SHARE = 50  # one patient in 50 gets a demo chart


def new_clinic(path: Path, key: bytes) -> Store:
    """A new encrypted workstation database with its clinic and the demo's clinical staff
    (``demo.charts`` writes as "physician", "nurse" and "assistant")."""
    from medtrack_desktop.domain.identity.accounts import add_user
    from medtrack_desktop.domain.identity.actor import Actor
    from medtrack_desktop.domain.identity.workstation import initialize_workstation
    from medtrack_desktop.store.engine import Store
    from medtrack_desktop.store.migrate import upgrade

    store = Store.open(path, key, create=True)
    upgrade(store.engine)
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="Bench Clinic", workstation_name="Exam")
        for username, first, last, role in STAFF:
            add_user(session, Actor.system(seat), username=username, password=PASSWORD,
                     first_name=first, last_name=last, roles=(role,))
    return store


def _stamp(clinic_id: uuid.UUID, at: datetime, by: uuid.UUID) -> dict[str, Any]:
    from medtrack_desktop.store.base import new_id

    return {"id": new_id(), "clinic_id": clinic_id, "created_at": at, "updated_at": at,
            "created_by": by, "updated_by": by, "version": 1, "deleted_at": None}


def _pdf(text: str) -> bytes:
    """A one-page PDF saying ``text`` (ASCII), with a correct cross-reference table."""
    content = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _png(size: int, shade: int) -> bytes:
    """A ``size`` x ``size`` RGB PNG (a gradient)."""
    raw = b"".join(b"\x00" + bytes((x * 7 + y * 3 + shade) % 256 for x in range(size * 3))
                   for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


@dataclass
class _BigChart:
    """Rows of the patient with 20 years of history, by table."""

    encounters: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    vitals: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    contents: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    medications: list[dict[str, Any]]
    history: list[dict[str, Any]]
    allergies: list[dict[str, Any]]
    reviews: list[dict[str, Any]]
    immunizations: list[dict[str, Any]]


def _big_chart_rows(patient_id: uuid.UUID, clinic_id: uuid.UUID, staff: dict[str, uuid.UUID],
                    zone: ZoneInfo) -> _BigChart:
    from medtrack_desktop.demo.chart_catalog import ACUTE, CHRONIC
    from medtrack_desktop.demo.charts import demo_codes
    from medtrack_desktop.domain.chart.immunizations import find_vaccine
    from medtrack_desktop.domain.chart.vital_measures import bmi

    rng = random.Random(SEED)
    doctor, nurse, assistant = staff["physician"], staff["nurse"], staff["assistant"]
    first = datetime.combine(TODAY - timedelta(days=YEARS * 365), datetime.min.time(),
                             tzinfo=zone)
    span = timedelta(days=YEARS * 365 - 30)
    height = Decimal("171.4")
    rows = _BigChart(*([] for _ in range(11)))
    current = [c for c in CHRONIC if c.drug is not None][:8]
    words = ", ".join(c.words for c in current)
    for number in range(ENCOUNTERS):
        at = (first + span * number / ENCOUNTERS + timedelta(hours=8 + rng.randint(0, 8),
                                                               minutes=rng.choice((0, 30))))
        at = at.replace(hour=min(at.hour, 16)).astimezone(UTC)
        kind = ("new_patient" if number == 0 else "annual_physical" if number % 15 == 0 else
                rng.choice(("follow_up", "follow_up", "follow_up", "office", "telehealth")))
        complaint = rng.choice(ACUTE) if kind == "office" else None
        encounter = {
            **_stamp(clinic_id, at, doctor), "version": 2, "patient_id": patient_id,
            "provider_id": doctor, "encounter_type": kind, "status": "in_progress",
            "starts_at": at, "facility": "Bench Clinic", "specialty": "Family medicine",
            "reason": complaint.reason if complaint else f"Follow-up: {words}",
            "subjective": (f"Visit {number + 1}. " + (complaint.history if complaint else
                           "Doing well; taking medications as prescribed; no side effects.")
                           + f" History: {words}. Home readings reviewed; no chest pain, "
                           "dyspnea or edema. Sleep and appetite normal."),
            "objective": ("General: well-appearing, no distress. Heart: regular rhythm, no "
                          "murmur. Lungs: clear. Abdomen: soft. Extremities: no edema. "
                          + (complaint.exam if complaint else "")),
            "assessment": "\n".join(f"{n}. {c.title} ({c.code}): {c.status_words}."
                                    for n, c in enumerate(current, start=1)),
            "plan": "\n".join(f"- {c.plan}" for c in current) + "\n- Return in 3 months.",
            "review_of_systems": {system: {"finding": "negative", "note": "Reviewed."}
                                  for system in ("constitutional", "eyes", "ent",
                                                 "cardiovascular", "respiratory",
                                                 "gastrointestinal", "musculoskeletal",
                                                 "neurological", "psychiatric")},
            "cancelled_reason": None}
        rows.encounters.append(encounter)
        if number % 3 == 0:
            rows.notes.append({**_stamp(clinic_id, at + timedelta(hours=30), nurse),
                               "patient_id": patient_id, "encounter_id": encounter["id"],
                               "note_type": "telephone", "title": "Results called to patient",
                               "body": "Lab results reviewed with the patient by phone; "
                                       "no changes to the plan."})
    visits = [(row["starts_at"], row["id"]) for row in rows.encounters]
    for number in range(VITAL_SETS):
        in_visit = number < ENCOUNTERS
        if in_visit:
            taken_at, encounter_id = visits[number][0] + timedelta(minutes=8), visits[number][1]
        else:
            taken_at = (first + span * (number - ENCOUNTERS) / (VITAL_SETS - ENCOUNTERS)
                        + timedelta(hours=19, minutes=rng.randint(0, 59))).astimezone(UTC)
            encounter_id = None
        weight = Decimal(rng.randint(780, 860)) / 10 if in_visit or number % 5 == 0 else None
        rows.vitals.append({
            **_stamp(clinic_id, taken_at, assistant), "patient_id": patient_id,
            "encounter_id": encounter_id, "taken_at": taken_at,
            "height_cm": height if in_visit else None, "weight_kg": weight,
            "bmi": bmi(weight, height) if in_visit else None,
            "temperature_c": Decimal(rng.randint(364, 372)) / 10 if in_visit else None,
            "pulse": rng.randint(58, 84), "respiration": rng.randint(12, 18) if in_visit else None,
            "systolic": rng.randint(118, 146), "diastolic": rng.randint(72, 92),
            "spo2": rng.randint(95, 99) if in_visit else None, "head_circumference_cm": None,
            "waist_circumference_cm": None, "pain": 0 if in_visit else None,
            "note": None if in_visit else "Home blood pressure reading"})
    categories = ("lab_report", "imaging_report", "referral", "consult_letter", "correspondence")
    for number in range(DOCUMENTS):
        pdf = number % 2 == 0
        data = _pdf(f"Bench document {number + 1}") if pdf else _png(24, number)
        encounter_id = visits[number * 15][1] if number < DOCUMENTS // 2 else None
        at = visits[number * 15][0] + timedelta(hours=1)
        document = {**_stamp(clinic_id, at, nurse), "patient_id": patient_id,
                    "encounter_id": encounter_id, "title": f"Document {number + 1}",
                    "category": categories[number % len(categories)] if pdf else "other",
                    "file_name": f"document-{number + 1}.{'pdf' if pdf else 'png'}",
                    "media_type": "application/pdf" if pdf else "image/png",
                    "size_bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                    "notes": None}
        rows.documents.append(document)
        rows.contents.append({**_stamp(clinic_id, at, nurse), "document_id": document["id"],
                              "data": data})
    codes = list(demo_codes())
    for number in range(PROBLEMS):
        code, title = codes[number % len(codes)]
        onset = TODAY - timedelta(days=rng.randint(30, YEARS * 365))
        chronic = number < 8
        rows.problems.append({
            **_stamp(clinic_id, visits[0][0], doctor), "patient_id": patient_id,
            "encounter_id": None, "code_system": "ICD-10-CM", "code": code, "title": title,
            "status": "chronic" if chronic else "resolved", "onset_on": onset,
            "resolved_on": None if chronic else min(TODAY, onset + timedelta(days=20)),
            "notes": None})
    drugs = [c.drug for c in current] + [c.course for c in ACUTE if c.course is not None]
    for number in range(MEDICATIONS):
        drug = drugs[number % len(drugs)]
        start = TODAY - timedelta(days=rng.randint(20, YEARS * 365))
        active = number < len(current)
        values = {
            **_stamp(clinic_id, visits[0][0], doctor), "patient_id": patient_id,
            "encounter_id": None, "name": drug.name,
            "dose": None if drug.dose is None else Decimal(drug.dose), "dose_unit": drug.unit,
            "route": drug.route, "frequency": drug.frequency, "start_on": start,
            "end_on": None if active else min(TODAY, start + timedelta(days=10)),
            "prescriber_id": doctor, "prescriber_name": None,
            "status": "active" if active else ("completed" if number % 3 else "discontinued"),
            "status_reason": None if active or number % 3 else "Side effects",
            "instructions": drug.instructions}
        rows.medications.append(values)
        changes = [("started", start, None)]
        if not active:
            changes.append((values["status"], values["end_on"], values["status_reason"]))
        for change, on, reason in changes:
            when = datetime.combine(on, datetime.min.time(), tzinfo=zone).astimezone(UTC)
            rows.history.append({
                **_stamp(clinic_id, when, doctor), "medication_id": values["id"],
                "patient_id": patient_id, "change": change, "changed_at": when,
                "reason": reason, "after": {
                    **{name: str(values[name]) if values[name] is not None else None
                       for name in ("name", "dose_unit", "route", "frequency", "start_on",
                                    "prescriber_id", "prescriber_name", "instructions")},
                    "dose": drug.dose,
                    "end_on": None if change == "started" else str(values["end_on"]),
                    "status": "active" if change == "started" else change,
                    "status_reason": None if change == "started" else reason}})
    for allergen, kind, reaction, severity in (("Penicillin", "drug", "Anaphylaxis", "severe"),
                                               ("Latex", "environmental", "Rash", "mild")):
        rows.allergies.append({**_stamp(clinic_id, visits[0][0], nurse),
                               "patient_id": patient_id, "allergen": allergen,
                               "allergen_type": kind, "reaction": reaction,
                               "severity": severity, "onset_on": None, "status": "active",
                               "notes": None})
    rows.reviews.append({**_stamp(clinic_id, visits[0][0], nurse), "patient_id": patient_id,
                         "no_known_allergies": False, "reviewed_at": visits[0][0]})
    for year in range(YEARS):
        vaccine = find_vaccine("150" if year % 2 else "141")
        assert vaccine is not None
        on = date(TODAY.year - YEARS + year, 10, 15)
        rows.immunizations.append({
            **_stamp(clinic_id, datetime.combine(on, datetime.min.time(), tzinfo=UTC), nurse),
            "patient_id": patient_id, "encounter_id": None, "cvx_code": vaccine.cvx,
            "vaccine": vaccine.name, "administered_on": on, "lot_number": f"L{year:04d}",
            "manufacturer": "Seqirus", "route": "intramuscular", "site": "left_deltoid",
            "administered_by_id": nurse, "administered_by": None, "notes": None})
    return rows


def _write_big_chart(store: Store, rows: _BigChart, doctor: uuid.UUID, printed_name: str,
                     clinic_id: uuid.UUID) -> None:
    """Insert the big chart (executemany per table), then sign every visit as the service
    does: the hash of ``signing.encounter_content`` over the stored rows, then the status,
    then the signature."""
    from sqlalchemy import bindparam, select, update

    from medtrack_desktop.domain.chart import models, signing

    with store.session() as session:
        for model, values in ((models.Encounter, rows.encounters),
                              (models.ClinicalNote, rows.notes),
                              (models.VitalSigns, rows.vitals),
                              (models.Document, rows.documents),
                              (models.DocumentContent, rows.contents),
                              (models.Problem, rows.problems),
                              (models.Medication, rows.medications),
                              (models.MedicationChange, rows.history),
                              (models.Allergy, rows.allergies),
                              (models.AllergyReview, rows.reviews),
                              (models.Immunization, rows.immunizations)):
            session.execute(model.__table__.insert(), values)
        signatures = []
        for encounter in session.scalars(select(models.Encounter).where(
                models.Encounter.id.in_([row["id"] for row in rows.encounters]))):
            sha256 = signing.content_sha256(signing.encounter_content(session, encounter))
            signed_at = encounter.starts_at + timedelta(hours=2)
            signatures.append({
                **_stamp(clinic_id, signed_at, doctor), "record_type": "encounter",
                "record_id": encounter.id, "patient_id": encounter.patient_id,
                "signer_id": doctor, "printed_name": printed_name, "meaning": "authorship",
                "signed_at": signed_at, "content_sha256": sha256,
                "canonical_version": signing.CANONICAL_VERSION})
        session.expunge_all()
        table = models.Encounter.__table__
        session.execute(update(table).where(table.c.id == bindparam("record")).values(
            status="signed", version=3, updated_at=bindparam("at")),
            [{"record": row["record_id"], "at": row["signed_at"]} for row in signatures])
        session.execute(models.Signature.__table__.insert(), signatures)


def build(path: Path, key: bytes, patients: int) -> dict[str, Any]:
    """Make the benchmark's database at ``path``; returns the facts kept next to it."""
    from sqlalchemy import select

    from benchmarks.patient_generator import generate_patients
    from medtrack_desktop.demo.charts import add_demo_charts
    from medtrack_desktop.domain.identity.models import User
    from medtrack_desktop.domain.identity.workstation import current_seat
    from medtrack_desktop.domain.patients.models import Patient

    started = time.perf_counter()
    marks: dict[str, float] = {}
    store = new_clinic(path, key)
    try:
        generate_patients(store, count=patients, today=TODAY, seed=SEED,
                          progress=lambda done, total: note(f"{done}/{total} patients"))
        marks["patients_s"] = time.perf_counter() - started
        with store.read_session() as session:
            seat = current_seat(session)
            assert seat is not None
            staff = {user.username: user for user in session.scalars(select(User))}
            born_by = TODAY - timedelta(days=int(50 * 365.25))
            big = session.scalar(select(Patient.id).where(Patient.date_of_birth <= born_by)
                                 .order_by(Patient.mrn).limit(1))
            everyone = list(session.scalars(select(Patient.id).order_by(Patient.mrn)))
        if big is None:
            raise RuntimeError("no patient aged 50 or more to give 20 years of history")
        rows = _big_chart_rows(big, seat.clinic_id, {name: user.id for name, user in
                                                     staff.items()},
                               ZoneInfo(seat.clinic_timezone))
        _write_big_chart(store, rows, staff["physician"].id, staff["physician"].display_name,
                         seat.clinic_id)
        marks["big_chart_s"] = time.perf_counter() - started - marks["patients_s"]
        note(f"big chart written in {marks['big_chart_s']:.1f} s")
        others = [patient for patient in everyone if patient != big]
        sample = sorted(random.Random(SEED).sample(others, min(len(others),
                                                               max(1, patients // LIGHT_SHARE))))
        add_demo_charts(store, today=TODAY, seed=SEED, timezone=seat.clinic_timezone,
                        patient_ids=sample)
        marks["light_charts_s"] = (time.perf_counter() - started - marks["patients_s"]
                                   - marks["big_chart_s"])
        note(f"{len(sample)} demo charts written in {marks['light_charts_s']:.1f} s")
        store.analyze()
    finally:
        store.close()
    return {"patients": patients, "seed": SEED, "big_patient": str(big),
            "charted": [str(patient) for patient in sample],
            "build_s": round(time.perf_counter() - started, 1),
            **{name: round(seconds, 1) for name, seconds in marks.items()}}
