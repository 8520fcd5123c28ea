"""Immunizations: CVX reference, dates against today and birth, who gave it, access, audit."""

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
from medtrack_desktop.domain.chart.immunizations import (
    ImmunizationEntry,
    ImmunizationInput,
    ImmunizationInvalid,
    find_vaccine,
    immunizations,
    record_immunization,
    remove_immunization,
    vaccines,
)
from medtrack_desktop.domain.chart.models import Immunization
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.access import RestrictedRecord
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import StaleRecord

TODAY = date(2026, 11, 25)
FLU = ImmunizationInput(cvx_code="141", administered_on=date(2026, 10, 1), lot_number="UT7012AA",
                        manufacturer="Sanofi Pasteur", route="intramuscular",
                        site="left_deltoid")


@pytest.fixture(scope="module")
def clinic(demo_chart: Callable[..., DemoChart]) -> DemoChart:
    return demo_chart(born_before=date(2025, 1, 1))


def record(clinic: DemoChart, patient: uuid.UUID, entered: ImmunizationInput = FLU, *,
           actor: Actor | None = None) -> ImmunizationEntry:
    return perform(clinic.store, actor or clinic.nurse, record_immunization, patient_id=patient,
                   immunization=entered, today=TODAY)


def errors_of(clinic: DemoChart, patient: uuid.UUID, **changes: Any) -> dict[str, str]:
    with pytest.raises(ImmunizationInvalid) as raised:
        record(clinic, patient, replace(FLU, **changes))
    return raised.value.errors


def test_the_cvx_reference_holds_common_vaccines_under_their_real_codes() -> None:
    listed = vaccines()
    assert 30 <= len(listed) <= 50
    assert len({v.cvx for v in listed}) == len(listed)
    assert all(v.cvx.isdecimal() and 2 <= len(v.cvx) <= 4 and len(v.name) <= 200
               for v in listed)
    assert [v.name for v in listed] == sorted((v.name for v in listed), key=str.casefold)
    expected = {"141": "influenza, seasonal, injectable", "208": "pfizer", "115": "tdap",
                "08": "hepatitis b, adolescent or pediatric", "03": "mmr", "21": "varicella",
                "33": "ppv23", "133": "pcv13", "62": "hpv, quadrivalent", "165": "gardasil 9",
                "187": "zoster, recombinant", "207": "moderna", "216": "pcv20"}
    for cvx, words in expected.items():
        found = find_vaccine(cvx)
        assert found is not None and words in found.name.lower(), cvx
    assert find_vaccine("8") == find_vaccine(" 08 ") and find_vaccine("999") is None


def test_a_dose_is_recorded_with_the_reference_name(clinic: DemoChart, patient: uuid.UUID) -> None:
    flu = record(clinic, patient, replace(FLU, administered_by_id=clinic.nurse.user_id))
    assert (flu.cvx_code, flu.vaccine, flu.administered_by, flu.administered_by_id) == (
        "141", "Influenza, seasonal, injectable", "Daniel O'Connor", clinic.nurse.user_id)
    hep = record(clinic, patient, ImmunizationInput(
        cvx_code="8", administered_on=date(2026, 11, 2), administered_by="County health dept"))
    assert (hep.cvx_code, hep.vaccine, hep.administered_by, hep.route) == (
        "08", "Hepatitis B, adolescent or pediatric", "County health dept", None)
    tdap = record(clinic, patient, replace(FLU, cvx_code="115", lot_number=""))
    listed = perform(clinic.store, clinic.physician, immunizations, patient_id=patient)
    assert [(i.cvx_code, i.administered_on) for i in listed] == [
        ("08", date(2026, 11, 2)), ("141", date(2026, 10, 1)), ("115", date(2026, 10, 1))]
    assert listed[1] == flu and tdap.lot_number is None


