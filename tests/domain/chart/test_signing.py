"""E-signatures: re-authentication, the content hash, the lock on both databases (service
and raw SQL), amendments and their chain, and verification catching a tampered row."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from chart_data import NOW, PASSWORD, ChartClinic, make_clinic
from demo_users import register_patient_today
from sqlalchemy import TextClause, Uuid, bindparam, inspect, select, text
from sqlalchemy.exc import DBAPIError

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.chart.access import SignedRecordLocked
from medtrack_desktop.domain.chart.encounters import (
    EncounterDetail,
    EncounterInput,
    EncounterInvalid,
    NoteDraft,
    add_clinical_note,
    encounter,
    encounters,
    save_note,
    start_encounter,
)
from medtrack_desktop.domain.chart.models import VitalSigns
from medtrack_desktop.domain.chart.signing import (
    SIGN_REFUSED,
    note_versions,
    save_amendment,
    sign_amendment,
    sign_encounter,
    start_amendment,
    verify_signatures,
)
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.merge import merge_patients
from medtrack_desktop.store.base import new_id
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.triggers import REFILING_COLUMNS

NOTE = NoteDraft(subjective="Headache for 3 days.", assessment="Tension headache",
                 plan="Ibuprofen 400 mg as needed.")


def written_visit(store: Store, clinic: ChartClinic) -> EncounterDetail:
    """An in-progress visit by the physician with a note, a nursing note and vitals."""
    with store.session() as session:
        visit = start_encounter(session, clinic.physician, patient_id=clinic.patient_id,
                                entered=EncounterInput(encounter_type="office", starts_at=NOW,
                                                       reason="Headache"), now=NOW)
        save_note(session, clinic.physician, encounter_id=visit.id, draft=NOTE,
                  version=visit.version)
        add_clinical_note(session, clinic.nurse, encounter_id=visit.id, note_type="nursing",
                          title="Intake", body="Alert, oriented.")
        session.add(VitalSigns(id=new_id(), clinic_id=clinic.physician.seat.clinic_id,
                               patient_id=clinic.patient_id, encounter_id=visit.id,
                               taken_at=NOW, pulse=72, weight_kg=Decimal("80.500")))
    with store.session() as session:
        return encounter(session, clinic.physician, encounter_id=visit.id)


def signed_visit(store: Store, clinic: ChartClinic) -> EncounterDetail:
    visit = written_visit(store, clinic)
    with store.session() as session:
        outcome = sign_encounter(session, clinic.physician, encounter_id=visit.id,
                                 version=visit.version, password=PASSWORD, now=NOW)
    assert outcome.signature is not None, outcome.refused
    with store.session() as session:
        return encounter(session, clinic.physician, encounter_id=visit.id)


def test_signing_needs_the_password_again_and_a_wrong_one_is_audited(
    chart_store: Store, clinic: ChartClinic
) -> None:
    visit = written_visit(chart_store, clinic)
    with chart_store.session() as session:
        refused = sign_encounter(session, clinic.physician, encounter_id=visit.id,
                                 version=visit.version, password="not it", now=NOW)
    assert (refused.signature, refused.refused) == (None, SIGN_REFUSED)
    with chart_store.read_session() as session:
        attempt = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "chart.sign.confirm")).one()
    assert (attempt.outcome, attempt.reason) == ("failure", "wrong password")
    with chart_store.session() as session:
        assert encounter(session, clinic.physician, encounter_id=visit.id).status == "in_progress"
    with pytest.raises(PermissionDenied), chart_store.session() as session:
        sign_encounter(session, clinic.nurse, encounter_id=visit.id, version=visit.version,
                       password=PASSWORD, now=NOW)


def test_authorship_is_the_providers_and_an_empty_note_is_not_signed(
    chart_store: Store, clinic: ChartClinic
) -> None:
    visit = written_visit(chart_store, clinic)
    with pytest.raises(EncounterInvalid) as refused, chart_store.session() as session:
        sign_encounter(session, clinic.colleague, encounter_id=visit.id, version=visit.version,
                       password=PASSWORD, now=NOW)
    assert "meaning" in refused.value.errors
    with chart_store.session() as session:
        empty = start_encounter(session, clinic.physician, patient_id=clinic.patient_id,
                                entered=EncounterInput(encounter_type="office", starts_at=NOW,
                                                       reason="Nothing yet"), now=NOW)
    with pytest.raises(EncounterInvalid), chart_store.session() as session:
        sign_encounter(session, clinic.physician, encounter_id=empty.id,
                       version=empty.version, password=PASSWORD, now=NOW)


def test_a_signed_encounter_shows_its_signature_and_refuses_every_change(
    chart_store: Store, clinic: ChartClinic
) -> None:
    visit = signed_visit(chart_store, clinic)
    assert visit.status == "signed" and not visit.editable
    (signature,) = visit.signatures
    assert (signature.printed_name, signature.meaning) == ("Ana Lee", "authorship")
    assert len(signature.content_sha256) == 64
    with pytest.raises(SignedRecordLocked), chart_store.session() as session:
        save_note(session, clinic.physician, encounter_id=visit.id,
                  draft=NoteDraft(subjective="changed"), version=visit.version)
    with pytest.raises(SignedRecordLocked), chart_store.session() as session:
        add_clinical_note(session, clinic.nurse, encounter_id=visit.id, note_type="nursing",
                          title="Late entry", body="")
    with chart_store.session() as session:
        assert [e.status for e in encounters(session, clinic.physician,
                                             patient_id=clinic.patient_id)] == ["signed"]


RAW_CHANGES = [
    "UPDATE encounters SET subjective = 'forged' WHERE id = :encounter",
    "DELETE FROM encounters WHERE id = :encounter",
    "UPDATE clinical_notes SET body = 'forged' WHERE encounter_id = :encounter",
    "DELETE FROM clinical_notes WHERE encounter_id = :encounter",
    "UPDATE vital_signs SET pulse = 190 WHERE encounter_id = :encounter",
    "UPDATE vital_signs SET encounter_id = NULL WHERE encounter_id = :encounter",
    "INSERT INTO clinical_notes (id, clinic_id, patient_id, encounter_id, note_type, title, "
    "body, created_at, updated_at, version) SELECT :new, clinic_id, patient_id, id, "
    "'nursing', 'x', 'y', created_at, updated_at, 1 FROM encounters WHERE id = :encounter",
    "UPDATE signatures SET content_sha256 = 'x' WHERE record_id = :encounter",
    "DELETE FROM signatures WHERE record_id = :encounter",
]


def raw(statement: str) -> TextClause:
    """``statement`` with its ids bound as the engine stores UUIDs."""
    names = [name for name in ("encounter", "new") if f":{name}" in statement]
    return text(statement).bindparams(*(bindparam(name, type_=Uuid()) for name in names))


def _raw_changes_fail(store: Store, visit: EncounterDetail) -> None:
    for statement in RAW_CHANGES:
        with pytest.raises(DBAPIError, match=r"signed|append-only") as refused, \
                store.engine.begin() as connection:
            connection.execute(raw(statement), {"encounter": visit.id, "new": new_id()})
        assert "binding" not in str(refused.value), statement


def test_raw_sql_cannot_change_a_signed_encounter_on_sqlcipher(
    chart_store: Store, clinic: ChartClinic
) -> None:
    visit = signed_visit(chart_store, clinic)
    _raw_changes_fail(chart_store, visit)
    with chart_store.session() as session:
        assert all(check.valid for check in verify_signatures(session, clinic.physician,
                                                              encounter_id=visit.id))


@pytest.mark.postgres
def test_raw_sql_cannot_change_a_signed_encounter_on_postgresql(pg_store: Store) -> None:
    clinic = make_clinic(pg_store)
    visit = signed_visit(pg_store, clinic)
    _raw_changes_fail(pg_store, visit)
    with pytest.raises(DBAPIError), pg_store.engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE encounters CASCADE")


def test_an_amendment_is_a_signed_new_version_and_the_chain_verifies(
    chart_store: Store, clinic: ChartClinic
) -> None:
    visit = signed_visit(chart_store, clinic)
    with pytest.raises(EncounterInvalid), chart_store.session() as session:
        start_amendment(session, clinic.physician, encounter_id=visit.id, reason=" ")
    for number, plan in enumerate(("Ibuprofen 200 mg as needed.", "Paracetamol instead."), 1):
        with chart_store.session() as session:
            draft = start_amendment(session, clinic.physician, encounter_id=visit.id,
                                    reason=f"Dose corrected ({number})")
            assert draft.note.subjective == NOTE.subjective, "starts from the latest version"
            version = save_amendment(session, clinic.physician, amendment_id=draft.amendment_id,
                                     draft=NoteDraft(subjective=NOTE.subjective,
                                                     assessment=NOTE.assessment, plan=plan),
                                     version=draft.version)
        with chart_store.session() as session:
            outcome = sign_amendment(session, clinic.physician, amendment_id=draft.amendment_id,
                                     version=version, password=PASSWORD,
                                     now=NOW + timedelta(hours=number))
        assert outcome.signature is not None
    with chart_store.session() as session:
        versions = note_versions(session, clinic.physician, encounter_id=visit.id)
        checks = verify_signatures(session, clinic.physician, encounter_id=visit.id)
        timeline = encounters(session, clinic.physician, patient_id=clinic.patient_id)
    assert [(v.sequence, v.status, v.note.plan) for v in versions] == [
        (0, "signed", NOTE.plan), (1, "signed", "Ibuprofen 200 mg as needed."),
        (2, "signed", "Paracetamol instead.")]
    assert [c.valid for c in checks] == [True, True, True]
    assert timeline[0].status_label == "Signed, amended"
    with pytest.raises(DBAPIError), chart_store.engine.begin() as connection:
        connection.execute(raw("UPDATE encounter_amendments SET plan = 'x' "
                               "WHERE encounter_id = :encounter"), {"encounter": visit.id})


def test_verification_finds_a_row_changed_behind_the_triggers_back(
    chart_store: Store, clinic: ChartClinic
) -> None:
    """Someone with the key drops the lock and edits the note: the signature no longer
    matches, and the check is audited as a mismatch."""
    visit = signed_visit(chart_store, clinic)
    with chart_store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER encounters_signed_no_update")
        changed = connection.execute(raw("UPDATE encounters SET plan = 'Opioids' "
                                         "WHERE id = :encounter"), {"encounter": visit.id})
        assert changed.rowcount == 1
    with chart_store.session() as session:
        (check,) = verify_signatures(session, clinic.physician, encounter_id=visit.id)
    assert not check.valid and check.computed_sha256 != check.signature.content_sha256
    with chart_store.read_session() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "chart.verify")).one()
    assert entry.reason == "mismatch"


# every table whose lock lets a merge re-file a row (the chart's, and the schedule's history)
LOCKED_TABLES = {"encounters", "encounter_amendments", "clinical_notes", "vital_signs",
                 "documents", "signatures", "medication_history", "appointment_status_changes"}


def test_every_column_of_a_locked_table_but_the_filing_is_guarded(chart_store: Store) -> None:
    """SQLite's lock lists the columns an update may not touch: a column added later without
    making the triggers again would be left open. Every locked table's update triggers list
    every column but ``REFILING_COLUMNS``."""
    with chart_store.engine.connect() as connection:
        triggers = connection.exec_driver_sql(
            "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND sql LIKE '%BEFORE UPDATE OF%'").all()
        columns = {table: {c["name"] for c in inspect(connection).get_columns(table)}
                   for table in LOCKED_TABLES}
    assert {table for table, _sql in triggers} == LOCKED_TABLES
    for table, sql in triggers:
        listed = sql.split("BEFORE UPDATE OF ", 1)[1].split(" ON ", 1)[0]
        assert {name.strip() for name in listed.split(",")} == (
            columns[table] - set(REFILING_COLUMNS)), table


def _refile_by_hand(store: Store, visit: EncounterDetail, other: uuid.UUID) -> None:
    with store.engine.begin() as connection:
        for table, key in (("encounters", "id"), ("clinical_notes", "encounter_id"),
                           ("vital_signs", "encounter_id"), ("signatures", "record_id")):
            connection.execute(raw(f"UPDATE {table} SET patient_id = :new, "
                                   f"version = version + 1 WHERE {key} = :encounter"),
                               {"encounter": visit.id, "new": other})


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def test_a_signed_note_refiled_by_hand_no_longer_verifies(
    engine: str, request: pytest.FixtureRequest
) -> None:
    """Re-filing passes the lock (a merge needs it), but the signature covers the patient: a
    signed note moved to anyone but the record it was merged into fails verification."""
    store = request.getfixturevalue("chart_store" if engine == "sqlite" else "pg_store")
    clinic = request.getfixturevalue("clinic") if engine == "sqlite" else make_clinic(store)
    visit = signed_visit(store, clinic)
    other = register_patient_today(store, last_name="Elsewhere")
    _refile_by_hand(store, visit, other)
    with store.session() as session:
        (check,) = verify_signatures(session, clinic.physician, encounter_id=visit.id)
    assert not check.valid


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def test_a_merge_refiles_signed_notes_whose_signatures_still_verify(
    engine: str, request: pytest.FixtureRequest
) -> None:
    store = request.getfixturevalue("chart_store" if engine == "sqlite" else "pg_store")
    clinic = request.getfixturevalue("clinic") if engine == "sqlite" else make_clinic(store)
    visit = signed_visit(store, clinic)
    with store.session() as session:
        draft = start_amendment(session, clinic.physician, encounter_id=visit.id,
                                reason="Plan corrected")
        version = save_amendment(session, clinic.physician, amendment_id=draft.amendment_id,
                                 draft=NoteDraft(subjective=NOTE.subjective, plan="Rest."),
                                 version=draft.version)
    with store.session() as session:
        sign_amendment(session, clinic.physician, amendment_id=draft.amendment_id,
                       version=version, password=PASSWORD, now=NOW + timedelta(hours=1))
    survivor = register_patient_today(store, last_name="Survivor")
    with store.session() as session:
        result = merge_patients(session, clinic.frontdesk, survivor_id=survivor,
                                merged_id=clinic.patient_id, reason="Registered twice at intake")
    assert {name: result.moved[name] for name in ("encounters", "encounter_amendments",
                                                   "signatures", "clinical_notes",
                                                   "vital_signs")} == {
        "encounters": 1, "encounter_amendments": 1, "signatures": 2, "clinical_notes": 1,
        "vital_signs": 1}
    with store.session() as session:
        moved = encounter(session, clinic.physician, encounter_id=visit.id)
        checks = verify_signatures(session, clinic.physician, encounter_id=visit.id)
        timeline = encounters(session, clinic.physician, patient_id=survivor)
    assert moved.patient_id == survivor and moved.note.subjective == NOTE.subjective
    assert [c.valid for c in checks] == [True, True]
    assert [e.id for e in timeline] == [visit.id]
