"""Procedures: the shape of each code system's codes, dates, who performed it, access, audit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from chart_people import DemoChart, chart_audit

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.access import ChartRecordNotFound
from medtrack_desktop.domain.chart.models import Procedure
from medtrack_desktop.domain.chart.procedures import (
    ProcedureEntry,
    ProcedureInput,
    ProcedureInvalid,
    procedures,
    record_procedure,
    remove_procedure,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.access import RestrictedRecord
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import StaleRecord

TODAY = date(2026, 11, 25)
VISIT = ProcedureInput(code="99213", description="Office visit, established patient",
                       performed_on=date(2026, 11, 20))
CPT = "Code: a CPT code is 5 digits, or 4 digits and F, T or U (99213, 3074F, 0042T)."
HCPCS = "Code: a HCPCS code is a letter and 4 digits (G0439, J1100)."
PCS = "Code: an ICD-10-PCS code is 7 letters or digits, never I or O (0DTJ4ZZ)."
SNOMED = ("Code: a SNOMED CT concept id is 6 to 10 digits ending in a valid check digit "
          "(80146002).")


@pytest.fixture(scope="module")
def clinic(demo_chart: Callable[..., DemoChart]) -> DemoChart:
    return demo_chart(born_before=date(2024, 1, 1))


@pytest.fixture(scope="module")
def coded(clinic: DemoChart) -> uuid.UUID:
    """One patient for the code-shape cases (dozens of them; the demo has 40 patients)."""
    return next(clinic.free)


def record(clinic: DemoChart, patient: uuid.UUID, entered: ProcedureInput = VISIT, *,
           actor: Actor | None = None) -> ProcedureEntry:
    return perform(clinic.store, actor or clinic.physician, record_procedure, patient_id=patient,
                   procedure=entered, today=TODAY)


def errors_of(clinic: DemoChart, patient: uuid.UUID, **changes: Any) -> dict[str, str]:
    with pytest.raises(ProcedureInvalid) as raised:
        record(clinic, patient, replace(VISIT, **changes))
    return raised.value.errors


@pytest.mark.parametrize(("system", "typed", "stored"), [
    ("CPT", "99213", "99213"), ("CPT", " 3074f ", "3074F"), ("CPT", "0042T", "0042T"),
    ("CPT", "0001U", "0001U"), ("HCPCS", "g0439", "G0439"), ("HCPCS", "J1100", "J1100"),
    ("ICD-10-PCS", "0dtj4zz", "0DTJ4ZZ"), ("SNOMED-CT", "80146002", "80146002"),
    ("SNOMED-CT", "387713003", "387713003"),
])
def test_well_formed_codes_of_each_system_are_kept(
    clinic: DemoChart, coded: uuid.UUID, system: str, typed: str, stored: str
) -> None:
    done = record(clinic, coded, replace(VISIT, code_system=system, code=typed))
    assert (done.code_system, done.code) == (system, stored)


@pytest.mark.parametrize(("system", "typed", "message"), [
    ("CPT", "9921", CPT), ("CPT", "992130", CPT), ("CPT", "3074X", CPT), ("CPT", "G0439", CPT),
    ("HCPCS", "99213", HCPCS), ("HCPCS", "G043", HCPCS), ("HCPCS", "GG439", HCPCS),
    ("ICD-10-PCS", "0DTJ4Z", PCS), ("ICD-10-PCS", "0DTJ4ZO", PCS), ("ICD-10-PCS", "0DTI4ZZ", PCS),
    ("SNOMED-CT", "80146003", SNOMED),  # check digit wrong
    ("SNOMED-CT", "080146002", SNOMED), ("SNOMED-CT", "12345", SNOMED),
    ("SNOMED-CT", "80146012", SNOMED),  # partition 01: a description id, not a concept
    ("SNOMED-CT", "731000124108", SNOMED),  # an extension id: longer than the column
])
def test_malformed_codes_are_refused_at_the_field(
    clinic: DemoChart, coded: uuid.UUID, system: str, typed: str, message: str
) -> None:
    assert errors_of(clinic, coded, code_system=system, code=typed) == {"code": message}


def test_each_field_has_its_own_message(clinic: DemoChart, patient: uuid.UUID) -> None:
    with clinic.store.read_session() as session:
        born = session.get_one(Patient, patient).date_of_birth
    assert errors_of(clinic, patient, code_system="LOINC", description=" ", performed_on=None,
                     notes="\x1b[31m") == {
        "code_system": "Code system: CPT, HCPCS, ICD-10-PCS or SNOMED-CT.",
        "description": "Description: required (what was done).",
        "performed_on": "Date performed: required.",
        "notes": "Notes: remove the control or invisible characters.",
    }
    assert errors_of(clinic, patient, code=" ", description="d" * 301,
                     performed_on=date(2026, 11, 26)) == {
        "code": "Code: required.",
        "description": "Description: at most 300 characters.",
        "performed_on": "Date performed: cannot be in the future.",
    }
    assert errors_of(clinic, patient, performed_on=date.fromordinal(born.toordinal() - 1)) == {
        "performed_on": "Date performed: not before the patient's date of birth."}
    assert errors_of(clinic, patient, performer_id=clinic.physician.user_id,
                     performer_name="Dr Elsewhere") == {
        "performer": "Performed by: choose a clinic user or type a name, not both."}
    assert errors_of(clinic, patient, performer_id=uuid.uuid4()) == {
        "performer": "Performed by: not a user of this clinic."}
    assert errors_of(clinic, patient, performer_name="N" * 201) == {
        "performer": "Performed by: at most 200 characters."}


def test_the_list_is_newest_first_and_names_the_performer(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    record(clinic, patient, replace(VISIT, performer_id=clinic.physician.user_id))
    record(clinic, patient, ProcedureInput(
        code_system="ICD-10-PCS", code="0DTJ4ZZ", description="Laparoscopic appendectomy",
        performed_on=date(2024, 6, 1), performer_name="Dr. Sam Surgeon"))
    record(clinic, patient, replace(VISIT, code="96372", description="Injection, IM",
                                    performed_on=date(2026, 11, 24)))
    listed = perform(clinic.store, clinic.nurse, procedures, patient_id=patient)
    assert [(p.code, p.performer) for p in listed] == [
        ("96372", None), ("99213", "Elena Márquez"), ("0DTJ4ZZ", "Dr. Sam Surgeon")]


def test_a_procedure_entered_in_error_is_kept_as_a_tombstone(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    wrong = record(clinic, patient)
    with pytest.raises(StaleRecord):
        perform(clinic.store, clinic.physician, remove_procedure, patient_id=patient,
                procedure_id=wrong.id, version=wrong.version + 1)
    perform(clinic.store, clinic.physician, remove_procedure, patient_id=patient,
            procedure_id=wrong.id, version=wrong.version)
    assert perform(clinic.store, clinic.physician, procedures, patient_id=patient) == []
    with clinic.store.read_session() as session:
        assert session.get_one(Procedure, wrong.id).deleted_at is not None
    with pytest.raises(ChartRecordNotFound):
        perform(clinic.store, clinic.physician, remove_procedure, patient_id=patient,
                procedure_id=wrong.id)


def test_who_may_read_and_record_procedures(clinic: DemoChart, patient: uuid.UUID) -> None:
    with pytest.raises(PermissionDenied) as denied:
        perform(clinic.store, clinic.frontdesk, procedures, patient_id=patient)
    assert denied.value.permission == "chart.read"
    with pytest.raises(PermissionDenied):
        record(clinic, patient, actor=clinic.frontdesk)
    record(clinic, patient, actor=clinic.nurse)
    record(clinic, patient, actor=clinic.assistant)
    with pytest.raises(RestrictedRecord):
        record(clinic, clinic.restricted, actor=clinic.nurse)
    with pytest.raises(RestrictedRecord):
        perform(clinic.store, clinic.assistant, procedures, patient_id=clinic.restricted)
    assert len(perform(clinic.store, clinic.nurse, procedures, patient_id=patient)) == 2


def test_reads_and_writes_are_audited_without_the_clinical_text(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    done = record(clinic, patient, ProcedureInput(
        code_system="HCPCS", code="J1100", description="Dexamethasone injection",
        performed_on=TODAY, notes="Tolerated well"))
    perform(clinic.store, clinic.nurse, procedures, patient_id=patient)
    rows = [(e.username, e.action, e.resource_type, e.resource_id, e.reason, e.changes)
            for e in chart_audit(clinic.store, patient)]
    assert rows == [
        ("physician", "chart.write", "procedure", str(done.id), "added", {"fields": [
            "code", "code_system", "description", "notes", "performed_on"]}),
        ("nurse", "chart.read", "procedure", None, "list", None),
    ]
    written = repr(rows)
    assert not any(text in written for text in ("J1100", "Dexamethasone", "Tolerated"))
