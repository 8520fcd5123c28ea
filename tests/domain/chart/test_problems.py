"""The problem list: ICD-10-CM codes checked, free-text problems, dates, versions, access, audit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest
from chart_people import DemoChart, chart_audit
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.access import ChartRecordNotFound
from medtrack_desktop.domain.chart.models import Problem
from medtrack_desktop.domain.chart.problems import (
    ProblemInput,
    ProblemInvalid,
    problems,
    remove_problem,
    save_problem,
)
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.access import RestrictedRecord
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import StaleRecord

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def clinic(demo_chart: Callable[..., DemoChart]) -> DemoChart:
    return demo_chart()


def save(clinic: DemoChart, actor: Actor, patient: uuid.UUID, entered: ProblemInput, **kw: object):
    return perform(clinic.store, actor, save_problem, patient_id=patient, problem=entered,
                   today=TODAY, **kw)


def errors_of(clinic: DemoChart, patient: uuid.UUID, entered: ProblemInput) -> dict[str, str]:
    with pytest.raises(ProblemInvalid) as raised:
        save(clinic, clinic.physician, patient, entered)
    return raised.value.errors


def test_a_coded_problem_takes_the_code_set_description_and_billable_flag(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    diabetes = save(clinic, clinic.physician, patient, ProblemInput(code=" e119 "))
    assert (diabetes.code_system, diabetes.code, diabetes.title, diabetes.billable) == (
        "ICD-10-CM", "E11.9", "Type 2 diabetes mellitus without complications", True)
    category = save(clinic, clinic.physician, patient,
                    ProblemInput(code="E11", title="Diabetes, type to be refined"))
    assert (category.code, category.title, category.billable) == (
        "E11", "Diabetes, type to be refined", False)
    free = save(clinic, clinic.physician, patient, ProblemInput(title="  Family   stress "))
    assert (free.code, free.title, free.billable) == (None, "Family stress", None)


def test_a_code_the_code_set_lacks_is_refused(clinic: DemoChart, patient: uuid.UUID) -> None:
    for typed in ("E11.999", "E11.9X", "not a code", "E" * 40):
        errors = errors_of(clinic, patient, ProblemInput(code=typed, title="Diabetes"))
        assert set(errors) == {"code"}
        assert errors["code"].startswith("Code: not an ICD-10-CM code")
    with clinic.store.read_session() as session:
        assert session.scalars(select(Problem).where(Problem.patient_id == patient)).all() == []


def test_each_field_has_its_own_message(clinic: DemoChart, patient: uuid.UUID) -> None:
    with clinic.store.read_session() as session:
        born = session.get_one(Patient, patient).date_of_birth
    assert errors_of(clinic, patient, ProblemInput()) == {
        "title": "Title: required for a problem without a code."}
    errors = errors_of(clinic, patient, ProblemInput(
        title="Back pain\u202e", status="cured", onset_on=date(2026, 11, 26),
        notes="x" * 4001))
    assert errors == {
        "title": "Title: remove the control or invisible characters.",
        "status": "Status: active, chronic, inactive or resolved.",
        "onset_on": "Onset: cannot be in the future.",
        "notes": "Notes: at most 4000 characters.",
    }
    assert errors_of(clinic, patient, ProblemInput(title="x" * 301)) == {
        "title": "Title: at most 300 characters."}
    assert errors_of(clinic, patient, ProblemInput(
        title="Asthma", onset_on=date(2020, 1, 1), resolved_on=date(2021, 1, 1))) == {
        "resolved_on": "Resolved: only for a resolved or inactive problem; change the status "
                       "or clear the date."}
    assert errors_of(clinic, patient, ProblemInput(
        title="Asthma", status="resolved", onset_on=date(2021, 1, 2),
        resolved_on=date(2021, 1, 1))) == {
        "resolved_on": "Resolved: on or after the onset date."}
    assert errors_of(clinic, patient, ProblemInput(
        title="Asthma", status="inactive", resolved_on=date(2026, 11, 26))) == {
        "resolved_on": "Resolved: cannot be in the future."}
    assert errors_of(clinic, patient, ProblemInput(
        title="Asthma", onset_on=date.fromordinal(born.toordinal() - 1))) == {
        "onset_on": "Onset: not before the patient's date of birth."}
    ended = save(clinic, clinic.physician, patient, ProblemInput(
        title="Asthma", status="resolved", onset_on=born, resolved_on=TODAY))
    assert (ended.onset_on, ended.resolved_on, ended.current) == (born, TODAY, False)


def test_the_list_shows_current_problems_first(clinic: DemoChart, patient: uuid.UUID) -> None:
    for title, status in (("Asthma", "resolved"), ("Hypertension", "chronic"),
                          ("Back pain", "inactive"), ("Cough", "active")):
        save(clinic, clinic.nurse, patient, ProblemInput(title=title, status=status))
    listed = perform(clinic.store, clinic.physician, problems, patient_id=patient)
    assert [(p.title, p.status) for p in listed] == [
        ("Cough", "active"), ("Hypertension", "chronic"), ("Asthma", "resolved"),
        ("Back pain", "inactive")]
    current = perform(clinic.store, clinic.physician, problems, patient_id=patient,
                      include_inactive=False)
    assert [p.title for p in current] == ["Cough", "Hypertension"]


def test_a_change_on_a_stale_copy_is_refused(clinic: DemoChart, patient: uuid.UUID) -> None:
    first = save(clinic, clinic.physician, patient, ProblemInput(code="I10"))
    changed = save(clinic, clinic.nurse, patient, replace(
        ProblemInput(code="I10"), status="chronic", onset_on=date(2019, 5, 1)),
        problem_id=first.id, version=first.version)
    assert (changed.version, changed.status, changed.title) == (
        first.version + 1, "chronic", "Essential (primary) hypertension")
    with pytest.raises(StaleRecord):
        save(clinic, clinic.physician, patient, ProblemInput(code="I10", status="inactive"),
             problem_id=first.id, version=first.version)
    with pytest.raises(StaleRecord):
        perform(clinic.store, clinic.physician, remove_problem, patient_id=patient,
                problem_id=first.id, version=first.version)
    [kept] = perform(clinic.store, clinic.physician, problems, patient_id=patient)
    assert (kept.status, kept.version) == ("chronic", changed.version)


def test_a_problem_entered_in_error_is_kept_as_a_tombstone(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    wrong = save(clinic, clinic.physician, patient, ProblemInput(code="J45.909"))
    perform(clinic.store, clinic.physician, remove_problem, patient_id=patient,
            problem_id=wrong.id, version=wrong.version)
    assert perform(clinic.store, clinic.physician, problems, patient_id=patient) == []
    with clinic.store.read_session() as session:
        assert session.get_one(Problem, wrong.id).deleted_at is not None
    with pytest.raises(ChartRecordNotFound):
        perform(clinic.store, clinic.physician, remove_problem, patient_id=patient,
                problem_id=wrong.id)
    with pytest.raises(ChartRecordNotFound):
        save(clinic, clinic.physician, patient, ProblemInput(code="J45.909"),
             problem_id=wrong.id, version=wrong.version + 1)
    other = next(clinic.free)  # another patient's id does not reach this one's problem
    live = save(clinic, clinic.physician, patient, ProblemInput(title="Cough"))
    with pytest.raises(ChartRecordNotFound):
        perform(clinic.store, clinic.physician, remove_problem, patient_id=other,
                problem_id=live.id)


def test_who_may_read_and_write_the_problem_list(clinic: DemoChart, patient: uuid.UUID) -> None:
    for clerk in (clinic.frontdesk, clinic.biller):
        with pytest.raises(PermissionDenied) as denied:
            perform(clinic.store, clerk, problems, patient_id=patient)
        assert denied.value.permission == "chart.read"
        with pytest.raises(PermissionDenied):
            save(clinic, clerk, patient, ProblemInput(title="Cough"))
    for clinician in (clinic.nurse, clinic.assistant):
        save(clinic, clinician, patient, ProblemInput(title=f"Noted by {clinician.username}"))
    assert len(perform(clinic.store, clinic.physician, problems, patient_id=patient)) == 2
    with clinic.store.read_session() as session:
        denials = session.scalars(select(AuditEntry.reason).where(
            AuditEntry.patient_id == patient, AuditEntry.action == "permission.denied")).all()
    assert denials == ["chart.read"] * 4


def test_a_restricted_record_is_refused_outside_its_care_team(clinic: DemoChart) -> None:
    with pytest.raises(RestrictedRecord):
        perform(clinic.store, clinic.nurse, problems, patient_id=clinic.restricted)
    with pytest.raises(RestrictedRecord):
        save(clinic, clinic.nurse, clinic.restricted, ProblemInput(title="Cough"))
    listed = perform(clinic.store, clinic.physician, problems, patient_id=clinic.restricted)
    saved = save(clinic, clinic.physician, clinic.restricted, ProblemInput(title="Cough"))
    assert {p.id for p in perform(clinic.store, clinic.physician, problems,
                                  patient_id=clinic.restricted)} == {p.id for p in listed} | {
        saved.id}


def test_reads_and_writes_are_audited_without_the_clinical_text(
    clinic: DemoChart, patient: uuid.UUID
) -> None:
    with clinic.store.read_session() as session:
        born = session.get_one(Patient, patient).date_of_birth
    secret = ProblemInput(title="Opioid use disorder in remission", notes="Sees Dr Who weekly",
                          onset_on=born)
    saved = save(clinic, clinic.physician, patient, secret)
    save(clinic, clinic.physician, patient, replace(secret, status="chronic"),
         problem_id=saved.id, version=saved.version)
    save(clinic, clinic.physician, patient, replace(secret, status="chronic"),
         problem_id=saved.id, version=saved.version + 1)  # nothing changed: no entry
    perform(clinic.store, clinic.physician, problems, patient_id=patient)
    perform(clinic.store, clinic.physician, remove_problem, patient_id=patient,
            problem_id=saved.id)
    entries = chart_audit(clinic.store, patient)
    assert [(e.action, e.resource_type, e.resource_id, e.reason, e.changes) for e in entries] == [
        ("chart.write", "problem", str(saved.id), "added",
         {"fields": ["notes", "onset_on", "status", "title"]}),
        ("chart.write", "problem", str(saved.id), "changed", {"fields": ["status"]}),
        ("chart.read", "problem", None, "list", None),
        ("chart.write", "problem", str(saved.id), "entered in error",
         {"fields": ["deleted_at"]}),
    ]
    assert {e.username for e in entries} == {"physician"}
    written = repr([(e.reason, e.changes) for e in entries])
    assert "Opioid" not in written and "Dr Who" not in written
    assert born.isoformat() not in written
