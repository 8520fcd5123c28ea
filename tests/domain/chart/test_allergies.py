"""Allergies and "no known allergies": never asked, none known and some listed stay distinct."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from chart_people import DemoChart, chart_audit
from sqlalchemy import event, select

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.access import ChartRecordNotFound
from medtrack_desktop.domain.chart.allergies import (
    ActiveAllergiesListed,
    AllergyEntry,
    AllergyInput,
    AllergyInvalid,
    AllergyStatus,
    allergies,
    allergy_status,
    record_no_known_allergies,
    remove_allergy,
    save_allergy,
)
from medtrack_desktop.domain.chart.models import Allergy, AllergyReview
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.access import RestrictedRecord
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import StaleRecord

TODAY = date(2026, 11, 25)
PENICILLIN = AllergyInput(allergen="Penicillin", reaction="Hives", severity="moderate")


@pytest.fixture(scope="module")
def clinic(demo_chart: Callable[..., DemoChart]) -> DemoChart:
    return demo_chart()


def save(clinic: DemoChart, patient: uuid.UUID, entered: AllergyInput, *,
         actor: Actor | None = None, **kw: Any) -> AllergyEntry:
    return perform(clinic.store, actor or clinic.physician, save_allergy, patient_id=patient,
                   allergy=entered, today=TODAY, **kw)


def status(clinic: DemoChart, patient: uuid.UUID, actor: Actor | None = None) -> AllergyStatus:
    return perform(clinic.store, actor or clinic.physician, allergy_status, patient_id=patient)


def errors_of(clinic: DemoChart, patient: uuid.UUID, entered: AllergyInput) -> dict[str, str]:
    with pytest.raises(AllergyInvalid) as raised:
        save(clinic, patient, entered)
    return raised.value.errors


def test_never_asked_no_known_allergies_and_allergies_are_three_states(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    never = status(clinic, patient)
    assert (never.state, never.allergies, never.reviewed_at) == ("not_recorded", (), None)

    nka = perform(clinic.store, clinic.nurse, record_no_known_allergies, patient_id=patient)
    assert nka.state == "no_known_allergies" and nka.reviewed_at is not None
    assert status(clinic, patient) == nka

    peanut = save(clinic, patient, AllergyInput(allergen="Peanut", allergen_type="food",
                                                severity="severe"))
    listed = status(clinic, patient)
    assert listed.state == "allergies" and listed.allergies == (peanut,)
    assert listed.reviewed_at is not None and listed.reviewed_at > nka.reviewed_at
    with clinic.store.read_session() as session:
        review = session.scalars(select(AllergyReview).where(
            AllergyReview.patient_id == patient)).one()  # updated, never a second row
        assert review.no_known_allergies is False

    # The only allergy was a mistake: nobody has said the patient has none, so ask again.
    perform(clinic.store, clinic.physician, remove_allergy, patient_id=patient,
            allergy_id=peanut.id)
    assert status(clinic, patient).state == "not_recorded"


def test_no_known_allergies_is_refused_while_an_active_allergy_is_listed(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    first = save(clinic, patient, PENICILLIN)
    save(clinic, patient, AllergyInput(allergen="Latex", allergen_type="environmental"))
    with pytest.raises(ActiveAllergiesListed) as refused:
        perform(clinic.store, clinic.physician, record_no_known_allergies, patient_id=patient)
    assert str(refused.value) == (
        "No known allergies: the list has 2 active allergies. Mark each one resolved, "
        "inactive or entered in error first.")
    assert status(clinic, patient).state == "allergies"

    save(clinic, patient, replace(PENICILLIN, status="resolved"), allergy_id=first.id,
         version=first.version)
    with pytest.raises(ActiveAllergiesListed, match="the list has an active allergy"):
        perform(clinic.store, clinic.physician, record_no_known_allergies, patient_id=patient)
    [latex] = perform(clinic.store, clinic.physician, allergies, patient_id=patient,
                      include_inactive=False)
    save(clinic, patient, AllergyInput(allergen="Latex", allergen_type="environmental",
                                       status="inactive"), allergy_id=latex.id,
         version=latex.version)
    perform(clinic.store, clinic.physician, record_no_known_allergies, patient_id=patient)
    now = status(clinic, patient)
    assert (now.state, now.allergies) == ("no_known_allergies", ())
    assert [(a.allergen, a.status) for a in perform(
        clinic.store, clinic.physician, allergies, patient_id=patient)] == [
        ("Penicillin", "resolved"), ("Latex", "inactive")]  # known severity first


def test_an_active_allergy_ends_no_known_allergies_a_past_one_does_not(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    perform(clinic.store, clinic.physician, record_no_known_allergies, patient_id=patient)
    save(clinic, patient, replace(PENICILLIN, status="resolved"))
    assert status(clinic, patient).state == "no_known_allergies"
    save(clinic, patient, AllergyInput(allergen="Sulfa drugs"))
    assert status(clinic, patient).state == "allergies"


def test_each_field_has_its_own_message(clinic: DemoChart, patient: uuid.UUID) -> None:
    with clinic.store.read_session() as session:
        born = session.get_one(Patient, patient).date_of_birth
    assert errors_of(clinic, patient, AllergyInput(allergen="   ")) == {
        "allergen": "Allergen: required (the drug, food or substance)."}
    assert errors_of(clinic, patient, AllergyInput(
        allergen="Iodine", allergen_type="drugs", reaction="Rash\x07", severity="fatal",
        status="gone", onset_on=date(2026, 11, 26), notes="n" * 4001)) == {
        "allergen_type": "Type: drug, food, environmental or other.",
        "reaction": "Reaction: remove the control or invisible characters.",
        "severity": "Severity: mild, moderate or severe, or leave it empty.",
        "status": "Status: active, inactive or resolved.",
        "onset_on": "Onset: cannot be in the future.",
        "notes": "Notes: at most 4000 characters.",
    }
    assert errors_of(clinic, patient, AllergyInput(
        allergen="I" * 201, onset_on=date.fromordinal(born.toordinal() - 1))) == {
        "allergen": "Allergen: at most 200 characters.",
        "onset_on": "Onset: not before the patient's date of birth."}
    saved = save(clinic, patient, AllergyInput(allergen=" Iodine  contrast ", severity="",
                                               onset_on=born, notes=" line 1\nline 2 "))
    assert (saved.allergen, saved.severity, saved.reaction, saved.notes) == (
        "Iodine contrast", None, None, "line 1\nline 2")


def test_the_same_allergen_is_listed_active_once(clinic: DemoChart, patient: uuid.UUID) -> None:
    first = save(clinic, patient, PENICILLIN)
    assert errors_of(clinic, patient, AllergyInput(allergen="penicillin")) == {
        "allergen": "Allergen: already on the list as active; change that entry instead."}
    save(clinic, patient, replace(PENICILLIN, reaction="Anaphylaxis", severity="severe"),
         allergy_id=first.id, version=first.version)  # the entry itself may change
    save(clinic, patient, AllergyInput(allergen="PENICILLIN", status="resolved"))


def test_the_list_shows_active_and_severe_first(clinic: DemoChart, patient: uuid.UUID) -> None:
    for allergen, severity, state in (("Aspirin", "mild", "active"),
                                      ("Codeine", "", "active"),
                                      ("Bee venom", "severe", "resolved"),
                                      ("Shellfish", "severe", "active"),
                                      ("Amoxicillin", "moderate", "active")):
        save(clinic, patient, AllergyInput(allergen=allergen, severity=severity, status=state))
    listed = perform(clinic.store, clinic.physician, allergies, patient_id=patient)
    assert [a.allergen for a in listed] == [
        "Shellfish", "Amoxicillin", "Aspirin", "Codeine", "Bee venom"]
    assert [a.allergen for a in status(clinic, patient).allergies] == [
        "Shellfish", "Amoxicillin", "Aspirin", "Codeine"]


def test_a_change_on_a_stale_copy_is_refused(clinic: DemoChart, patient: uuid.UUID) -> None:
    first = save(clinic, patient, PENICILLIN)
    save(clinic, patient, replace(PENICILLIN, severity="severe"), actor=clinic.nurse,
         allergy_id=first.id, version=first.version)
    with pytest.raises(StaleRecord):
        save(clinic, patient, replace(PENICILLIN, severity="mild"), allergy_id=first.id,
             version=first.version)
    with pytest.raises(StaleRecord):
        perform(clinic.store, clinic.physician, remove_allergy, patient_id=patient,
                allergy_id=first.id, version=first.version)
    [kept] = status(clinic, patient).allergies
    assert (kept.severity, kept.version) == ("severe", first.version + 1)
    perform(clinic.store, clinic.physician, remove_allergy, patient_id=patient,
            allergy_id=first.id, version=kept.version)
    with pytest.raises(ChartRecordNotFound):
        save(clinic, patient, PENICILLIN, allergy_id=first.id, version=kept.version + 1)
    with clinic.store.read_session() as session:
        assert session.get_one(Allergy, first.id).deleted_at is not None


def test_who_may_read_and_write_allergies(clinic: DemoChart, patient: uuid.UUID) -> None:
    for service in (allergies, allergy_status, record_no_known_allergies):
        with pytest.raises(PermissionDenied) as denied:
            perform(clinic.store, clinic.frontdesk, service, patient_id=patient)
        assert denied.value.permission == "chart.read"
    with pytest.raises(PermissionDenied):
        save(clinic, patient, PENICILLIN, actor=clinic.frontdesk)
    save(clinic, patient, PENICILLIN, actor=clinic.nurse)
    save(clinic, patient, AllergyInput(allergen="Latex"), actor=clinic.assistant)
    assert len(status(clinic, patient, clinic.nurse).allergies) == 2


def test_a_restricted_record_is_refused_outside_its_care_team(clinic: DemoChart) -> None:
    before = status(clinic, clinic.restricted)  # the physician is on its care team
    for service in (allergy_status, record_no_known_allergies):
        with pytest.raises(RestrictedRecord):
            perform(clinic.store, clinic.nurse, service, patient_id=clinic.restricted)
    with pytest.raises(RestrictedRecord):
        save(clinic, clinic.restricted, PENICILLIN, actor=clinic.nurse)
    assert status(clinic, clinic.restricted) == before


def test_allergy_status_reads_the_same_few_rows_however_long_the_list(
    clinic: DemoChart
) -> None:
    short, long = next(clinic.free), next(clinic.free)
    save(clinic, short, PENICILLIN)
    for n in range(8):
        save(clinic, long, AllergyInput(allergen=f"Allergen {n}", severity="mild"))
    counts = {}
    for patient in (short, long):
        statements: list[str] = []

        def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any,
                 into: list[str] = statements) -> None:
            into.append(statement)

        event.listen(clinic.store.engine, "before_cursor_execute", seen)
        try:
            found = status(clinic, patient)
        finally:
            event.remove(clinic.store.engine, "before_cursor_execute", seen)
        assert found.state == "allergies"
        chart = [s for s in statements if "allerg" in s.lower() and "audit" not in s.lower()]
        assert len(chart) == 2, chart
        counts[patient] = len(statements)
    assert counts[short] == counts[long]


def test_reads_and_writes_are_audited_without_the_clinical_text(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    perform(clinic.store, clinic.nurse, record_no_known_allergies, patient_id=patient)
    saved = save(clinic, patient, AllergyInput(allergen="Cannabis", reaction="Wheeze",
                                               notes="Told us privately"))
    status(clinic, patient)
    perform(clinic.store, clinic.physician, remove_allergy, patient_id=patient,
            allergy_id=saved.id)
    entries = chart_audit(clinic.store, patient)
    rows = [(e.username, e.action, e.resource_type, e.reason, e.changes) for e in entries]
    ids = [e.resource_id for e in entries]
    assert rows == [
        ("nurse", "chart.write", "allergy_review", "no known allergies",
         {"fields": ["no_known_allergies", "reviewed_at"]}),
        ("physician", "chart.write", "allergy", "added",
         {"fields": ["allergen", "allergen_type", "notes", "reaction", "status"]}),
        ("physician", "chart.write", "allergy_review", "allergies listed",
         {"fields": ["no_known_allergies", "reviewed_at"]}),
        ("physician", "chart.read", "allergy", "status", None),
        ("physician", "chart.write", "allergy", "entered in error", {"fields": ["deleted_at"]}),
    ]
    assert ids[1] == ids[4] == str(saved.id) and ids[0] == ids[2] and ids[3] is None
    written = repr(rows)
    assert not any(text in written for text in ("Cannabis", "Wheeze", "privately"))
