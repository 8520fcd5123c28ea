"""Medications: started, changed, stopped, each change kept as a history row with a snapshot."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from chart_people import DemoChart, chart_audit
from demo_users import sign_in
from sqlalchemy import func, select

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.access import ChartRecordNotFound
from medtrack_desktop.domain.chart.medications import (
    MedicationEntry,
    MedicationInput,
    MedicationInvalid,
    change_medication,
    complete_medication,
    discontinue_medication,
    medication_history,
    medications,
    start_medication,
)
from medtrack_desktop.domain.chart.models import MedicationChange
from medtrack_desktop.domain.identity.accounts import add_user
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.patients.access import RestrictedRecord
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import StaleRecord, register_patient
from medtrack_desktop.store.engine import Store

TODAY = date(2026, 11, 25)
METFORMIN = MedicationInput(name="Metformin 500 mg tablet", dose="500", dose_unit="mg",
                            route="oral", frequency="twice daily", start_on=date(2026, 1, 5),
                            instructions="Take with meals")
REGIMEN = {"dose": "500", "dose_unit": "mg", "route": "oral", "frequency": "twice daily",
           "instructions": "Take with meals"}


@pytest.fixture(scope="module")
def clinic(demo_chart: Callable[..., DemoChart]) -> DemoChart:
    return demo_chart(born_before=date(2006, 1, 1))  # adults


@pytest.fixture(scope="module")
def portal_user(clinic: DemoChart) -> uuid.UUID:
    """The demo patient's own login: a user of the clinic, but not staff."""
    with clinic.store.read_session() as session:
        portal = session.scalar(select(User.id).where(User.username == "patient"))
    assert portal is not None
    return portal


def start(clinic: DemoChart, patient: uuid.UUID, entered: MedicationInput = METFORMIN, *,
          actor: Actor | None = None) -> MedicationEntry:
    return perform(clinic.store, actor or clinic.physician, start_medication,
                   patient_id=patient, medication=entered, today=TODAY)


def change(clinic: DemoChart, patient: uuid.UUID, med: MedicationEntry, *,
           actor: Actor | None = None, **kw: Any) -> MedicationEntry:
    arguments = {**REGIMEN, "version": med.version, **kw}
    return perform(clinic.store, actor or clinic.physician, change_medication,
                   patient_id=patient, medication_id=med.id, **arguments)


def stop(clinic: DemoChart, patient: uuid.UUID, med: MedicationEntry, **kw: Any) -> MedicationEntry:
    arguments = {"version": med.version, "reason": "GI upset", "today": TODAY, **kw}
    return perform(clinic.store, clinic.physician, discontinue_medication, patient_id=patient,
                   medication_id=med.id, **arguments)


def start_errors(clinic: DemoChart, patient: uuid.UUID, entered: MedicationInput) -> dict[str, str]:
    with pytest.raises(MedicationInvalid) as raised:
        start(clinic, patient, entered)
    return raised.value.errors


def history_rows(store: Store, medication_id: uuid.UUID) -> int:
    with store.read_session() as session:
        return session.scalar(select(func.count()).select_from(MedicationChange).where(
            MedicationChange.medication_id == medication_id)) or 0


