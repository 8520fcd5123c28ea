"""One typed word: every field read in one statement (phones skipped for a word that is not
all digits) must give what reading the fields one by one gave."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from registry_data import TODAY
from sqlalchemy import select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.patients import search as search_module
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.models import PatientSearchTerm
from medtrack_desktop.domain.patients.registry import PatientRecord, register_patient
from medtrack_desktop.domain.patients.search import search_patients
from medtrack_desktop.domain.patients.search_index import term_prefix
from medtrack_desktop.store.engine import Store

PEOPLE = {
    # a name holding digits: a digit word must still read the name fields
    "third": (Demographics(last_name="Abbott 3rd", first_name="Ann", sex="female",
                           date_of_birth=date(1980, 1, 1), phone_mobile="(512) 555-0101"),
              None),
    # an MRN carried over with letters: a letter word must still read the MRNs
    "lettered": (Demographics(last_name="Zeller", first_name="Bo", sex="male",
                              date_of_birth=date(1981, 2, 2), phone_home="(737) 512-0102"),
                 "AB512-7"),
    **{f"p{n}": (Demographics(last_name=f"Ab{chr(97 + n)}", first_name="Ab", sex="male",
                              date_of_birth=date(1990, 3, 1 + n),
                              phone_mobile=f"(512) 555-02{n:02d}"), None)
       for n in range(12)},
}


@pytest.fixture
def clinic(store: Store) -> tuple[Actor, dict[str, PatientRecord]]:
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="Word Clinic", workstation_name="F1")
    actor = Actor.system(seat, name="test")
    records = {}
    with store.session() as session:
        for key, (demographics, mrn) in PEOPLE.items():
            records[key] = register_patient(session, actor, demographics=demographics,
                                            today=TODAY, mrn=mrn)
    return actor, records


def field_by_field(session: Session, actor: Actor, word: str, wanted: int) -> list[uuid.UUID]:
    """The reading this replaced: one query per field, each asked for what is still wanted."""
    terms = PatientSearchTerm
    found: dict[uuid.UUID, None] = {}
    for field in search_module._SEARCHED:
        found.update(dict.fromkeys(session.scalars(select(terms.patient_id).where(
            terms.clinic_id == actor.seat.clinic_id, terms.field == field,
            term_prefix(terms.term, word)).distinct().limit(wanted - len(found)))))
        if len(found) >= wanted:
            break
    return list(found)


WORDS = ["a", "ab", "abb", "3", "3rd", "5", "51", "512", "5125550101", "5550101", "ab512",
         "ab5127", "737", "z", "zz", "0", "a1", "bo"]


@pytest.mark.parametrize("wanted", [1, 3, 5, 50])
def test_one_statement_finds_what_field_by_field_found_in_the_same_order(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]], wanted: int
) -> None:
    actor, _records = clinic
    with store.session() as session:
        for word in WORDS:
            assert search_module._one_word(session, actor, word, wanted) == field_by_field(
                session, actor, word, wanted), word


def test_a_digit_word_finds_phones_mrns_and_names_holding_digits(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    with store.session() as session:
        by_phone = search_patients(session, actor, query="5125550101", today=TODAY)
        by_mrn = search_patients(session, actor, query=records["p3"].mrn, today=TODAY)
        by_name = search_patients(session, actor, query="3rd", today=TODAY)
    assert [(m.id, m.matched_on) for m in by_phone] == [(records["third"].id, "phone")]
    assert (by_mrn[0].id, by_mrn[0].matched_on) == (records["p3"].id, "mrn")
    assert [m.id for m in by_name] == [records["third"].id]


def test_a_word_with_letters_finds_lettered_mrns_never_phones(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    """"ab512" starts the MRN AB512-7 (found) and no phone can start with it; "512" alone
    still finds the phones of the 512 area and the MRN."""
    actor, records = clinic
    with store.session() as session:
        lettered = search_patients(session, actor, query="ab512", today=TODAY)
        digits = search_patients(session, actor, query="512", today=TODAY)
    assert [(m.id, m.matched_on) for m in lettered] == [(records["lettered"].id, "mrn")]
    assert {m.matched_on for m in digits} == {"phone"}
    assert records["lettered"].id in {m.id for m in digits}, "737-512-0102: its last 7 digits"
