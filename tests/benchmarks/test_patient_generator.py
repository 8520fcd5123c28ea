"""The benchmark generator writes the database the app expects: the migrated schema, every
search term as ``search_index.term_rows`` makes it, the people of ``synthetic_people`` with
their SSNs sealed (and found by the last 4), unique MRNs with their check digit."""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import func, select

from medtrack_desktop.demo.people import SyntheticPerson, synthetic_people
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.patients.models import Patient, PatientSearchTerm
from medtrack_desktop.domain.patients.mrn import is_valid_mrn, mrn_with_check_digit, next_mrn
from medtrack_desktop.domain.patients.registry import reveal_ssn
from medtrack_desktop.domain.patients.search import search_patients
from medtrack_desktop.domain.patients.search_index import ensure_current, term_rows
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.migrate import upgrade

PATIENTS = 2_000
BATCH = 300  # several batches, the last one short
TODAY = date(2026, 1, 15)
SEED = 11
MRN_PREFIX = "BT"
REPO = Path(__file__).resolve().parents[2]
# The columns search_index reads to make a patient's terms.
INDEXED = (Patient.id, Patient.clinic_id, Patient.first_name, Patient.middle_name,
           Patient.last_name, Patient.preferred_name, Patient.mrn, Patient.phone_home,
           Patient.phone_mobile, Patient.phone_work, Patient.deleted_at)


@dataclass(frozen=True)
class Built:
    store: Store
    actor: Actor
    schema_before: set[tuple[str, str, str, str | None]]  # migrated, initialised, no patients
    patients: int
    search_terms: int


@pytest.fixture(scope="module")
def generator() -> Iterator[ModuleType]:
    """``benchmarks.patient_generator`` (the repository root is no package path of the
    suite's), with small batches; its row-making process inherits the path."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO))
        module = importlib.import_module("benchmarks.patient_generator")
        patch.setattr(module, "BATCH", BATCH)
        yield module


def _schema(store: Store) -> set[tuple[str, str, str, str | None]]:
    """Every table, index and trigger with its SQL (two migrations of their own may order a
    table's constraints differently, so the reference is the same file before the load)."""
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_stat%'")
        return {tuple(row) for row in rows}


@pytest.fixture(scope="module")
def built(generator: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    path = tmp_path_factory.mktemp("generated") / "patients.db"
    store = Store.open(path, secrets.token_bytes(32), create=True)
    upgrade(store.engine)
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="Generated", workstation_name="Desk")
        session.get_one(Clinic, seat.clinic_id).mrn_prefix = MRN_PREFIX
    schema_before = _schema(store)
    generated = generator.generate_patients(store, count=PATIENTS, today=TODAY, seed=SEED)
    yield Built(store=store, actor=Actor.system(seat, name="test"), schema_before=schema_before,
                patients=generated.patients, search_terms=generated.search_terms)
    store.close()


def test_schema_is_the_migrated_one(built: Built) -> None:
    assert _schema(built.store) == built.schema_before
    assert sum(kind == "trigger" for kind, *_rest in built.schema_before) > 0
    with built.store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        analysed = connection.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1").scalars()
        assert {"patients", "patient_search_terms"} <= set(analysed)
        # nothing generated waits to be pushed, and changes made from now on are captured
        assert connection.exec_driver_sql(
            "SELECT count(*) FROM sync_outbox WHERE table_name = 'patients'").scalar() == 0
        assert connection.exec_driver_sql("SELECT applying FROM sync_state").scalar() == 0


def test_every_search_term_is_term_rows(built: Built) -> None:
    with built.store.session() as session:
        patients = session.execute(select(*INDEXED)).mappings().all()
        expected = sorted((row["clinic_id"], row["term"], row["patient_id"], row["field"])
                          for patient in patients for row in term_rows(patient))
        stored = sorted(session.execute(select(
            PatientSearchTerm.clinic_id, PatientSearchTerm.term, PatientSearchTerm.patient_id,
            PatientSearchTerm.field)).all())
        assert not ensure_current(session)  # marked as made by the current rules
    assert len(patients) == built.patients == PATIENTS
    assert len(stored) == built.search_terms
    assert stored == expected


def test_patients_are_the_synthetic_people_with_sealed_ssns(built: Built) -> None:
    people = list(synthetic_people(PATIENTS, today=TODAY, seed=SEED))
    compared = [item.name for item in fields(SyntheticPerson) if item.name != "ssn"]
    with built.store.session() as session:
        by_mrn = {patient.mrn: patient for patient in session.scalars(select(Patient))}
        for number, person in enumerate(people, start=1):
            patient = by_mrn[mrn_with_check_digit(number, prefix=MRN_PREFIX)]
            assert {name: getattr(patient, name) for name in compared} == {
                name: getattr(person, name) for name in compared}
            assert (patient.clinic_id, patient.country, patient.active, patient.deceased,
                    patient.restricted, patient.version, patient.deleted_at) == (
                built.actor.seat.clinic_id, "US", True, False, False, 1, None)
            revealed = reveal_ssn(session, built.actor, patient_id=patient.id)
            assert (revealed or "").replace("-", "") == (person.ssn or "")
            assert (patient.ssn_digest is None) == (person.ssn is None)
    assert 0.6 < sum(person.ssn is not None for person in people) / PATIENTS < 0.8


def test_ssn_found_by_last_4(built: Built) -> None:
    people = list(synthetic_people(PATIENTS, today=TODAY, seed=SEED))
    with_ssn = [(number, person.ssn) for number, person in enumerate(people, start=1)
                if person.ssn is not None]
    for number, ssn in with_ssn[:: len(with_ssn) // 20]:
        with built.store.session() as session:
            found = search_patients(session, built.actor, query=ssn[-4:], today=TODAY)
        mrn = mrn_with_check_digit(number, prefix=MRN_PREFIX)
        assert [match.matched_on for match in found if match.mrn == mrn] == ["ssn"]


def test_mrns_unique_with_check_digit_and_next_carries_on(built: Built) -> None:
    with built.store.session() as session:
        mrns = list(session.scalars(select(Patient.mrn)))
        assert session.scalar(select(func.count(func.distinct(Patient.mrn)))) == PATIENTS
        clinic = session.get_one(Clinic, built.actor.seat.clinic_id)
        assert next_mrn(session, clinic) == mrn_with_check_digit(PATIENTS + 1,
                                                                 prefix=MRN_PREFIX)
    assert all(is_valid_mrn(mrn, prefix=MRN_PREFIX) for mrn in mrns)
    assert sorted(mrns) == sorted(mrn_with_check_digit(number, prefix=MRN_PREFIX)
                                  for number in range(1, PATIENTS + 1))
