"""Likely duplicates at registration: tricky names, shared phones, SSNs — and no noise."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import pytest
from demo_users import sign_in
from sqlalchemy import event, select, update

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.duplicates import (
    DuplicateCandidate,
    find_duplicates,
    likely_same,
    person,
)
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import register_patient
from medtrack_desktop.store.engine import Store

TODAY = date(2026, 11, 25)
BORN = date(1961, 7, 14)


@pytest.fixture
def frontdesk(demo_store: Store) -> Actor:
    return sign_in(demo_store, "frontdesk")


def register(store: Store, actor: Actor, **given: object) -> uuid.UUID:
    entered = Demographics(**{"date_of_birth": BORN, **given})  # type: ignore[arg-type]
    return perform(store, actor, register_patient, demographics=entered, today=TODAY).id


def duplicates(store: Store, actor: Actor, **given: object) -> list[DuplicateCandidate]:
    entered = Demographics(**{"date_of_birth": BORN, **given})  # type: ignore[arg-type]
    return perform(store, actor, find_duplicates, demographics=entered, today=TODAY)


@pytest.mark.parametrize(("registered", "typed", "reason"), [
    (("García-Márquez", "José"), ("GARCIA MARQUEZ", "jose"), "same name and date of birth"),
    (("García-Márquez", "José"), ("Garcia", "Jose"), "same date of birth and similar name"),
    (("Lee-Whitfield", "Marcus"), ("Whitfield", "Marcus"), "same date of birth and similar name"),
    (("van der Berg", "Anna"), ("Vandenberg", "Anna"), "same date of birth and similar name"),
    (("O'Brien", "Siobhan"), ("Siobhan", "OBrien"),
     "same date of birth, first and last names swapped"),
    (("Smith", "Jonathan"), ("Smyth", "Johnathan"), "same date of birth and similar name"),
    (("Nguyễn", "Thi Mai"), ("Nguyen", "Mai"), "same date of birth and similar name"),
    (("Okafor", "Christopher"), ("Okafor", "Chris"), "same date of birth and similar name"),
    (("Okafor", "Christopher"), ("Okafor", "C"), "same date of birth and similar name"),
    (("Cher", ""), ("Cher", ""), "same name and date of birth"),
    (("Lopez", "Mary Ann"), ("Lopez", "Mary"), "same date of birth and similar name"),
])
def test_tricky_names_are_caught(
    demo_store: Store, frontdesk: Actor, registered: tuple[str, str], typed: tuple[str, str],
    reason: str,
) -> None:
    wanted = register(demo_store, frontdesk, last_name=registered[0], first_name=registered[1])
    found = duplicates(demo_store, frontdesk, last_name=typed[0], first_name=typed[1])
    assert [(c.id, c.reasons) for c in found] == [(wanted, (reason,))]


@pytest.mark.parametrize(("registered", "typed"), [
    (("Smith", "John", "male"), ("Brown", "Mary", "female")),
    (("Li", "Wei", "male"), ("Lu", "Wei", "male")),  # two letters: no typo allowed
    (("De La Cruz", "Maria", "female"), ("De Leon", "Maria", "female")),  # particles alone
    (("Smith", "John", "male"), ("Smith", "Jane", "female")),
    (("Smith", "Daniel", "male"), ("Smith", "Daniela", "female")),  # twins
    (("Brown", "Tom", "male"), ("Brown", "Tim", "male")),
])
def test_same_date_of_birth_and_a_different_name_is_no_duplicate(
    demo_store: Store, frontdesk: Actor, registered: tuple[str, str, str],
    typed: tuple[str, str, str],
) -> None:
    register(demo_store, frontdesk, last_name=registered[0], first_name=registered[1],
             sex=registered[2])
    assert duplicates(demo_store, frontdesk, last_name=typed[0], first_name=typed[1],
                      sex=typed[2]) == []


def test_middle_names(demo_store: Store, frontdesk: Actor) -> None:
    """Someone may go by their middle name; two alike middle names say nothing."""
    wanted = register(demo_store, frontdesk, last_name="Wilson", first_name="Walter",
                      middle_name="James", sex="male")
    found = duplicates(demo_store, frontdesk, last_name="Wilson", first_name="Jim",
                       sex="male")
    assert found == []
    found = duplicates(demo_store, frontdesk, last_name="Wilson", first_name="James",
                       sex="male")
    assert [(c.id, c.reasons) for c in found] == [
        (wanted, ("same date of birth and similar name",))]
    assert duplicates(demo_store, frontdesk, last_name="Wilson", first_name="Dmitri",
                      middle_name="James", sex="male") == []


def test_a_shared_phone_needs_a_second_sign(demo_store: Store, frontdesk: Actor) -> None:
    """A parent's phone on a child's registration is a household, not a duplicate; the same
    phone with the same first name and a mistyped date of birth is."""
    register(demo_store, frontdesk, last_name="Lopez", first_name="Ana",
             date_of_birth=date(1985, 1, 2), phone_mobile="(512) 555-0147")
    mateo = register(demo_store, frontdesk, last_name="Lopez", first_name="Mateo",
                     date_of_birth=date(2020, 5, 6), phone_home="512 555 0147")
    assert duplicates(demo_store, frontdesk, last_name="Lopez", first_name="Sofia",
                      date_of_birth=date(2022, 8, 9), phone_home="512-555-0147") == []
    found = duplicates(demo_store, frontdesk, last_name="Lopez", first_name="Mateo",
                       date_of_birth=date(2020, 5, 16), phone_work="+1 512.555.0147")
    assert [(c.id, c.reasons) for c in found] == [
        (mateo, ("same phone (512) 555-0147", "same name"))]


def test_same_ssn_and_date_mixups(demo_store: Store, frontdesk: Actor) -> None:
    wanted = register(demo_store, frontdesk, last_name="Adeyemi", first_name="Tolu",
                      date_of_birth=date(1980, 4, 7), ssn="536-22-4711")
    found = duplicates(demo_store, frontdesk, last_name="Someone", first_name="Else",
                       date_of_birth=date(1990, 1, 1), ssn="536224711")
    assert [(c.id, c.reasons, c.mrn) for c in found] == [(wanted, ("same SSN",), found[0].mrn)]
    swapped = duplicates(demo_store, frontdesk, last_name="Adeyemi", first_name="Tolu",
                         date_of_birth=date(1980, 7, 4), ssn="536-22-4711")
    assert swapped[0].reasons == ("same SSN", "similar name, day and month of birth swapped")
    assert swapped[0].display_name == "Adeyemi, Tolu"
    assert duplicates(demo_store, frontdesk, last_name="Adeyemi", first_name="Tolu",
                      date_of_birth=date(1980, 4, 8), ssn="not an ssn") == []


def test_strongest_first_and_the_record_itself_left_out(
    demo_store: Store, frontdesk: Actor
) -> None:
    by_name = register(demo_store, frontdesk, last_name="Kowalski", first_name="Piotr",
                       sex="male")
    by_ssn = register(demo_store, frontdesk, last_name="Kowalska", first_name="Anna",
                      ssn="078-05-1121", date_of_birth=date(1950, 2, 3))
    typed = {"last_name": "Kowalski", "first_name": "Piotr", "sex": "male",
             "ssn": "078-05-1121"}
    found = duplicates(demo_store, frontdesk, **typed)
    assert [c.id for c in found] == [by_ssn, by_name]
    assert found[1].sex == "male" and found[1].date_of_birth == BORN
    entered = Demographics(last_name="Kowalski", first_name="Piotr", date_of_birth=BORN)
    assert perform(demo_store, frontdesk, find_duplicates, demographics=entered, today=TODAY,
                   exclude_id=by_name) == []


def test_merged_records_and_impossible_dates_are_not_matched(
    demo_store: Store, frontdesk: Actor
) -> None:
    gone = register(demo_store, frontdesk, last_name="Tanaka", first_name="Yui")
    with demo_store.session() as session:
        session.execute(update(Patient).where(Patient.id == gone)
                        .values(deleted_at=Patient.created_at))
    assert duplicates(demo_store, frontdesk, last_name="Tanaka", first_name="Yui") == []
    assert duplicates(demo_store, frontdesk, last_name="Tanaka", first_name="Yui",
                      date_of_birth=date(2027, 1, 1)) == []


def test_audited_without_values_and_needs_patient_read(
    demo_store: Store, frontdesk: Actor
) -> None:
    register(demo_store, frontdesk, last_name="Haddad", first_name="Omar")
    assert len(duplicates(demo_store, frontdesk, last_name="Haddad", first_name="Omar",
                          ssn="123-45-6789")) == 1
    with demo_store.read_session() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "patient.search", AuditEntry.reason == "duplicates")).one()
        assert entry.changes == {"results": 1} and entry.patient_id is None
        assert entry.username == "frontdesk"
    with pytest.raises(PermissionDenied):
        duplicates(demo_store, sign_in(demo_store, "admin"), last_name="Haddad")


def test_only_indexed_look_ups(demo_store: Store, frontdesk: Actor) -> None:
    """Each query reads through an index (SQLite's plan names no full scan of a table)."""
    statements: list[tuple[str, object]] = []

    def keep(_conn: object, _cursor: object, sql: str, params: object, *_: object) -> None:
        if "FROM patients" in sql:
            statements.append((sql, params))

    event.listen(demo_store.engine, "before_cursor_execute", keep)
    try:
        duplicates(demo_store, frontdesk, last_name="Haddad", first_name="Omar",
                   phone_home="(512) 555-0147", ssn="123-45-6789")
    finally:
        event.remove(demo_store.engine, "before_cursor_execute", keep)
    assert len(statements) == 3
    with demo_store.engine.connect() as connection:
        for sql, params in statements:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
            details = " | ".join(row[-1] for row in plan)
            assert "USING" in details and "SCAN" not in details.replace("SCAN CONSTANT", ""), \
                details


def test_names_compare_symmetrically() -> None:
    def someone(last: str, first: str) -> object:
        return person({"last_name": last, "first_name": first, "date_of_birth": BORN},
                      ssn_digest=None)

    for a, b in ((("García-Márquez", "José"), ("Garcia", "Jose")),
                 (("Smith", "Jhon"), ("Smith", "John")),
                 (("Vandenberg", "Anna"), ("van der Berg", "Anna"))):
        assert likely_same(someone(*a), someone(*b)) == likely_same(someone(*b), someone(*a))
        assert likely_same(someone(*a), someone(*b))
    born_later = replace(person({"last_name": "X", "first_name": "Y", "date_of_birth": BORN},
                                ssn_digest=None), date_of_birth=date(1962, 7, 14))
    assert likely_same(born_later, someone("Z", "W")) == ()