def test_each_change_writes_a_history_row_with_the_medication_after_it(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    started = start(clinic, patient, replace(METFORMIN, prescriber_id=clinic.physician.user_id))
    assert (started.dose, started.prescriber, started.status) == (
        Decimal("500"), "Elena Márquez", "active")
    changed = change(clinic, patient, started, actor=clinic.nurse, dose="1000",
                     reason="A1c still above goal")
    assert (changed.dose, changed.version) == (Decimal("1000"), started.version + 1)
    stopped = stop(clinic, patient, changed, reason="GI upset", end_on=date(2026, 11, 20))
    assert (stopped.status, stopped.status_reason, stopped.end_on, stopped.active) == (
        "discontinued", "GI upset", date(2026, 11, 20), False)

    history = perform(clinic.store, clinic.physician, medication_history, patient_id=patient,
                      medication_id=started.id)
    assert [(h.change, h.changed_by, h.reason) for h in history] == [
        ("started", "Elena Márquez", None),
        ("changed", "Daniel O'Connor", "A1c still above goal"),
        ("discontinued", "Elena Márquez", "GI upset"),
    ]
    assert history[0].changed_at <= history[1].changed_at <= history[2].changed_at
    assert history[0].after == {
        "name": "Metformin 500 mg tablet", "dose": "500", "dose_unit": "mg", "route": "oral",
        "frequency": "twice daily", "start_on": "2026-01-05", "end_on": None,
        "prescriber_id": str(clinic.physician.user_id), "prescriber_name": None,
        "status": "active", "status_reason": None, "instructions": "Take with meals",
    }
    assert history[1].after == {**history[0].after, "dose": "1000"}
    assert history[2].after == {**history[1].after, "status": "discontinued",
                                "status_reason": "GI upset", "end_on": "2026-11-20"}


def test_a_completed_course_is_kept_with_its_end(clinic: DemoChart, patient: uuid.UUID) -> None:
    course = start(clinic, patient, MedicationInput(
        name="Amoxicillin 500 mg capsule", dose="0.5", dose_unit="g", route="oral",
        frequency="three times daily", start_on=date(2026, 11, 15),
        prescriber_name="Dr. Ada Urgent-Care"))
    assert (course.dose, course.prescriber, course.prescriber_id) == (
        Decimal("0.5"), "Dr. Ada Urgent-Care", None)
    done = perform(clinic.store, clinic.physician, complete_medication, patient_id=patient,
                   medication_id=course.id, version=course.version, today=TODAY)
    assert (done.status, done.end_on, done.status_reason) == ("completed", TODAY, None)
    history = perform(clinic.store, clinic.nurse, medication_history, patient_id=patient,
                      medication_id=course.id)
    assert [h.change for h in history] == ["started", "completed"]
    assert history[1].after["dose"] == "0.5" and history[1].after["end_on"] == "2026-11-25"
    with pytest.raises(MedicationInvalid) as raised:
        change(clinic, patient, done, dose="250")
    assert raised.value.errors == {
        "status": "Status: this medication is completed; start it again as a new medication."}
    with pytest.raises(MedicationInvalid):
        stop(clinic, patient, done)
    assert history_rows(clinic.store, course.id) == 2


def test_the_dose_is_a_plain_number_above_zero(clinic: DemoChart, patient: uuid.UUID) -> None:
    message = ("Dose: a number above 0 such as 500 or 0.5 (a 0 before the point, at most 3 "
               "decimals).")
    for typed in (".5", "0", "0.000", "-5", "five", "1e3", "NaN", "1,000", "0.0005",
                  "12345678", "\u0663"):
        assert start_errors(clinic, patient, replace(METFORMIN, dose=typed)) == {"dose": message}
    assert start_errors(clinic, patient, replace(METFORMIN, dose="", dose_unit="mg")) == {
        "dose": "Dose: required with a unit, or clear the unit."}
    assert start_errors(clinic, patient, replace(METFORMIN, dose="2", dose_unit=" ")) == {
        "dose_unit": "Dose unit: required with a dose (mg, mL, tablet …)."}
    ok = start(clinic, patient, replace(METFORMIN, dose=" 0.125 ", dose_unit="mg"))
    assert ok.dose == Decimal("0.125")
    listed = perform(clinic.store, clinic.physician, medications, patient_id=patient)
    assert [m.dose for m in listed] == [Decimal("0.125")]  # as stored and read back
    nothing = start(clinic, patient, MedicationInput(name="Hydrocortisone 1% cream",
                                                     route="topical"))
    assert (nothing.dose, nothing.dose_unit, nothing.start_on) == (None, None, None)


def test_each_field_has_its_own_message(
    clinic: DemoChart, patient: uuid.UUID, portal_user: uuid.UUID
) -> None:
    with clinic.store.read_session() as session:
        born = session.get_one(Patient, patient).date_of_birth
    assert start_errors(clinic, patient, MedicationInput(
        name="", route="by mouth", frequency="f" * 61, start_on=date(2026, 11, 26),
        instructions="Take\x00 daily", prescriber_id=clinic.physician.user_id,
        prescriber_name="Dr Other")) == {
        "name": "Medication: required (the drug and strength, as on the label).",
        "route": "Route: choose one of the listed routes.",
        "frequency": "Frequency: at most 60 characters.",
        "start_on": "Started: cannot be in the future.",
        "instructions": "Instructions: remove the control or invisible characters.",
        "prescriber": "Prescriber: choose a clinic user or type a name, not both.",
    }
    for stranger in (uuid.uuid4(), portal_user):
        assert start_errors(clinic, patient, replace(METFORMIN, prescriber_id=stranger)) == {
            "prescriber": "Prescriber: not a user of this clinic."}
    assert start_errors(clinic, patient, replace(
        METFORMIN, start_on=date.fromordinal(born.toordinal() - 1))) == {
        "start_on": "Started: not before the patient's date of birth."}

    med = start(clinic, patient)
    with pytest.raises(MedicationInvalid) as raised:
        stop(clinic, patient, med, reason="  ")
    assert raised.value.errors == {"reason": "Reason: say why the medication is stopped."}
    with pytest.raises(MedicationInvalid) as raised:
        stop(clinic, patient, med, end_on=date(2026, 1, 4))
    assert raised.value.errors == {"end_on": "Stopped: on or after the start date (2026-01-05)."}
    with pytest.raises(MedicationInvalid) as raised:
        stop(clinic, patient, med, end_on=date(2026, 11, 26))
    assert raised.value.errors == {"end_on": "Stopped: cannot be in the future."}
    with pytest.raises(MedicationInvalid) as raised:
        change(clinic, patient, med, dose=".5", route="IV", reason="r" * 301)
    assert set(raised.value.errors) == {"dose", "route", "reason"}
    assert history_rows(clinic.store, med.id) == 1


def test_a_change_on_a_stale_copy_is_refused(clinic: DemoChart, patient: uuid.UUID) -> None:
    med = start(clinic, patient)
    newer = change(clinic, patient, med, frequency="once daily")
    with pytest.raises(StaleRecord):
        change(clinic, patient, med, frequency="three times daily")
    with pytest.raises(StaleRecord):
        stop(clinic, patient, med)
    with pytest.raises(StaleRecord):
        perform(clinic.store, clinic.physician, complete_medication, patient_id=patient,
                medication_id=med.id, version=med.version, today=TODAY)
    [kept] = perform(clinic.store, clinic.physician, medications, patient_id=patient)
    assert (kept.frequency, kept.version, kept.status) == ("once daily", newer.version, "active")
    assert history_rows(clinic.store, med.id) == 2


def test_a_change_that_changes_nothing_writes_nothing(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    med = start(clinic, patient)
    same = change(clinic, patient, med, dose="500.0", frequency=" twice  daily ")
    assert same.version == med.version
    assert history_rows(clinic.store, med.id) == 1


def test_the_list_shows_active_medications_first(clinic: DemoChart, patient: uuid.UUID) -> None:
    stopped = start(clinic, patient, replace(METFORMIN, name="Atorvastatin 20 mg"))
    stop(clinic, patient, stopped)
    for name in ("Lisinopril 10 mg", "Aspirin 81 mg"):
        start(clinic, patient, replace(METFORMIN, name=name))
    listed = perform(clinic.store, clinic.physician, medications, patient_id=patient)
    assert [(m.name, m.status) for m in listed] == [
        ("Aspirin 81 mg", "active"), ("Lisinopril 10 mg", "active"),
        ("Atorvastatin 20 mg", "discontinued")]
    current = perform(clinic.store, clinic.physician, medications, patient_id=patient,
                      include_inactive=False)
    assert [m.name for m in current] == ["Aspirin 81 mg", "Lisinopril 10 mg"]


def test_who_may_read_and_write_medications(clinic: DemoChart, patient: uuid.UUID) -> None:
    med = start(clinic, patient, actor=clinic.nurse)
    change(clinic, patient, med, actor=clinic.nurse, dose="850")
    with pytest.raises(PermissionDenied) as denied:
        perform(clinic.store, clinic.frontdesk, medications, patient_id=patient)
    assert denied.value.permission == "chart.read"
    with pytest.raises(PermissionDenied):
        perform(clinic.store, clinic.frontdesk, medication_history, patient_id=patient,
                medication_id=med.id)
    with pytest.raises(PermissionDenied):
        start(clinic, patient, actor=clinic.frontdesk)
    with pytest.raises(RestrictedRecord):
        start(clinic, clinic.restricted, actor=clinic.nurse)
    with pytest.raises(RestrictedRecord):
        perform(clinic.store, clinic.nurse, medications, patient_id=clinic.restricted)
    start(clinic, clinic.restricted)  # the physician is on its care team
    other = next(clinic.free)
    with pytest.raises(ChartRecordNotFound):  # one patient's id never reaches another's
        perform(clinic.store, clinic.physician, medication_history, patient_id=other,
                medication_id=med.id)


def test_reads_and_writes_are_audited_without_the_clinical_text(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    med = start(clinic, patient, replace(METFORMIN, name="Buprenorphine 8 mg film",
                                         instructions="Dissolve under tongue"))
    med = change(clinic, patient, med, dose="12", instructions="Dissolve under tongue",
                 reason="Cravings")
    stop(clinic, patient, med, reason="Moved to methadone clinic")
    perform(clinic.store, clinic.physician, medications, patient_id=patient)
    perform(clinic.store, clinic.physician, medication_history, patient_id=patient,
            medication_id=med.id)
    rows = [(e.action, e.resource_type, e.resource_id, e.reason, e.changes)
            for e in chart_audit(clinic.store, patient)]
    med_id = str(med.id)
    assert rows == [
        ("chart.write", "medication", med_id, "started", {"fields": [
            "dose", "dose_unit", "frequency", "instructions", "name", "route", "start_on"]}),
        ("chart.write", "medication", med_id, "changed", {"fields": ["dose"]}),
        ("chart.write", "medication", med_id, "discontinued",
         {"fields": ["end_on", "status", "status_reason"]}),
        ("chart.read", "medication", None, "list", None),
        ("chart.read", "medication", med_id, "history", None),
    ]
    written = repr(rows)
    assert not any(text in written for text in (
        "Buprenorphine", "tongue", "Cravings", "methadone"))


@pytest.mark.postgres
def test_the_history_and_decimal_doses_round_trip_on_postgresql(pg_store: Store) -> None:
    with pg_store.session() as session:
        seat = initialize_workstation(session, clinic_name="Server DemoChart",
                                      workstation_name="Exam 9")
        system = Actor.system(seat, name="test")
        add_user(session, system, username="physician", password=DEMO_PASSWORD,
                 first_name="Elena", last_name="Márquez", roles=("physician",))
        patient = register_patient(session, system, today=TODAY, demographics=Demographics(
            last_name="Okafor", first_name="Ngozi", sex="female",
            date_of_birth=date(1980, 2, 3))).id
    physician = sign_in(pg_store, "physician")
    with pg_store.session() as session:
        med = start_medication(session, physician, patient_id=patient, today=TODAY,
                               medication=replace(METFORMIN, dose="0.125",
                                                  prescriber_id=physician.user_id))
    with pg_store.session() as session:
        med = change_medication(session, physician, patient_id=patient, medication_id=med.id,
                                **{**REGIMEN, "dose": "1500.5"}, version=med.version)
    with pg_store.session() as session:
        [listed] = medications(session, physician, patient_id=patient)
        history = medication_history(session, physician, patient_id=patient,
                                     medication_id=med.id)
    assert (listed.dose, listed.prescriber) == (Decimal("1500.5"), "Elena Márquez")
    assert [(h.change, h.after["dose"]) for h in history] == [
        ("started", "0.125"), ("changed", "1500.5")]