def test_each_field_has_its_own_message(clinic: DemoChart, patient: uuid.UUID) -> None:
    with clinic.store.read_session() as session:
        born = session.get_one(Patient, patient).date_of_birth
    assert errors_of(clinic, patient, cvx_code="999", administered_on=None, route="IM",
                     site="buttock", lot_number="L" * 41, manufacturer="Merck\u200b",
                     notes="x" * 4001) == {
        "cvx_code": "Vaccine: choose one from the list (CVX code).",
        "administered_on": "Date given: required.",
        "route": "Route: intramuscular, subcutaneous, intradermal, oral or intranasal.",
        "site": "Site: choose one of the listed sites.",
        "lot_number": "Lot number: at most 40 characters.",
        "manufacturer": "Manufacturer: remove the control or invisible characters.",
        "notes": "Notes: at most 4000 characters.",
    }
    assert errors_of(clinic, patient, cvx_code="") == {
        "cvx_code": "Vaccine: choose one from the list (CVX code)."}
    assert errors_of(clinic, patient, administered_on=date(2026, 11, 26)) == {
        "administered_on": "Date given: cannot be in the future."}
    assert errors_of(clinic, patient, administered_on=date.fromordinal(born.toordinal() - 1)) == {
        "administered_on": "Date given: not before the patient's date of birth."}
    assert errors_of(clinic, patient, administered_by_id=clinic.nurse.user_id,
                     administered_by="Somebody") == {
        "administered_by": "Given by: choose a clinic user or type a name, not both."}
    assert errors_of(clinic, patient, administered_by_id=uuid.uuid4()) == {
        "administered_by": "Given by: not a user of this clinic."}
    at_birth = record(clinic, patient, replace(FLU, cvx_code="08", administered_on=born))
    assert at_birth.administered_on == born


def test_a_dose_entered_in_error_is_kept_as_a_tombstone(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    wrong = record(clinic, patient)
    with pytest.raises(StaleRecord):
        perform(clinic.store, clinic.nurse, remove_immunization, patient_id=patient,
                immunization_id=wrong.id, version=wrong.version + 1)
    perform(clinic.store, clinic.nurse, remove_immunization, patient_id=patient,
            immunization_id=wrong.id, version=wrong.version)
    assert perform(clinic.store, clinic.nurse, immunizations, patient_id=patient) == []
    with clinic.store.read_session() as session:
        assert session.get_one(Immunization, wrong.id).deleted_at is not None
    with pytest.raises(ChartRecordNotFound):
        perform(clinic.store, clinic.nurse, remove_immunization, patient_id=patient,
                immunization_id=wrong.id)


def test_who_may_read_and_record_immunizations(clinic: DemoChart, patient: uuid.UUID) -> None:
    with pytest.raises(PermissionDenied) as denied:
        perform(clinic.store, clinic.frontdesk, immunizations, patient_id=patient)
    assert denied.value.permission == "chart.read"
    with pytest.raises(PermissionDenied):
        record(clinic, patient, actor=clinic.frontdesk)
    with pytest.raises(RestrictedRecord):
        record(clinic, clinic.restricted, actor=clinic.nurse)
    with pytest.raises(RestrictedRecord):
        perform(clinic.store, clinic.nurse, immunizations, patient_id=clinic.restricted)
    record(clinic, clinic.restricted, actor=clinic.physician)
    mine = record(clinic, patient, actor=clinic.nurse)
    with pytest.raises(ChartRecordNotFound):
        perform(clinic.store, clinic.nurse, remove_immunization, patient_id=next(clinic.free),
                immunization_id=mine.id)


def test_reads_and_writes_are_audited_without_the_clinical_text(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    given = record(clinic, patient, replace(FLU, notes="Fainted after the dose"))
    perform(clinic.store, clinic.physician, immunizations, patient_id=patient)
    perform(clinic.store, clinic.physician, remove_immunization, patient_id=patient,
            immunization_id=given.id)
    rows = [(e.username, e.action, e.resource_type, e.resource_id, e.reason, e.changes)
            for e in chart_audit(clinic.store, patient)]
    assert rows == [
        ("nurse", "chart.write", "immunization", str(given.id), "added", {"fields": [
            "administered_on", "cvx_code", "lot_number", "manufacturer", "notes", "route",
            "site", "vaccine"]}),
        ("physician", "chart.read", "immunization", None, "list", None),
        ("physician", "chart.write", "immunization", str(given.id), "entered in error",
         {"fields": ["deleted_at"]}),
    ]
    written = repr(rows)
    assert not any(text in written for text in ("UT7012AA", "Fainted", "Influenza", "Sanofi"))
